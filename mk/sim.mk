# The deterministic simulator (sim/): server models x client strategies x workloads in virtual
# time over the core pacer. `make sim` prints the tables and redraws docs/sim.svg (< 1 min);
# `make test-sim` runs its self-check (the AWS backoff study's shape) and pacekeeper's targets.
SIM_RUNS ?= 5

sim:
	$(CARGO) run --release --quiet -p pacekeeper-sim --bin sim -- --runs $(SIM_RUNS) --svg docs/sim.svg

test-sim:
	$(CARGO) test --release --quiet -p pacekeeper-sim

TEST_TARGETS += test-sim
.PHONY: sim test-sim
