# The outcome benchmark (bench/outcome/): the loopback server (tests/server/server.mjs) in every
# profile x workload x client (an oracle, pacekeeper configured and learning, hand-written retry
# loops), with and without 10 % injected faults. See BENCHMARKS.md, "Outcome benchmark".
#
#   make bench-outcome   the full matrix (~16 min on 2 shared cores; not in `make test`): tables on stdout and in
#                        $(TARGET_DIR)/outcome.md, raw results in $(TARGET_DIR)/outcome.json,
#                        chart docs/outcome.svg
#   make test-outcome    a < 60 s subset with hard asserts (messaging against the genesys profile:
#                        0 lost, 0 early retries for pacekeeper configured and learning, fewer
#                        429s than a fixed-delay loop)
# The full run includes pacekeeper through the real Genesys SDKs (Python PureCloudPlatformClientV2
# from .venv, Node purecloud-platform-client-v2 from bindings-node's node_modules, hence build-node).

.PHONY: bench-outcome test-outcome

bench-outcome: build-python build-node
	$(VENV_PY) bench/outcome/outcome.py --json $(TARGET_DIR)/outcome.json \
	  --markdown $(TARGET_DIR)/outcome.md --svg docs/outcome.svg

test-outcome: build-python
	timeout 120 $(VENV_PY) bench/outcome/outcome.py --smoke

TEST_TARGETS += test-outcome
