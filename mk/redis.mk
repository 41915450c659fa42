# Shared budgets through Redis (issue 11): the core's Lua twin run against a real server.
#
#   make redis-server  Debian's redis-server, installed only when missing (mk/apt.mk)
#   make test-redis    tests/redis (Rust) against its own redis-server instances (127.0.0.1, free
#                      ports, no persistence, stopped by pid), then the Node and Python store shells
#                      (js/store-redis.js, bindings-python/python/pacekeeper/store_redis.py)
#                      with ioredis 6, node-redis 4 and 6, redis-py 8 sync and asyncio. Under CI=true a
#                      missing redis-server is a failure, never a skip.
#   make bench-redis   decisions through Redis on loopback from one process: p50 and decisions/s

REDIS_VENV := $(TARGET_DIR)/redis-venv
REDIS_VENV_STAMP := $(REDIS_VENV)/.pacekeeper-stamp
REDIS_NODE_STAMP := tests/redis/node/node_modules/.pacekeeper-stamp

.PHONY: test-redis test-redis-rust test-redis-shells bench-redis

$(REDIS_VENV_STAMP): tests/redis/python/requirements.txt
	test -x $(REDIS_VENV)/bin/python || $(PYTHON) -m venv $(REDIS_VENV)
	$(REDIS_VENV)/bin/python -m pip install --quiet -r tests/redis/python/requirements.txt
	touch $@

# `npm install`, never `npm ci` (see TOOLCHAIN.md).
$(REDIS_NODE_STAMP): tests/redis/node/package.json
	cd tests/redis/node && $(NPM) install --no-audit --no-fund
	touch $@

test-redis-rust: redis-server
	$(CARGO) test -p pacekeeper-redis-tests

# The store option's tests (test_store_option.py, store-option.test.js) use the built packages:
# the wheel goes into the redis venv too.
test-redis-shells: redis-server build-node build-python $(REDIS_VENV_STAMP) $(REDIS_NODE_STAMP)
	$(CARGO) build -q -p pacekeeper-redis-tests --bin pk-codec
	$(REDIS_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps --no-index $(WHEELS)/pacekeeper-*.whl
	$(REDIS_VENV)/bin/python -m pytest -q tests/redis/python
	$(NODE_TEST) tests/redis/node/

test-redis: test-redis-rust test-redis-shells

# Beside bottleneck 2.19.5 (npm, Redis clustering over ioredis) and limits 5.8 (PyPI, Redis storage).
REDIS_BENCH_VENV := $(TARGET_DIR)/redis-bench-venv
REDIS_BENCH_VENV_STAMP := $(REDIS_BENCH_VENV)/.pacekeeper-stamp
REDIS_BENCH_NODE_STAMP := bench/redis/node_modules/.pacekeeper-stamp

$(REDIS_BENCH_VENV_STAMP): bench/redis/requirements.txt
	test -x $(REDIS_BENCH_VENV)/bin/python || $(PYTHON) -m venv $(REDIS_BENCH_VENV)
	$(REDIS_BENCH_VENV)/bin/python -m pip install --quiet -r bench/redis/requirements.txt
	touch $@

$(REDIS_BENCH_NODE_STAMP): bench/redis/package.json
	cd bench/redis && $(NPM) install --no-audit --no-fund
	touch $@

bench-redis: redis-server $(REDIS_BENCH_VENV_STAMP) $(REDIS_BENCH_NODE_STAMP)
	PK_BENCH_NODE=$(NODE) PK_BENCH_PYTHON=$(abspath $(REDIS_BENCH_VENV))/bin/python \
	  $(CARGO) run --release -q -p pacekeeper-redis-tests --bin bench-redis

TEST_TARGETS += test-redis
# `cargo test --workspace` (test-rust) runs tests/redis too: it needs the server first.
test-rust: redis-server
