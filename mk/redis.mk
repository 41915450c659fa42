# Shared budgets through Redis (issue 11): the core's Lua twin run against a real server.
#
#   make redis-server  Debian's redis-server, installed only when missing (apt-get)
#   make test-redis    tests/redis against its own redis-server instances (127.0.0.1, free ports,
#                      no persistence, stopped by pid); CI=true turns a missing server into a failure
#   make bench-redis   decisions through Redis on loopback from one process: p50 and decisions/s

REDIS_SERVER ?= redis-server

.PHONY: redis-server test-redis bench-redis

redis-server:
	@if ! command -v $(REDIS_SERVER) >/dev/null; then \
	  echo "redis-server: installing Debian's redis-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi
	@$(REDIS_SERVER) --version

test-redis: redis-server
	$(CARGO) test -p pacekeeper-redis-tests -- --test-threads 2

bench-redis: redis-server
	$(CARGO) run --release -q -p pacekeeper-redis-tests --bin bench-redis

TEST_TARGETS += test-redis
