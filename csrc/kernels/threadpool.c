/* threadpool.c - persistent pthread pool behind pn_parallel_for.
 *
 * Protocol (one job at a time, guarded by call_mu):
 *   - The caller writes the job (fn, ctx, chunk boundaries) into `pool`,
 *     sets pending = number of workers, and bumps the generation counter
 *     `gen` under pool.mu, then broadcasts work_cv.
 *   - Each worker waits until gen differs from the last generation it
 *     served (first spinning, then sleeping on work_cv), runs its chunk if
 *     there is one, and decrements pending. Every worker acknowledges every
 *     job, even one without a chunk for it, so the caller knows no worker
 *     still reads the job description when it publishes the next one.
 *   - The caller runs chunk 0 itself, then waits for pending == 0 (spinning
 *     briefly, then on done_cv).
 */
#define _GNU_SOURCE
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PN_MAX_THREADS 256
/* How long an idle worker (or a caller waiting for workers) spins before
 * sleeping on a condition variable. Waking a sleeping thread costs tens of
 * microseconds (measured 30-100 us on a 2-vCPU VM), longer than many GEMMs of
 * a training step; spinning this long keeps back-to-back calls cheap without
 * burning a core for long when the program is doing something else. */
#define PN_SPIN_NS 100000
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

typedef struct {
    pthread_mutex_t mu; /* protects gen changes (for the condvars) and nworkers */
    pthread_cond_t work_cv, done_cv;
    atomic_uint_fast64_t gen; /* job generation; workers wait for it to change */
    atomic_int pending;       /* workers that have not yet acknowledged the job */
    int nworkers;             /* worker threads created so far */
    /* The current job (written by the caller before gen is bumped). */
    pn_range_fn fn;
    void *ctx;
    int64_t n;
    int nchunks;
} pool_t;

static pool_t pool = {PTHREAD_MUTEX_INITIALIZER,
                      PTHREAD_COND_INITIALIZER,
                      PTHREAD_COND_INITIALIZER,
                      0,
                      0,
                      0,
                      NULL,
                      NULL,
                      0,
                      0};
/* Serialises users of the pool; taken with trylock, a busy pool means "run inline". */
static pthread_mutex_t call_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int num_threads; /* 0 = not yet decided */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* Set while this thread runs a pool chunk (worker or caller): nested loops run inline. */
static _Thread_local int in_task;
/* Generation at the time worker i was created: a new worker must not miss the
 * job published right after it was created, whenever it actually starts. */
static uint_fast64_t start_gen[PN_MAX_THREADS];

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spin while *v == unchanged, for at most PN_SPIN_NS. */
static void spin_while_equal(atomic_uint_fast64_t *v, uint_fast64_t unchanged) {
    int64_t deadline = 0;
    for (unsigned i = 1; atomic_load_explicit(v, memory_order_acquire) == unchanged; i++) {
        cpu_relax();
        if ((i & 63) == 0) { /* read the clock only now and then */
            int64_t t = now_ns();
            if (deadline == 0)
                deadline = t + PN_SPIN_NS;
            else if (t > deadline)
                return;
        }
    }
}

/* Spin while *v != 0, for at most PN_SPIN_NS. */
static void spin_while_nonzero(atomic_int *v) {
    int64_t deadline = 0;
    for (unsigned i = 1; atomic_load_explicit(v, memory_order_acquire) != 0; i++) {
        cpu_relax();
        if ((i & 63) == 0) {
            int64_t t = now_ns();
            if (deadline == 0)
                deadline = t + PN_SPIN_NS;
            else if (t > deadline)
                return;
        }
    }
}

static int default_threads(void) {
    int n = 0;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
    if (n < 1) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    return n > PN_MAX_THREADS ? PN_MAX_THREADS : n;
}

int pn_get_num_threads(void) {
    int n = atomic_load(&num_threads);
    if (n == 0) {
        int expect = 0;
        atomic_compare_exchange_strong(&num_threads, &expect, default_threads());
        n = atomic_load(&num_threads);
    }
    return n;
}

void pn_set_num_threads(int n) {
    if (n < 1) n = 1;
    if (n > PN_MAX_THREADS) n = PN_MAX_THREADS;
    atomic_store(&num_threads, n);
}

/* Chunk c of nchunks over [0, n): near-equal contiguous pieces. */
static inline void chunk_bounds(int64_t n, int nchunks, int c, int64_t *b, int64_t *e) {
    int64_t q = n / nchunks, r = n % nchunks;
    *b = c * q + (c < r ? c : r);
    *e = *b + q + (c < r ? 1 : 0);
}

static void *worker_main(void *arg) {
    int id = (int)(intptr_t)arg; /* runs chunk id + 1 */
    uint_fast64_t seen = start_gen[id];
    in_task = 1;
    for (;;) {
        uint_fast64_t g;
        spin_while_equal(&pool.gen, seen);
        if ((g = atomic_load_explicit(&pool.gen, memory_order_acquire)) == seen) {
            pthread_mutex_lock(&pool.mu);
            while ((g = atomic_load(&pool.gen)) == seen) pthread_cond_wait(&pool.work_cv, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = g;
        int c = id + 1;
        if (c < pool.nchunks) {
            int64_t b, e;
            chunk_bounds(pool.n, pool.nchunks, c, &b, &e);
            pool.fn(pool.ctx, b, e);
        }
        if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.done_cv);
            pthread_mutex_unlock(&pool.mu);
        }
    }
    return NULL;
}

/* In the child of fork() only the forking thread exists: forget the workers
 * (they are not there) and re-initialise the synchronisation objects, which
 * may have been held by threads that do not exist any more. */
static void atfork_child(void) {
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.work_cv, NULL);
    pthread_cond_init(&pool.done_cv, NULL);
    pthread_mutex_init(&call_mu, NULL);
    atomic_store(&pool.gen, 0);
    atomic_store(&pool.pending, 0);
    pool.nworkers = 0;
    pool.nchunks = 0;
    in_task = 0;
}

static void register_atfork(void) {
    pthread_atfork(NULL, NULL, atfork_child);
}

/* Make sure at least `want` workers exist; returns how many there are. */
static int ensure_workers(int want) {
    while (pool.nworkers < want) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        start_gen[pool.nworkers] = atomic_load(&pool.gen);
        int rc = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)pool.nworkers);
        pthread_attr_destroy(&attr);
        if (rc != 0) break; /* run with the workers we have */
        pool.nworkers++;
    }
    return pool.nworkers;
}

static void run_inline(int64_t n, pn_range_fn fn, void *ctx) {
    int saved = in_task;
    in_task = 1;
    fn(ctx, 0, n);
    in_task = saved;
}

void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t maxchunks = n / grain;
    int nt = pn_get_num_threads();
    int nchunks = maxchunks < nt ? (int)(maxchunks < 1 ? 1 : maxchunks) : nt;
    if (nchunks <= 1 || in_task) {
        run_inline(n, fn, ctx);
        return;
    }
    pthread_once(&atfork_once, register_atfork);
    if (pthread_mutex_trylock(&call_mu) != 0) { /* pool busy with another thread's loop */
        run_inline(n, fn, ctx);
        return;
    }
    /* Only the call_mu holder creates workers or publishes jobs. */
    int nw = ensure_workers(nchunks - 1);
    if (nw < nchunks - 1) nchunks = nw + 1;
    if (nchunks <= 1) {
        pthread_mutex_unlock(&call_mu);
        run_inline(n, fn, ctx);
        return;
    }

    pthread_mutex_lock(&pool.mu);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.nchunks = nchunks;
    atomic_store(&pool.pending, nw);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);

    int64_t b, e;
    chunk_bounds(n, nchunks, 0, &b, &e);
    in_task = 1;
    fn(ctx, b, e);
    in_task = 0;

    spin_while_nonzero(&pool.pending);
    if (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.done_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    pthread_mutex_unlock(&call_mu);
}
