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


def time_rotation(steps, reps=7, inner=3, warmup=2):
    """Median milliseconds of one call of each of steps (a list of functions), timed in
    rotation: a b c, c b a, a b c, ... (`reps` timings of `inner` calls of each, after
    `warmup` calls of each). On a shared machine whose speed drifts over seconds, timing
    all of a and then all of b puts the drift into their ratio; rotating exposes every
    step to it alike."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for r in range(reps):
        order = range(len(steps)) if r % 2 == 0 else reversed(range(len(steps)))
        for k in order:
            t0 = time.perf_counter()
            for _ in range(inner):
                steps[k]()
            times[k].append((time.perf_counter() - t0) / inner)
    return [statistics.median(t) * 1e3 for t in times]


def time_pair(step_a, step_b, reps=7, inner=3, warmup=2):
    """Median milliseconds of one call of step_a() and of step_b(), timed in alternation
    (time_rotation over the two)."""
    return tuple(time_rotation([step_a, step_b], reps, inner, warmup))
