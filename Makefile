# pynet developer targets. `pip install -e .` builds the extension; these are the extras.
PY      ?= python3
CC      ?= cc
KERNELS := $(wildcard csrc/kernels/*.c)
CTESTS  := $(wildcard csrc/tests/test_*.c)
CFLAGS_C := -O2 -std=c11 -Wall -Wextra -fno-trapping-math -fno-math-errno -pthread
SANITIZE := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: build build-deps test test-c asan asan-c bench bench-gemm-c format

# Build in build/lib, then move the library into pynet/ with one rename, so a
# process that has the old one loaded never sees a half-written file.
# setup.py needs setuptools 77 or newer (it reads the SPDX licence field of
# pyproject.toml): Python 3.12+ venvs have no setuptools and 3.11's is older.
build-deps:
	@$(PY) -c 'import setuptools, sys; sys.exit(int(setuptools.__version__.split(".")[0]) < 77)' \
		2>/dev/null || $(PY) -m pip install -q "setuptools>=77"

build: build-deps
	$(PY) setup.py -q build_ext --build-lib build/lib
	cp build/lib/pynet/_C*.so pynet/.tmp_C.so && mv pynet/.tmp_C.so $$(ls build/lib/pynet/_C*.so | sed 's|build/lib/||')

test: build test-c   ## C unit tests, then the Python suite
	$(PY) -m pytest tests -q

# The kernel library is compiled once into a static library (plain and sanitized);
# each csrc/tests/test_*.c is its own program linked against it.
KHEADERS := $(wildcard csrc/kernels/*.h)
KOBJS    := $(patsubst csrc/kernels/%.c,build/kobj/%.o,$(KERNELS))
KOBJS_SAN := $(patsubst csrc/kernels/%.c,build/kobj-asan/%.o,$(KERNELS))

build/kobj/%.o: csrc/kernels/%.c $(KHEADERS)
	@mkdir -p build/kobj
	$(CC) $(CFLAGS_C) -c -o $@ $<

build/kobj-asan/%.o: csrc/kernels/%.c $(KHEADERS)
	@mkdir -p build/kobj-asan
	$(CC) $(CFLAGS_C) $(SANITIZE) -c -o $@ $<

build/libpnkernels.a: $(KOBJS)
	ar rcs $@ $^

build/libpnkernels-asan.a: $(KOBJS_SAN)
	ar rcs $@ $^

test-c: build/libpnkernels.a
	@mkdir -p build/ctests
	@set -e; for t in $(CTESTS); do \
		exe=build/ctests/$$(basename $$t .c); \
		$(CC) $(CFLAGS_C) -o $$exe $$t build/libpnkernels.a -lm; \
		echo "== $$exe"; ./$$exe; \
	done

asan-c: build/libpnkernels-asan.a
	@mkdir -p build/ctests-asan
	@set -e; for t in $(CTESTS); do \
		exe=build/ctests-asan/$$(basename $$t .c); \
		$(CC) $(CFLAGS_C) $(SANITIZE) -o $$exe $$t build/libpnkernels-asan.a -lm; \
		echo "== $$exe"; ./$$exe; \
	done

# The Python suite against an AddressSanitizer + UBSan build of pynet._C, built
# into build/asan/ so the normal in-place build is left alone. pytest runs from
# build/asan so that `import pynet` finds that copy (the first line checks it). The interpreter is
# not instrumented, so the sanitizer runtimes are preloaded; leak checking is off
# because CPython keeps memory alive on purpose at exit.
# With pytest-xdist installed the suite is spread over both cores (-n 2): under the
# sanitizers it is the slowest part of CI.
PYTEST_JOBS ?= $(shell $(PY) -c 'import xdist' 2>/dev/null && echo "-n 2")

asan: asan-c build-deps
	rm -rf build/asan && mkdir -p build/asan/pynet
	PYNET_SANITIZE=1 $(PY) setup.py -q build_ext --force --build-lib build/asan --build-temp build/asan-tmp
	cd pynet && find . \( -name '*.py' -o -name '*.pyi' -o -name py.typed \) -exec cp --parents {} ../build/asan/pynet/ \;
	cd build/asan && export PYNET_ASAN=1 \
	LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 && \
	$(PY) -c 'import pynet; assert "build/asan" in pynet._C.__file__, pynet._C.__file__' && \
	$(PY) -m pytest $(CURDIR)/tests -q -x $(PYTEST_JOBS) -p no:cacheprovider --rootdir=$(CURDIR)

bench: build
	$(PY) benchmarks/bench_overhead.py

format:
	clang-format -i csrc/*/*.c csrc/*/*.h

# GEMM GFLOP/s of the C kernel alone (compare: python benchmarks/gemm_numpy_ref.py);
# benchmarks/bench_gemm.py measures pynet.matmul beside NumPy and PyTorch.
bench-gemm-c:
	@mkdir -p build/c
	$(CC) -O3 -std=c11 -Wall -Wextra -fno-trapping-math -pthread -o build/c/bench_gemm_c benchmarks/bench_gemm_c.c $(KERNELS) -lm
	./build/c/bench_gemm_c
