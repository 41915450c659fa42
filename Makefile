# pacekeeper: build and test every runtime (Rust, Node.js addon, Python wheel, WebAssembly).
#
# Works on a fresh machine with only rustup, node/npm and python3: each target installs what is
# missing and nothing else. Installs and builds are guarded by stamp files, so a warm `make test`
# reinstalls nothing and rebuilds only what changed.
#
#   make test        everything below (what .ci/run runs)
#   make check       quick: cargo fmt --check, clippy -D warnings, cargo test (Rust only, no builds of packages)
#   make toolchain   wasm32 target, rustfmt/clippy, wasm-bindgen CLI matching Cargo.lock
#   make venv        .venv with bindings-python/requirements-dev.txt
#   make node-deps   npm install in bindings-node and bindings-wasm
#   make build-node | build-python | build-wasm
#   make test-rust | test-node | test-python | test-wasm | test-server
#   make demo        run examples/demo.rs, then a live run against the loopback server (bench/outcome/demo.py)
#   make check-generated   rebuild, then fail if the generated loader/typings differ from git
#   make clean       remove build outputs (keeps .venv, node_modules and target/)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules
.SECONDEXPANSION:

CARGO ?= cargo
NPM ?= npm
NODE ?= node
PYTHON ?= python3
CARGO_HOME ?= $(HOME)/.cargo
export PATH := $(CARGO_HOME)/bin:$(PATH)

# Cargo's target directory (honours CARGO_TARGET_DIR); stamps and wheels live there too.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
STAMPS := $(TARGET_DIR)/stamps
WHEELS := $(TARGET_DIR)/wheels
NODE_TEST := $(NODE) --test --test-reporter=spec
VENV := .venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.pacekeeper-dev-stamp
PY_REQUIREMENTS := bindings-python/requirements-dev.txt
NODE_DEPS_STAMP := bindings-node/node_modules/.pacekeeper-stamp
WASM_DEPS_STAMP := bindings-wasm/node_modules/.pacekeeper-stamp

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3; exit }' Cargo.lock)

# Inputs of each build (evaluated at parse time; new files are newer than the stamps).
files_under = $(shell find $(1) -type f -not -path '*/__pycache__/*' 2>/dev/null)
CORE_INPUTS := Cargo.toml Cargo.lock core/Cargo.toml $(wildcard core/build.rs) $(call files_under,core/src) \
	bindings-common/Cargo.toml $(call files_under,bindings-common/src)
NODE_INPUTS := $(CORE_INPUTS) bindings-node/Cargo.toml bindings-node/build.rs bindings-node/package.json \
	$(call files_under,bindings-node/src)
PYTHON_INPUTS := $(CORE_INPUTS) bindings-python/Cargo.toml bindings-python/pyproject.toml \
	$(call files_under,bindings-python/src bindings-python/python)
WASM_INPUTS := $(CORE_INPUTS) bindings-wasm/Cargo.toml scripts/build-wasm.sh $(call files_under,bindings-wasm/src)

.PHONY: all test check toolchain venv node-deps build build-node build-python build-wasm \
	test-rust test-node test-python test-wasm test-server test-examples demo check-generated clean

all: test

# Each part of the project may add targets to TEST_TARGETS in its own mk/*.mk file.
TEST_TARGETS := test-rust test-node test-python test-wasm test-server test-examples
-include $(sort $(wildcard mk/*.mk))

test: $(TEST_TARGETS)

build: build-node build-python build-wasm

# --- toolchain ---------------------------------------------------------------------------------

toolchain:
	@if command -v rustup >/dev/null; then \
	  installed=$$(rustup component list --installed); \
	  for c in rustfmt clippy; do \
	    grep -q "^$$c" <<<"$$installed" || rustup component add $$c; \
	  done; \
	  rustup target list --installed | grep -qx wasm32-unknown-unknown \
	    || rustup target add wasm32-unknown-unknown; \
	fi
	@test -n "$(WASM_BINDGEN_VERSION)" || { echo "toolchain: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "toolchain: installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  $(CARGO) install wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)" --locked \
	    || $(CARGO) install wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)"; \
	fi

# --- dependencies --------------------------------------------------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP): $(PY_REQUIREMENTS)
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet -r $(PY_REQUIREMENTS)
	touch $@

node-deps: $(NODE_DEPS_STAMP) $(WASM_DEPS_STAMP)

# `npm install`, never `npm ci`: the registry mirror lacks other platforms' optional packages.
$(NODE_DEPS_STAMP) $(WASM_DEPS_STAMP): %/node_modules/.pacekeeper-stamp: %/package.json $$(wildcard $$*/package-lock.json)
	cd $* && $(NPM) install --no-audit --no-fund
	touch $@

# --- builds --------------------------------------------------------------------------------------

build-node: $(STAMPS)/build-node
build-python: $(STAMPS)/build-python
build-wasm: toolchain $(STAMPS)/build-wasm

# Writes bindings-node/pacekeeper.<platform>.node plus the generated native.js and native.d.ts
# (the public API is index.js over the shared JS layer in js/).
$(STAMPS)/build-node: $(NODE_INPUTS) $(NODE_DEPS_STAMP)
	cd bindings-node && node_modules/.bin/napi build --platform --release --js native.js --dts native.d.ts
	@mkdir -p $(@D) && touch $@

# Builds the abi3 wheel into $(WHEELS) and installs it into .venv (tests run against it).
$(STAMPS)/build-python: $(PYTHON_INPUTS) $(VENV_STAMP)
	rm -f $(WHEELS)/pacekeeper-*.whl
	$(VENV)/bin/maturin build --release --manifest-path bindings-python/Cargo.toml \
	  --interpreter $(VENV_PY) --out $(WHEELS)
	$(VENV_PY) -m pip install --quiet --force-reinstall --no-deps --no-index $(WHEELS)/pacekeeper-*.whl
	@mkdir -p $(@D) && touch $@

# Writes bindings-wasm/pkg-node, pkg-web and pkg-bundler (see scripts/build-wasm.sh).
$(STAMPS)/build-wasm: $(WASM_INPUTS) $(WASM_DEPS_STAMP) | toolchain
	CARGO=$(CARGO) scripts/build-wasm.sh
	@mkdir -p $(@D) && touch $@

# --- tests ---------------------------------------------------------------------------------------

test-rust: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-unknown-unknown -p pacekeeper-wasm -- -D warnings
	$(CARGO) test --workspace

# The quick loop beside `make test`: the whole workspace's format, lints and Rust tests.
check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

test-node: build-node
	$(NODE_TEST) bindings-node/test/

test-python: build-python
	$(VENV_PY) -m pytest bindings-python/tests

test-wasm: build-wasm
	$(NODE_TEST) bindings-wasm/test/

# The rate-limiting test server (tests/server/server.mjs) uses only Node built-ins.
test-server:
	$(NODE_TEST) tests/server/

demo: build-python
	$(CARGO) run --release -p pacekeeper --example demo
	$(VENV_PY) bench/outcome/demo.py

# Every example runs in CI; the Rust demo must show its closing lines.
test-examples:
	$(CARGO) run --release -q -p pacekeeper --example demo | tee $(TARGET_DIR)/demo.out
	grep -q 'contacts covered exactly once: 10000 of 10000' $(TARGET_DIR)/demo.out
	grep -q 'last send at  85.000 s' $(TARGET_DIR)/demo.out

# For CI: the committed loader and TypeScript declarations must match a fresh build.
GENERATED := bindings-node/native.js bindings-node/native.d.ts
check-generated:
	rm -f $(STAMPS)/build-node
	$(MAKE) build-node
	@changes=$$(git status --porcelain -- $(GENERATED)); \
	if [ -n "$$changes" ]; then \
	  echo "check-generated: generated files differ from git (commit them):"; echo "$$changes"; \
	  git --no-pager diff -- $(GENERATED); exit 1; \
	fi >&2

clean:
	rm -rf $(STAMPS) $(WHEELS) bindings-wasm/pkg-node bindings-wasm/pkg-web bindings-wasm/pkg-bundler
	rm -f bindings-node/*.node
