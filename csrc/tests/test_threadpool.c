/* test_threadpool.c - pn_parallel_for: coverage of [0, n) for many n/grain/
 * thread counts, chunk sizes >= grain, nesting (inner loops run inline, and
 * pn_parallel_threads says so), concurrent callers from several OS threads,
 * thread count changes, fork().
 * Prints "N passed, M failed" last; exit status is nonzero on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "../kernels/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n_pass, n_fail;
static pthread_mutex_t count_mu = PTHREAD_MUTEX_INITIALIZER;

static void record(int ok, const char *what) {
    pthread_mutex_lock(&count_mu);
    if (ok)
        n_pass++;
    else {
        n_fail++;
        printf("FAIL: %s\n", what);
    }
    pthread_mutex_unlock(&count_mu);
}

typedef struct {
    atomic_int *hits; /* hits[i] = times index i was visited */
    int64_t grain, n;
    atomic_int calls, small_chunks;
} cover_ctx;

static void cover_fn(void *p, int64_t b, int64_t e) {
    cover_ctx *c = p;
    atomic_fetch_add(&c->calls, 1);
    /* every chunk must hold >= grain items, unless there is only one chunk */
    if (e - b < c->grain && !(b == 0 && e == c->n)) atomic_fetch_add(&c->small_chunks, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&c->hits[i], 1);
}

static int check_cover(int64_t n, int64_t grain) {
    cover_ctx c;
    c.hits = calloc((size_t)(n > 0 ? n : 1), sizeof(atomic_int));
    c.grain = grain < 1 ? 1 : grain;
    c.n = n;
    atomic_init(&c.calls, 0);
    atomic_init(&c.small_chunks, 0);
    pn_parallel_for(n, grain, cover_fn, &c);
    int ok = atomic_load(&c.small_chunks) == 0 && atomic_load(&c.calls) <= pn_get_num_threads();
    for (int64_t i = 0; i < n; i++) ok &= atomic_load(&c.hits[i]) == 1;
    if (n <= 0) ok &= atomic_load(&c.calls) == 0;
    free(c.hits);
    return ok;
}

static void coverage_tests(void) {
    static const int64_t ns[] = {0, 1, 2, 3, 7, 64, 100, 1001, 100000};
    static const int64_t grains[] = {0, 1, 2, 5, 64, 1000000};
    for (int t = 1; t <= 5; t++) {
        pn_set_num_threads(t);
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
            for (size_t g = 0; g < sizeof grains / sizeof grains[0]; g++) {
                char what[100];
                snprintf(what, sizeof what, "cover n=%lld grain=%lld threads=%d", (long long)ns[i],
                         (long long)grains[g], t);
                record(check_cover(ns[i], grains[g]), what);
            }
    }
    pn_set_num_threads(0);
    record(pn_get_num_threads() == 1, "set_num_threads(0) clamps to 1");
}

/* pn_parallel_for_dynamic: every item once, in chunks of exactly `chunk` items
 * (the last may be shorter) starting at multiples of it, or one call [0, n)
 * when there is a single chunk or thread. */
typedef struct {
    atomic_int *hits;
    int64_t chunk, n;
    atomic_int bad;
} dyn_ctx;

static void dyn_fn(void *p, int64_t b, int64_t e) {
    dyn_ctx *c = p;
    int whole = b == 0 && e == c->n;
    if (!whole && (b % c->chunk != 0 || (e - b != c->chunk && e != c->n)))
        atomic_fetch_add(&c->bad, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void dynamic_tests(void) {
    static const int64_t ns[] = {0, 1, 2, 7, 64, 1001};
    static const int64_t chunks[] = {0, 1, 3, 64, 5000};
    for (int t = 1; t <= 3; t++) {
        pn_set_num_threads(t);
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
            for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
                dyn_ctx c = {calloc((size_t)(ns[i] > 0 ? ns[i] : 1), sizeof(atomic_int)),
                             chunks[k] < 1 ? 1 : chunks[k], ns[i], 0};
                atomic_init(&c.bad, 0);
                pn_parallel_for_dynamic(ns[i], chunks[k], dyn_fn, &c);
                int ok = atomic_load(&c.bad) == 0;
                for (int64_t j = 0; j < ns[i]; j++) ok &= atomic_load(&c.hits[j]) == 1;
                char what[100];
                snprintf(what, sizeof what, "dynamic n=%lld chunk=%lld threads=%d",
                         (long long)ns[i], (long long)chunks[k], t);
                record(ok, what);
                free(c.hits);
            }
    }
}

/* Nested: each outer chunk runs an inner parallel_for, which must run inline. */
typedef struct {
    atomic_long sum;
} nest_ctx;

static void inner_fn(void *p, int64_t b, int64_t e) {
    nest_ctx *c = p;
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&c->sum, (long)i);
}
static void outer_fn(void *p, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) pn_parallel_for(100, 1, inner_fn, p);
}

/* pn_parallel_threads inside a task: 1 (its loops run inline), on every thread. */
static void threads_fn(void *p, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++)
        if (pn_parallel_threads() != 1) atomic_fetch_add((atomic_int *)p, 1);
}

static void nesting_tests(void) {
    pn_set_num_threads(2);
    nest_ctx c;
    atomic_init(&c.sum, 0);
    pn_parallel_for(10, 1, outer_fn, &c);
    record(atomic_load(&c.sum) == 10L * 4950, "nested parallel_for");
    record(pn_parallel_threads() == 2, "pn_parallel_threads outside a loop: the thread count");
    atomic_int wrong;
    atomic_init(&wrong, 0);
    pn_parallel_for(10, 1, threads_fn, &wrong);
    pn_parallel_for_dynamic(10, 1, threads_fn, &wrong);
    record(atomic_load(&wrong) == 0, "pn_parallel_threads inside a pool task: 1");
    record(pn_parallel_threads() == 2, "pn_parallel_threads after a loop: the thread count again");
}

/* Several OS threads calling parallel_for at once. */
static void *caller_thread(void *arg) {
    int ok = 1;
    (void)arg;
    for (int r = 0; r < 300; r++) ok &= check_cover(1000 + r, 7);
    return (void *)(intptr_t)ok;
}

static void concurrency_tests(void) {
    pn_set_num_threads(2);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, caller_thread, NULL);
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok &= (int)(intptr_t)r;
    }
    record(ok, "concurrent callers");
}

/* Many back-to-back loops (exercises the spin/sleep hand-off) and a pause
 * long enough for the workers to fall asleep. */
static void handoff_tests(void) {
    pn_set_num_threads(2);
    int ok = 1;
    for (int r = 0; r < 2000; r++) ok &= check_cover(50, 1);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    ok &= check_cover(50, 1);
    record(ok, "many small loops, then after sleep");
}

static void fork_tests(void) {
    pn_set_num_threads(2);
    record(check_cover(1000, 1), "before fork");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* child: the pool must be rebuilt from scratch, not wait on dead workers */
        int ok = 1;
        for (int r = 0; r < 50; r++) ok &= check_cover(1000, 1);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    alarm(30); /* a deadlocked child would hang the test */
    waitpid(pid, &st, 0);
    alarm(0);
    record(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "parallel_for in forked child");
    record(check_cover(1000, 1), "parent after fork");
}

int main(void) {
    int def = pn_get_num_threads();
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    record(def >= 1 && def <= (online > 0 ? online : def), "default thread count");
    printf("default threads: %d\n", def);
    coverage_tests();
    dynamic_tests();
    nesting_tests();
    concurrency_tests();
    handoff_tests();
    fork_tests();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail != 0;
}
