"""Build pynet: the pure C kernel library and its CPython binding, as pynet._C."""
import glob
import os

import numpy
from setuptools import Extension, setup

# -fno-trapping-math: we never read FP exception flags, and it lets GCC turn the
# selects in kernels (relu, clamp, max, exp range checks) into vector blends.
# -fno-math-errno: nothing reads errno, and it lets sqrt compile to one vector
# instruction (same IEEE result) instead of a libm call per element.
CFLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-trapping-math", "-fno-math-errno",
          "-fvisibility=hidden",
          "-pthread", "-flto=auto"]
# Link-time optimisation lets the compiler inline the small core helpers (operand
# preparation, broadcasting) into the ops of other files: per-op overhead is
# what a small model spends most of its time in.
LDFLAGS = ["-pthread", "-lm", "-flto=auto", "-O3", "-fno-trapping-math", "-fno-math-errno"]
# Release builds carry no debug info (Python's own CFLAGS add -g; -g0 after it wins):
# the extension is a sixth of the size. PYNET_DEBUG=1 keeps it.
if not os.environ.get("PYNET_DEBUG"):
    CFLAGS.append("-g0")
    LDFLAGS.append("-g0")
if os.environ.get("PYNET_SANITIZE"):  # make asan: AddressSanitizer + UBSan build
    CFLAGS = ["-O1", "-g", "-std=c11", "-Wall", "-Wextra", "-pthread",
              "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
              "-fno-sanitize-recover=undefined"]
    LDFLAGS = ["-pthread", "-lm", "-fsanitize=address,undefined"]

# The four floors of csrc/ (see csrc/README.md): each only calls the ones before it.
sources = [f for floor in ("kernels", "core", "ops", "pyapi")
           for f in sorted(glob.glob(f"csrc/{floor}/*.c"))]

setup(
    ext_modules=[
        Extension(
            "pynet._C",
            sources=sources,
            include_dirs=[numpy.get_include()],
            extra_compile_args=CFLAGS,
            extra_link_args=LDFLAGS,
            depends=glob.glob("csrc/**/*.h", recursive=True),
        )
    ],
)
