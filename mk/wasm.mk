# WebAssembly package `pacekeeper-wasm` (bindings-wasm/) and the browser playground (examples/playground/).
#
#   make test-wasm          the package's own tests (entry points, size, seeds, errors)   [Makefile]
#   make test-wasm-shared   the shared JS suite tests/js/ against the WASM package (PACEKEEPER_IMPL=wasm)
#   make test-playground    the playground in headless Chromium (Debian's chromium + playwright-core);
#                           screenshot in artifacts/playground.png
#   make bench-wasm         per-call cost of check and parse, WASM beside napi (not part of `make test`)
#   make serve-playground   serve examples/playground on http://127.0.0.1:8765/ (Ctrl-C to stop)

# The build also depends on the shared API layer its ES-module entries inline and on the scripts
# it runs.
$(STAMPS)/build-wasm: $(wildcard js/*.js) \
	bindings-wasm/package.json scripts/wasm-snip.mjs scripts/wasm-module.mjs scripts/wasm-esm.mjs

# The name-for-name comparison and the bit-for-bit schedules compare with the napi package.
test-wasm: build-node

# Debian's chromium: mk/apt.mk (chromium).

test-wasm-shared: build-wasm
	PACEKEEPER_IMPL=wasm $(NODE_TEST) tests/js/

test-playground: build-wasm $(CHROMIUM_STAMP)
	$(NODE_TEST) examples/playground/test/

bench-wasm: build-wasm build-node
	$(NODE) bindings-wasm/bench/bench.mjs

serve-playground: build-wasm
	$(NODE) examples/playground/serve.mjs

.PHONY: test-wasm-shared test-playground bench-wasm serve-playground
TEST_TARGETS += test-wasm-shared test-playground
