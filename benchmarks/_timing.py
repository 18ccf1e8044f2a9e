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


def time_pair(step_a, step_b, reps=7, inner=3, warmup=2):
    """Median milliseconds of one call of step_a() and of step_b(), timed in alternation
    (a b, b a, a b, ...: `reps` timings of `inner` calls each, after `warmup` calls of
    both). On a shared machine whose speed drifts over seconds, timing all of a and then
    all of b puts the drift into their ratio; alternating exposes both to it alike."""
    for _ in range(warmup):
        step_a()
        step_b()
    times = ([], [])
    for r in range(reps):
        for k in ((0, 1) if r % 2 == 0 else (1, 0)):
            step = (step_a, step_b)[k]
            t0 = time.perf_counter()
            for _ in range(inner):
                step()
            times[k].append((time.perf_counter() - t0) / inner)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3
