# pynet build/test entry points.
#   make test-c        build each csrc/tests/test_*.c with all kernel sources and run it
#   make asan-c        the same under AddressSanitizer + UBSan
#   make bench-gemm-c  GEMM GFLOP/s benchmark (compare: python3 benchmarks/gemm_numpy_ref.py)

CC      ?= cc
CSTD     = -std=c11 -Wall -Wextra -pthread
KSRC     = $(wildcard csrc/kernels/*.c)
KHDR     = $(wildcard csrc/kernels/*.h)
CTESTS   = $(wildcard csrc/tests/test_*.c)
BUILD    = build/c
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -g

.PHONY: test-c asan-c bench-gemm-c clean-c

test-c: $(patsubst csrc/tests/%.c,$(BUILD)/%,$(CTESTS))
	@set -e; for t in $^; do echo "== $$t"; ./$$t; done

asan-c: $(patsubst csrc/tests/%.c,$(BUILD)/asan/%,$(CTESTS))
	@set -e; for t in $^; do echo "== $$t"; UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./$$t; done

$(BUILD)/%: csrc/tests/%.c $(KSRC) $(KHDR)
	@mkdir -p $(dir $@)
	$(CC) -O2 $(CSTD) -o $@ $< $(KSRC) -lm

$(BUILD)/asan/%: csrc/tests/%.c $(KSRC) $(KHDR)
	@mkdir -p $(dir $@)
	$(CC) -O1 $(CSTD) $(SANFLAGS) -o $@ $< $(KSRC) -lm

bench-gemm-c: $(BUILD)/bench_gemm_c
	./$(BUILD)/bench_gemm_c

$(BUILD)/bench_gemm_c: benchmarks/bench_gemm_c.c $(KSRC) $(KHDR)
	@mkdir -p $(dir $@)
	$(CC) -O3 $(CSTD) -o $@ $< $(KSRC) -lm

clean-c:
	rm -rf $(BUILD)
