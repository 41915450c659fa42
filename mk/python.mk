# bindings-python: the examples in examples/python and the benchmarks (see BENCHMARKS.md).
#
#   make test-python-examples   bulk contact sync (real Genesys SDK) and the messaging sender
#   make bench-python           per-decision cost beside pyrate-limiter and limits (not in `make test`)

.PHONY: test-python-examples bench-python

PY_BENCH_STAMP := $(VENV)/.pacekeeper-bench-stamp

$(PY_BENCH_STAMP): bindings-python/requirements-bench.txt $(VENV_STAMP)
	$(VENV_PY) -m pip install --quiet -r bindings-python/requirements-bench.txt
	touch $@

test-python-examples: build-python
	$(VENV_PY) examples/python/bulk_sync.py --tenants 3 --no-bar | tee $(TARGET_DIR)/bulk_sync.out
	grep -q '^  result             OK' $(TARGET_DIR)/bulk_sync.out
	$(VENV_PY) examples/python/messaging.py --rate-per-sec 20 | tee $(TARGET_DIR)/messaging.out
	grep -q '^  result             OK' $(TARGET_DIR)/messaging.out

bench-python: build-python $(PY_BENCH_STAMP)
	$(VENV_PY) bindings-python/bench/bench.py

TEST_TARGETS += test-python-examples
