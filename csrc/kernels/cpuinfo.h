/* cpuinfo.h - facts about the machine for benchmarks: clock and SIMD width. */
#ifndef PN_CPUINFO_H
#define PN_CPUINFO_H

/* Core clock in GHz, measured: a chain of dependent integer adds retires one
 * add per cycle, so adds per second is the clock. 0 where not measurable. */
double pn_measure_clock_ghz(void);

#endif
