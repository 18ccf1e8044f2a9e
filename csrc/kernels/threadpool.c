/* threadpool.c - persistent pthread pool behind pn_parallel_for.
 *
 * One loop at a time runs on the pool (call_mu, taken with trylock: a second
 * OS thread that finds the pool busy runs its loop inline instead).
 *
 * A loop is a "job" in one of NSLOTS slots of a ring; job g (g = 1, 2, ...)
 * lives in slots[g % NSLOTS]. Chunks of a job are claimed with an atomic
 * counter, so whoever comes first runs them:
 *   - the caller fills the slot (chunk 0 reserved for itself, the others
 *     claimable), sets refs = number of workers and publishes it by storing
 *     gen = g under pool.mu, then broadcasts work_cv;
 *   - the caller runs chunk 0, then keeps claiming chunks. If a worker is
 *     slow to wake up (sleeping, or its core busy with another process), the
 *     caller simply runs that worker's chunk itself instead of waiting;
 *   - the caller then waits only for chunks that a worker has actually
 *     started (done == nchunks: spinning briefly, then on done_cv);
 *   - each worker waits for gen to move past the last job it has seen
 *     (spinning briefly, then sleeping on work_cv), then for every job it
 *     has not seen yet claims and runs chunks until none are left and
 *     decrements that job's refs. A slot is reused only once refs == 0, so
 *     a late worker never reads a slot that is being overwritten. With 64
 *     slots, a worker would have to miss 64 loops in a row for the caller to
 *     wait on it (then it waits on slot_cv).
 */
#define _GNU_SOURCE
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PN_MAX_THREADS 256
#define NSLOTS         64
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
    pn_range_fn fn;
    void *ctx;
    int64_t n;
    int nchunks;
    atomic_int next; /* next chunk to claim (chunk 0 is the caller's) */
    atomic_int done; /* chunks finished */
    atomic_int refs; /* workers that have not yet finished with this slot */
} job_t;

static struct {
    pthread_mutex_t mu; /* for the condition variables below */
    pthread_cond_t work_cv, done_cv, slot_cv;
    atomic_uint_fast64_t gen; /* jobs published so far */
    int nworkers;             /* worker threads created (only the call_mu holder changes it) */
    job_t slots[NSLOTS];
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER,
          .work_cv = PTHREAD_COND_INITIALIZER,
          .done_cv = PTHREAD_COND_INITIALIZER,
          .slot_cv = PTHREAD_COND_INITIALIZER};

static pthread_mutex_t call_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int num_threads; /* 0 = not yet decided */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* Set while this thread runs a pool chunk (worker or caller): nested loops run inline. */
static _Thread_local int in_task;
/* Generation when worker i was created: it serves only later jobs (it is not
 * counted in the refs of earlier ones), whenever it actually starts running. */
static uint_fast64_t start_gen[PN_MAX_THREADS];

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

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spin-wait step i of a wait that started at *deadline == 0. Returns 0 once
 * PN_SPIN_NS have passed. Every 64 steps it reads the clock and yields the
 * CPU, in case the thread we wait for shares this core. */
static int spin_step(unsigned i, int64_t *deadline) {
    cpu_relax();
    if ((i & 63) == 0) {
        int64_t t = now_ns();
        if (*deadline == 0)
            *deadline = t + PN_SPIN_NS;
        else if (t > *deadline)
            return 0;
        sched_yield();
    }
    return 1;
}

/* Chunk c of nchunks over [0, n): near-equal contiguous pieces. */
static inline void chunk_bounds(int64_t n, int nchunks, int c, int64_t *b, int64_t *e) {
    int64_t q = n / nchunks, r = n % nchunks;
    *b = c * q + (c < r ? c : r);
    *e = *b + q + (c < r ? 1 : 0);
}

static void run_chunk(job_t *j, int c) {
    int64_t b, e;
    chunk_bounds(j->n, j->nchunks, c, &b, &e);
    j->fn(j->ctx, b, e);
    if (atomic_fetch_add_explicit(&j->done, 1, memory_order_acq_rel) + 1 == j->nchunks) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.done_cv);
        pthread_mutex_unlock(&pool.mu);
    }
}

/* Claim and run chunks of j until none are left. */
static void run_claimed(job_t *j) {
    for (;;) {
        int c = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (c >= j->nchunks) return;
        run_chunk(j, c);
    }
}

static void *worker_main(void *arg) {
    uint_fast64_t seen = start_gen[(int)(intptr_t)arg];
    in_task = 1;
    for (;;) {
        int64_t deadline = 0;
        for (unsigned i = 1; atomic_load_explicit(&pool.gen, memory_order_acquire) == seen; i++)
            if (!spin_step(i, &deadline)) break;
        uint_fast64_t g = atomic_load_explicit(&pool.gen, memory_order_acquire);
        if (g == seen) {
            pthread_mutex_lock(&pool.mu);
            while ((g = atomic_load(&pool.gen)) == seen) pthread_cond_wait(&pool.work_cv, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        for (uint_fast64_t h = seen + 1; h <= g; h++) {
            job_t *j = &pool.slots[h % NSLOTS];
            run_claimed(j);
            if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) == 1) {
                pthread_mutex_lock(&pool.mu);
                pthread_cond_broadcast(&pool.slot_cv);
                pthread_mutex_unlock(&pool.mu);
            }
        }
        seen = g;
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
    pthread_cond_init(&pool.slot_cv, NULL);
    pthread_mutex_init(&call_mu, NULL);
    atomic_store(&pool.gen, 0);
    for (int s = 0; s < NSLOTS; s++) {
        atomic_store(&pool.slots[s].refs, 0);
        atomic_store(&pool.slots[s].next, 0);
        atomic_store(&pool.slots[s].done, 0);
    }
    pool.nworkers = 0;
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

int pn_parallel_threads(void) {
    return in_task ? 1 : pn_get_num_threads();
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

    uint_fast64_t g = atomic_load(&pool.gen) + 1;
    job_t *j = &pool.slots[g % NSLOTS];
    if (atomic_load_explicit(&j->refs, memory_order_acquire) > 0) {
        /* A worker has not caught up with the job that used this slot
         * NSLOTS loops ago; wait for it (rare). */
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&j->refs) > 0) pthread_cond_wait(&pool.slot_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    j->fn = fn;
    j->ctx = ctx;
    j->n = n;
    j->nchunks = nchunks;
    atomic_store(&j->next, 1); /* chunk 0 is ours */
    atomic_store(&j->done, 0);
    atomic_store(&j->refs, nw);
    pthread_mutex_lock(&pool.mu);
    atomic_store_explicit(&pool.gen, g, memory_order_release);
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);

    in_task = 1;
    run_chunk(j, 0);
    run_claimed(j); /* chunks no worker has picked up yet */
    in_task = 0;

    /* Wait for the chunks workers are running. */
    int64_t deadline = 0;
    for (unsigned i = 1; atomic_load_explicit(&j->done, memory_order_acquire) < nchunks; i++)
        if (!spin_step(i, &deadline)) break;
    if (atomic_load_explicit(&j->done, memory_order_acquire) < nchunks) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&j->done) < nchunks) pthread_cond_wait(&pool.done_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    pthread_mutex_unlock(&call_mu);
}

typedef struct {
    pn_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next; /* first item of the next unclaimed chunk */
} dynamic_loop;

/* One pool thread's part of pn_parallel_for_dynamic: claim chunks until none are left. */
static void claim_chunks(void *v, int64_t begin, int64_t end) {
    dynamic_loop *d = v;
    (void)begin, (void)end;
    for (;;) {
        int64_t b = atomic_fetch_add_explicit(&d->next, d->chunk, memory_order_relaxed);
        if (b >= d->n) return;
        d->fn(d->ctx, b, d->n - b < d->chunk ? d->n : b + d->chunk);
    }
}

void pn_parallel_for_dynamic(int64_t n, int64_t chunk, pn_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (chunk < 1) chunk = 1;
    int64_t nchunks = (n + chunk - 1) / chunk;
    int nt = pn_get_num_threads();
    if (nchunks <= 1 || nt <= 1 || in_task) {
        fn(ctx, 0, n); /* one chunk: fn's own loops may still use the pool */
        return;
    }
    dynamic_loop d = {fn, ctx, n, chunk, 0};
    atomic_init(&d.next, 0);
    pn_parallel_for(nchunks < nt ? nchunks : nt, 1, claim_chunks, &d);
}
