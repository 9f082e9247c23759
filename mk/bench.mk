# mk/bench.mk: `make bench` measures this engine and llama.cpp side by side
# on the same files with the same thread count, in one run:
#
#   1. synthesizes TinyLlama-1.1B-shaped models with random weights in
#      Q4_0, Q4_K_M and Q8_0 (bayling synth; cached in $(BENCH_DIR), made
#      once per shape, type and seed);
#   2. for each, runs `bayling bench --json` (128-token prompt in one batch,
#      64 decoded tokens; the memory-bandwidth roofline) and then llama.cpp
#      through ../shared/tools/llamacpp-bench/run (node-llama-cpp's prebuilt
#      CPU build; it installs itself on first use), BENCH_ROUNDS times over,
#      alternating the engines;
#   3. prints a markdown table with the ratios ours/llama.cpp for prefill and
#      decode, and decode against the roofline, and saves it as
#      $(BENCH_DIR)/table.md.
#
#   make bench                          all three types, the default threads
#   make bench BENCH_THREADS=4          another thread count (both engines)
#   make bench BENCH_TYPES=q4_0         one type
#   make bench BENCH_SHAPE=bayling-2-7b a real BayLing 2 shape (3.8-7 GB files)
#
# The numbers are only as steady as the machine: other processes running
# during the measurement lower both engines' figures, and each engine's
# best repetition is what counts. Included from the top Makefile; also
# usable alone: make -f mk/bench.mk bench

GO ?= go
BENCH_DIR ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME)/baylingd-bench,.cache/bench)
BENCH_SHAPE ?= tinyllama-1.1b
BENCH_TYPES ?= q4_0 q4_k_m q8_0
BENCH_SEED ?= 1
BENCH_PROMPT ?= 128
BENCH_GEN ?= 64
# Each round runs both engines on each model, BENCH_REPS repetitions each;
# alternating the engines over rounds lets both meet the same conditions,
# and the table keeps each engine's best figures.
BENCH_REPS ?= 2
BENCH_ROUNDS ?= 2
# The llama.cpp timing script (see its README line in the run script).
LLAMACPP_BENCH ?= ../shared/tools/llamacpp-bench/run
BENCH_BIN := $(BENCH_DIR)/bayling
# Empty: the engine's default, one thread per performance core, which
# `bayling bench --print-threads` reports so that llama.cpp gets the same.
BENCH_THREADS ?=

BENCH_MODELS := $(foreach t,$(BENCH_TYPES),$(BENCH_DIR)/$(BENCH_SHAPE)-$(t)-s$(BENCH_SEED).gguf)

.PHONY: bench bench-bin bench-models bench-clean

# The binary is rebuilt on every run (go build is a no-op when nothing
# changed), so the table always measures the working tree.
bench: bench-bin bench-models
	@set -e; \
	threads='$(BENCH_THREADS)'; \
	if [ -z "$$threads" ]; then threads=$$('$(BENCH_BIN)' bench --print-threads); fi; \
	if [ ! -x '$(LLAMACPP_BENCH)' ]; then \
	  echo "make bench: $(LLAMACPP_BENCH) not found; only this engine is measured" >&2; fi; \
	rm -f '$(BENCH_DIR)'/*.ours.json '$(BENCH_DIR)'/*.llamacpp.json; \
	for round in $$(seq $(BENCH_ROUNDS)); do \
	  for m in $(BENCH_MODELS); do \
	    base=$$(basename $$m .gguf); \
	    echo "== round $$round: $$base, $$threads threads" >&2; \
	    '$(BENCH_BIN)' bench --model $$m --threads $$threads --prompt $(BENCH_PROMPT) --gen $(BENCH_GEN) \
	      --reps $(BENCH_REPS) --json > '$(BENCH_DIR)'/$$base.$$round.ours.json; \
	    cat '$(BENCH_DIR)'/$$base.$$round.ours.json >&2; \
	    if [ -x '$(LLAMACPP_BENCH)' ]; then \
	      if '$(LLAMACPP_BENCH)' $$m $(BENCH_PROMPT) $(BENCH_GEN) $$threads $(BENCH_REPS) > '$(BENCH_DIR)'/$$base.$$round.llamacpp.json; then \
	        cat '$(BENCH_DIR)'/$$base.$$round.llamacpp.json >&2; \
	      else echo "make bench: llama.cpp failed on $$m" >&2; rm -f '$(BENCH_DIR)'/$$base.$$round.llamacpp.json; fi; \
	    fi; \
	  done; \
	done; \
	echo; \
	'$(BENCH_BIN)' bench --table --out '$(BENCH_DIR)/table.md' '$(BENCH_DIR)'/*.ours.json \
	  $$(ls '$(BENCH_DIR)'/*.llamacpp.json 2>/dev/null); \
	echo; echo "(saved as $(BENCH_DIR)/table.md)"

bench-models: $(BENCH_MODELS)

bench-bin: | $(BENCH_DIR)
	$(GO) build -o $(BENCH_BIN) ./cmd/bayling

$(BENCH_DIR):
	mkdir -p $@

# A model depends only on its shape, type and seed (bayling synth is
# deterministic); the vocabulary comes from the shared fixtures.
$(BENCH_DIR)/$(BENCH_SHAPE)-%-s$(BENCH_SEED).gguf: | bench-bin
	'$(BENCH_BIN)' synth --shape $(BENCH_SHAPE) --type $* --seed $(BENCH_SEED) $@

bench-clean:
	rm -rf $(BENCH_DIR)
