# Node package `pacekeeper` (bindings-node/): the shared JS suite, the examples, the generated
# files check, and the benchmark (not part of `make test`).
#
#   make test-js             tests/js/ (shared with the WASM package) against the napi build
#   make test-node-examples  examples/node/*.mjs against the loopback test server
#   make bench-node          bindings-node/bench/bench.mjs (tinybench: pacekeeper vs limiter, bottleneck)

.PHONY: test-js test-node-examples bench-node

TEST_TARGETS += test-js test-node-examples check-generated

test-js: build-node
	PACEKEEPER_IMPL=napi $(NODE_TEST) tests/js/

test-node-examples: build-node
	$(NODE) examples/node/campaign.mjs | tee $(TARGET_DIR)/node-campaign.out
	grep -q 'contacts covered exactly once: 30000 of 30000, zero early retries' $(TARGET_DIR)/node-campaign.out

bench-node: build-node
	$(NODE) bindings-node/bench/bench.mjs
