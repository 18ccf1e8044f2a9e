"""Timing shared by the benchmarks: the median over repetitions, after a warm-up."""
import statistics
import time


def time_step(step, reps=7, inner=3, warmup=2):
    """Median milliseconds of one call of step(): `warmup` calls first, then `reps`
    timings of `inner` calls each."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times) * 1e3
