# Release packaging (issue 13). Cross builds run with zig (maturin --zig, napi build -x); every
# artifact lands under $(TARGET_DIR)/dist, never in git. See scripts/dist/ and CHANGELOG.md.
#
#   make dist           every wheel + sdist and every npm package buildable here, each verified
#                       (NOT part of `make test`: the cross builds take many minutes on 2 cores)
#   make dist-python    wheels (manylinux_2_17 x86_64/aarch64, musllinux_1_2 x86_64/aarch64,
#                       macOS universal2, arm64 and x86_64) + sdist, checked by scripts/dist/check-wheels.sh
#   make dist-npm       the 6 linux/darwin addons, their pacekeeper-<platform> packages, the main
#                       package and pacekeeper-wasm, packed and checked by scripts/dist/check-npm.sh
#   make test-release   (in `make test`) one version everywhere, the fallback loader, actionlint on
#                       .github/workflows, and `npm ci` accepting both lockfiles
#
# win32-x64-msvc (addon and wheel) cannot be built here (xwin downloads from an unreachable host):
# .github/workflows/release.yml builds and smoke-tests it on a hosted Windows runner.

.PHONY: dist dist-setup dist-python dist-npm test-release actionlint check-lockfiles

DIST_DIR := $(abspath $(TARGET_DIR))/dist
DIST_STAMPS := $(DIST_DIR)/stamps
ACTIONLINT_VERSION := 1.7.12
ACTIONLINT := $(DIST_DIR)/bin/actionlint

# Wheels: <rust target>:<maturin --compatibility> ('-' = none).
DIST_WHEELS := x86_64-unknown-linux-gnu:manylinux2014 aarch64-unknown-linux-gnu:manylinux2014 \
	x86_64-unknown-linux-musl:musllinux_1_2 aarch64-unknown-linux-musl:musllinux_1_2 universal2-apple-darwin:- \
	aarch64-apple-darwin:- x86_64-apple-darwin:-
DIST_ADDONS := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl \
	aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin
DIST_SCRIPTS := scripts/dist/env.sh

dist: dist-python dist-npm
	@cat $(DIST_DIR)/report-python.txt $(DIST_DIR)/report-npm.txt $(DIST_DIR)/report-npm-publish.txt

dist-setup: $(DIST_STAMPS)/setup

$(DIST_STAMPS)/setup: scripts/dist/setup.sh $(DIST_SCRIPTS)
	scripts/dist/setup.sh
	@mkdir -p $(@D) && touch $@

$(DIST_STAMPS)/wheel-%: $(PYTHON_INPUTS) scripts/dist/wheel.sh | $(DIST_STAMPS)/setup
	scripts/dist/wheel.sh $* $(lastword $(subst :, ,$(filter $*:%,$(DIST_WHEELS))))
	@touch $@

$(DIST_STAMPS)/sdist: $(PYTHON_INPUTS) | $(DIST_STAMPS)/setup
	rm -rf $(DIST_DIR)/wheels/sdist
	PATH=$(DIST_DIR)/venv/bin:$$PATH maturin sdist -m bindings-python/Cargo.toml --out $(DIST_DIR)/wheels/sdist
	@touch $@

$(DIST_STAMPS)/addon-%: $(NODE_INPUTS) scripts/dist/addon.sh | $(DIST_STAMPS)/setup $(NODE_DEPS_STAMP)
	scripts/dist/addon.sh $*
	@touch $@

dist-python: $(foreach w,$(DIST_WHEELS),$(DIST_STAMPS)/wheel-$(firstword $(subst :, ,$(w)))) $(DIST_STAMPS)/sdist
	scripts/dist/check-wheels.sh

dist-npm: $(foreach t,$(DIST_ADDONS),$(DIST_STAMPS)/addon-$(t)) build-wasm
	scripts/dist/npm-pack.sh
	scripts/dist/check-npm.sh

# --- cheap checks, part of `make test` ------------------------------------------------------------

TEST_TARGETS += test-release

test-release: actionlint check-lockfiles
	$(NODE_TEST) scripts/dist/test/ scripts/test/
	$(NODE) scripts/dist/check-version.mjs

# actionlint through the Go module proxy (Go from Debian when there is none).
$(ACTIONLINT): | go-tool
	GOBIN=$(DIST_DIR)/bin go install github.com/rhysd/actionlint/cmd/actionlint@v$(ACTIONLINT_VERSION)

actionlint: $(ACTIONLINT)
	$(ACTIONLINT) -version | head -n 1 | grep -qx 'v$(ACTIONLINT_VERSION)' || { rm -f $(ACTIONLINT); $(MAKE) $(ACTIONLINT); }
	$(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml

# `npm ci` must accept each committed lockfile from a clean checkout: it refuses (before any
# download) when package.json and package-lock.json disagree. The workflow runs the real `npm ci`.
check-lockfiles:
	@for d in bindings-node bindings-wasm; do \
	  tmp=$$(mktemp -d) && cp $$d/package.json $$d/package-lock.json $$tmp/ && \
	  (cd $$tmp && $(NPM) ci --dry-run --ignore-scripts --no-audit --no-fund >/dev/null) \
	    || { echo "check-lockfiles: npm ci rejects $$d/package-lock.json (run npm install there and commit it)" >&2; rm -rf $$tmp; exit 1; }; \
	  rm -rf $$tmp; echo "check-lockfiles: $$d/package-lock.json OK"; \
	done
