/* cpuinfo.h - facts about the machine: clock and vector FMA rate (benchmarks), and the x86
 * instruction sets the kernels may use. */
#ifndef PN_CPUINFO_H
#define PN_CPUINFO_H

/* Core clock in GHz, measured: a chain of dependent integer adds retires one
 * add per cycle, so adds per second is the clock. 0 where not measurable. */
double pn_measure_clock_ghz(void);

/* Vector FMAs per second one core retires at `lanes` float32 lanes (16: zmm,
 * 8: ymm), measured: ten independent chains, the fastest of 48 runs. Times
 * lanes x 2 flops, the core's float32 peak, measured rather than inferred from
 * the clock and a count of FMA units (Zen 4, for one, runs 512-bit FMAs on its
 * two 256-bit units: one zmm FMA per cycle, where Intel's server cores retire
 * two). 0 where not measurable (not x86-64, other widths). The caller must
 * only ask for a width whose FMAs the CPU has (the GEMM kernel's). */
double pn_measure_fma_rate(int lanes);

#if defined(__x86_64__)
/* Whether the CPU has the instructions of an x86 kernel path and the OS saves its
 * registers (XCR0): AVX2 + FMA, and AVX-512F on top of them (gemm_kernels_x86.c). */
int pn_cpu_has_avx2_fma(void);
int pn_cpu_has_avx512(void);
#endif

#endif
