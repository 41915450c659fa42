# The seed scenario of issue 11 (bench/seed/): 3 Node + 2 Python processes sync contacts for 3
# tenants through the loopback Genesys-like server (tests/server, one budget per token), with
# per-process in-memory pacers and then with ONE shared Redis budget per tenant. See
# BENCHMARKS.md, "Seed scenario".
#
#   make bench-seed   the full run: 10,000 contacts per process and tenant in batches of 500 (~1 min)
#   make test-seed    the bounded smoke (5,000 per process and tenant) with hard asserts: 0 lost,
#                     0 duplicated, 0 early retries with the shared budget, fewer 429s than
#                     per-process pacers (in `make test`)

SEED_NODE_STAMP := bench/seed/node_modules/.pacekeeper-stamp
SEED_VENV_STAMP := $(VENV)/.pacekeeper-seed-stamp

.PHONY: bench-seed test-seed

# `npm install`, never `npm ci` (see TOOLCHAIN.md).
$(SEED_NODE_STAMP): bench/seed/package.json
	cd bench/seed && $(NPM) install --no-audit --no-fund
	touch $@

# redis-py into the dev venv (the Python workers also use PureCloudPlatformClientV2 from it).
$(SEED_VENV_STAMP): bench/seed/requirements.txt $(VENV_STAMP)
	$(VENV_PY) -m pip install --quiet -r bench/seed/requirements.txt
	touch $@

SEED_DEPS := redis-server build-node build-python $(NODE_DEPS_STAMP) $(SEED_NODE_STAMP) $(SEED_VENV_STAMP)

bench-seed: $(SEED_DEPS)
	PK_SEED_PYTHON=$(abspath $(VENV_PY)) $(NODE) bench/seed/seed.mjs --pacing configured,preset --json $(TARGET_DIR)/seed.json

test-seed: $(SEED_DEPS)
	PK_SEED_PYTHON=$(abspath $(VENV_PY)) timeout 180 $(NODE) bench/seed/seed.mjs --smoke

TEST_TARGETS += test-seed
