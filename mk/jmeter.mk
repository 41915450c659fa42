# The plain WebAssembly module (abi, a small C-like ABI) and the JMeter load test
# that runs it through Chicory (tests/jmeter).
#
#   make build-abi     target/jmeter/pacekeeper_abi.wasm (wasm32-unknown-unknown, opt-level z)
#   make java-tools    java (11+) and mvn from Debian, only when missing (mk/apt.mk)
#   make jmeter-home   a JMeter 5.6.3 home (non-GUI) with Groovy and Chicory, from Maven Central
#   make test-abi      the ABI alone, no JMeter: its Rust tests (native, the session vectors through
#                      the exports) and tests/jmeter/abi.test.mjs on the built wasm32 module
#   make test-jmeter   clippy of the ABI crate for wasm32, then abi.test.mjs and JMeter (20 threads)
#                      against the loopback rate-limiting server (tests/jmeter/jmeter.test.mjs)
# The ABI's Rust unit tests run in `make test-rust` (cargo test --workspace).

JMETER_DIR := $(TARGET_DIR)/jmeter
ABI_WASM := $(JMETER_DIR)/pacekeeper_abi.wasm
JMETER_HOME := $(JMETER_DIR)/home
JMETER_HOME_STAMP := $(JMETER_HOME)/.pacekeeper-stamp
ABI_INPUTS := $(CORE_INPUTS) abi/Cargo.toml $(call files_under,abi/src)
WASM_OPT_BIN := bindings-wasm/node_modules/.bin/wasm-opt
ABI_WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
	--enable-mutable-globals --enable-multivalue --enable-reference-types

.PHONY: build-abi jmeter-home test-jmeter test-abi

build-abi: $(ABI_WASM)

# Size over speed for this module; wasm-opt (npm binaryen, from `make node-deps`) when present.
$(ABI_WASM): $(ABI_INPUTS) | toolchain $(WASM_DEPS_STAMP)
	CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_STRIP=debuginfo \
	  $(CARGO) build --target wasm32-unknown-unknown --release -p pacekeeper-wasm-abi
	@mkdir -p $(@D)
	if [ -x $(WASM_OPT_BIN) ]; then \
	  $(WASM_OPT_BIN) -Oz $(ABI_WASM_FEATURES) --strip-debug --strip-producers \
	    $(TARGET_DIR)/wasm32-unknown-unknown/release/pacekeeper_wasm_abi.wasm -o $@.tmp; \
	else \
	  cp $(TARGET_DIR)/wasm32-unknown-unknown/release/pacekeeper_wasm_abi.wasm $@.tmp; \
	fi
	mv $@.tmp $@
	@ls -l $@

# Java and Maven come from mk/apt.mk (java-tools).

# JMeter's jars (core, http, components, functions and their dependencies, Groovy 3 with JSR223)
# and Chicory's from Maven Central through ~/.m2, laid out as a JMeter home:
# bin/ApacheJMeter.jar (the launcher) and bin/*.properties (from ApacheJMeter_config),
# lib/ext/ApacheJMeter_*.jar, lib/ everything else.
jmeter-home: $(JMETER_HOME_STAMP)

$(JMETER_HOME_STAMP): tests/jmeter/pom.xml $(JAVA_STAMP)
	rm -rf $(JMETER_HOME) && mkdir -p $(JMETER_HOME)/lib/ext $(JMETER_HOME)/lib/junit $(JMETER_HOME)/bin
	$(MVN) -B -q -f tests/jmeter/pom.xml dependency:copy-dependencies \
	  -DoutputDirectory=$(abspath $(JMETER_HOME))/lib
	cd $(JMETER_HOME) && $(PYTHON) -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  [z.extract(n) for n in z.namelist() if n.startswith("bin/")]' lib/ApacheJMeter_config-*.jar
	rm $(JMETER_HOME)/lib/ApacheJMeter_config-*.jar
	mv $(JMETER_HOME)/lib/ApacheJMeter-[0-9]*.jar $(JMETER_HOME)/bin/ApacheJMeter.jar
	mv $(JMETER_HOME)/lib/ApacheJMeter_*.jar $(JMETER_HOME)/lib/ext/
	touch $@

test-abi: $(ABI_WASM)
	$(CARGO) test -p pacekeeper-wasm-abi
	PACEKEEPER_ABI_WASM=$(abspath $(ABI_WASM)) $(NODE_TEST) tests/jmeter/abi.test.mjs

test-jmeter: $(ABI_WASM) $(JMETER_HOME_STAMP)
	$(CARGO) clippy --target wasm32-unknown-unknown -p pacekeeper-wasm-abi -- -D warnings
	PACEKEEPER_ABI_WASM=$(abspath $(ABI_WASM)) JMETER_HOME=$(abspath $(JMETER_HOME)) \
	  $(NODE_TEST) tests/jmeter/

TEST_TARGETS += test-jmeter

# Per-call cost of the module under Chicory (interpreter and compiler); figures in BENCHMARKS.md.
.PHONY: bench-jmeter
bench-jmeter: $(ABI_WASM) $(JMETER_HOME_STAMP)
	java -cp '$(JMETER_HOME)/lib/*:$(JMETER_HOME)/lib/ext/*' groovy.ui.GroovyMain \
	  tests/jmeter/bench/chicory-bench.groovy $(abspath $(ABI_WASM)) $(abspath tests/jmeter/scripts)
