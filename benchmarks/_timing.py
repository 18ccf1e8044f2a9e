"""Timing shared by the benchmarks: the median over repetitions, after a warm-up."""
import atexit
import statistics
import sys
import time

# After a parallel region, PyTorch's OpenMP workers (libgomp) keep spinning on their
# cores for about 10 ms before they sleep (measured: 11 ms of CPU time, then none);
# pynet's pool threads block at once. On a machine with 2 cores, pynet timed within
# those 10 ms of a PyTorch call runs on one core: LayerNorm over 2048 x 512 at 2 threads
# took 600 us timed in alternation with PyTorch's and 305 us with PyTorch idle, and
# exp of 131k floats 79 us against 45-50 us. So every timed block of a library starts
# SETTLE_S after the other library's last call, then warmed by untimed calls of its own
# for WARM_S (at least one call), which wake its own threads: each is timed warm, the
# other's threads parked. One warm-up call was not enough on a 2-core VM: after the 30 ms
# pause pynet's second thread stayed slow for several milliseconds (GroupNorm(8, 32)
# forward + backward over (16, 32, 28, 28) at 2 threads: 0.50 ms with one warm-up call,
# 0.24 ms with 20 ms of them or with no pause, 0.44-0.51 ms at 1 thread either way).
SETTLE_S = 0.03
WARM_S = 0.02


def _cpu_ticks():
    """(steal, total) clock ticks of all CPUs so far, from Linux's /proc/stat; None
    elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _report_steal(start):
    """Print the share of CPU time the hypervisor gave to other guests (steal) since
    start. On a shared VM a burst of steal halves a thread's speed or parks the pool's
    worker for milliseconds (seen as a 2-thread step taking twice its usual time), so a
    run with more than a few percent of steal gives unreliable ratios. Written to stderr:
    the benchmarks that rerun themselves as a child read the child's stdout."""
    end = _cpu_ticks()
    if start is None or end is None or end[1] <= start[1]:
        return
    share = (end[0] - start[0]) / (end[1] - start[1])
    print(f"host steal during this run: {100 * share:.1f}% of CPU time"
          + (" (ratios unreliable)" if share > 0.05 else ""), file=sys.stderr)


atexit.register(_report_steal, _cpu_ticks())


def settle(step=None):
    """Sleep SETTLE_S (the other library's worker threads stop spinning), then, if step
    is given, call it untimed for WARM_S (at least once)."""
    time.sleep(SETTLE_S)
    if step is not None:
        t0 = time.perf_counter()
        step()
        while time.perf_counter() - t0 < WARM_S:
            step()


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
    step to it alike. Each timing starts with settle(): see SETTLE_S."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for r in range(reps):
        order = range(len(steps)) if r % 2 == 0 else reversed(range(len(steps)))
        for k in order:
            settle(steps[k])
            t0 = time.perf_counter()
            for _ in range(inner):
                steps[k]()
            times[k].append((time.perf_counter() - t0) / inner)
    return [statistics.median(t) * 1e3 for t in times]


def time_pair(step_a, step_b, reps=7, inner=3, warmup=2):
    """Median milliseconds of one call of step_a() and of step_b(), timed in alternation
    (time_rotation over the two)."""
    return tuple(time_rotation([step_a, step_b], reps, inner, warmup))


def print_beside_torch(pynet, torch, cases, width=28, digits=3, reps=7):
    """At 1 thread and at all of pynet's threads, time each case of cases, (name, make,
    inner) with make(lib) -> a step function, for pynet and (when installed) PyTorch in
    alternation (time_pair), and print a line per case: both medians in ms and pynet's
    time over PyTorch's."""
    ncores = pynet.get_num_threads()
    for threads in sorted({1, ncores}):
        pynet.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        print(f" {threads} thread(s):")
        for name, make, inner in cases:
            if torch is None:
                tp = time_step(make(pynet), reps=reps, inner=inner)
                print(f"  {name:{width}s} pynet {tp:8.{digits}f} ms", flush=True)
                continue
            tp, tt = time_pair(make(pynet), make(torch), reps=reps, inner=inner)
            print(f"  {name:{width}s} pynet {tp:8.{digits}f} ms   torch {tt:8.{digits}f} ms   "
                  f"pynet/torch {tp / tt:.2f}x", flush=True)
    pynet.set_num_threads(ncores)
