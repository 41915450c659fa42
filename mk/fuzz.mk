# libFuzzer runs of the core (see FUZZING.md). NOT part of `make test`: that replays the corpus
# and every crash regression on stable (core/tests/fuzz_replay.rs, in `cargo test`).
#
#   make fuzz                          each target in turn, FUZZ_SECONDS each, one process
#                                      (one core: what -jobs=1 gives, without its log files)
#   make fuzz FUZZ_TARGETS=headers FUZZ_SECONDS=3600
#   make fuzz-build                    build the targets only
#
# Installs what it lacks, idempotently: a minimal nightly toolchain through rustup and
# cargo-fuzz (FUZZ_CARGO_FUZZ_VERSION) through cargo. Inputs libFuzzer finds land in
# fuzz/work/<target>/ (not committed); the committed seeds in fuzz/corpus/<target>/ are only
# read (keep them small: `make fuzz-merge` adds the inputs that add coverage). A crash lands in
# fuzz/artifacts/<target>/: fix it, then copy it to fuzz/regressions/<target>/.

FUZZ_TARGETS ?= headers limiter plan backoff pacer
# -O release, -a debug assertions on (an overflow the core did not saturate panics: a crash),
# -s none: no AddressSanitizer (the core is forbid(unsafe_code); about twice the executions).
FUZZ_BUILD_FLAGS ?= -O -a -s none
FUZZ_SECONDS ?= 240
# Stop after this many executions instead (e.g. FUZZ_RUNS=10000000; FUZZ_SECONDS still bounds it).
FUZZ_RUNS ?=
FUZZ_CARGO_FUZZ_VERSION := 0.13.2
FUZZ_NIGHTLY_STAMP := $(STAMPS)/fuzz-nightly
FUZZ_TOOL_STAMP := $(STAMPS)/cargo-fuzz-$(FUZZ_CARGO_FUZZ_VERSION)

$(FUZZ_NIGHTLY_STAMP):
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@mkdir -p $(@D) && touch $@

$(FUZZ_TOOL_STAMP): $(FUZZ_NIGHTLY_STAMP)
	if ! cargo +nightly fuzz --version 2>/dev/null | grep -q '$(FUZZ_CARGO_FUZZ_VERSION)'; then \
		$(CARGO) +nightly install cargo-fuzz --version $(FUZZ_CARGO_FUZZ_VERSION) --locked || \
		$(CARGO) +nightly install cargo-fuzz --version $(FUZZ_CARGO_FUZZ_VERSION); \
	fi
	@mkdir -p $(@D) && touch $@

fuzz-build: $(FUZZ_TOOL_STAMP)
	$(CARGO) +nightly fuzz build $(FUZZ_BUILD_FLAGS)

# One target after another (never in parallel: the machine is shared); each prints libFuzzer's
# final stats line (`Done N runs in S second(s)`).
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t: $(FUZZ_SECONDS) s, one process"; \
		mkdir -p fuzz/work/$$t; \
		$(CARGO) +nightly fuzz run $(FUZZ_BUILD_FLAGS) $$t fuzz/work/$$t fuzz/corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) \
			-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			2>&1 | tee $(TARGET_DIR)/fuzz-$$t.log | grep -E '^(Done|stat::|==|INFO: Running)' ; \
	done

# Adds to the committed seeds only the found inputs that add coverage (libFuzzer -merge=1).
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		$(CARGO) +nightly fuzz run $(FUZZ_BUILD_FLAGS) $$t fuzz/corpus/$$t fuzz/work/$$t -- -merge=1 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new' ; \
	done

.PHONY: fuzz fuzz-build fuzz-merge
