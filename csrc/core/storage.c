/* core/storage.c - refcounted memory blocks shared by a tensor and its views.
 *
 * Our own allocations put the header and the data in one 64-byte aligned
 * block (one malloc per tensor). Memory that belongs to a NumPy array is
 * wrapped instead, keeping a reference to the array so it outlives us.
 */
#include "autograd.h"
#include "copy.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PN_HEADER_SIZE 64 /* sizeof(pn_storage) rounded up to the alignment */

/* A cache of freed blocks, reused by later tensors of the same size class.
 * A training step allocates and frees the same large activations and
 * gradients every time; given back to the system, each would come back as
 * fresh pages that the kernel must fault in and zero (8% of a small
 * Transformer's step; 9x the time of a 32 MB cat). Small blocks are cached too:
 * glibc's posix_memalign takes no fast path, and often consolidated its free
 * lists first, so that a scalar's storage cost more than a small op's kernel
 * (cached, a 1k-element sum or max(dim) takes 0.1-0.4 us less).
 * Size classes are 4 per power of two (a block is at most 25% larger than
 * asked for). Blocks under 64 KiB and larger ones are kept in two pools with
 * their own caps, so that a large block never evicts thousands of small ones.
 * When a freed block does not fit its pool, the blocks of that pool freed
 * longest ago make room for it: a cache full of sizes a program no longer
 * uses would otherwise send every new size to the system.
 * Off under AddressSanitizer, so that a use after free is still caught. */
#define PN_CACHE_MIN_LOG2  6 /* the smallest block: the 64-byte header */
#define PN_CACHE_MAX_LOG2  31
#define PN_CACHE_CLASSES   ((PN_CACHE_MAX_LOG2 - PN_CACHE_MIN_LOG2) * 4)
#define PN_CACHE_LARGE     ((size_t)64 << 10) /* the large pool's smallest block */
#define PN_CACHE_CAP       ((size_t)128 << 20)
#define PN_CACHE_SMALL_CAP ((size_t)16 << 20)
#if defined(__SANITIZE_ADDRESS__)
#define PN_CACHE_ON 0
#else
#define PN_CACHE_ON 1
#endif

/* A cached block's first bytes (its storage header while in use): its links in
 * its class's list (newest first, so reuse takes the warmest block) and in
 * its pool's list of blocks in the order they were freed. */
typedef struct cached_block {
    struct cached_block *next, *prev;   /* in its class: next is older */
    struct cached_block *older, *newer; /* in its pool */
    size_t size;
    int cls;
} cached_block;
_Static_assert(sizeof(cached_block) <= PN_HEADER_SIZE, "cache links exceed the header");

typedef struct {
    cached_block *newest, *oldest; /* the pool's blocks */
    size_t bytes, cap;             /* their total size, and its limit */
} cache_pool;

static struct {
    pthread_mutex_t mu;
    cached_block *head[PN_CACHE_CLASSES]; /* each class's newest block */
    cache_pool pool[2];                   /* small blocks, large blocks */
} cache = {PTHREAD_MUTEX_INITIALIZER,
           {NULL},
           {{NULL, NULL, 0, PN_CACHE_SMALL_CAP}, {NULL, NULL, 0, PN_CACHE_CAP}}};

static cache_pool *pool_of(size_t size) {
    return &cache.pool[size >= PN_CACHE_LARGE];
}

/* The size class of a block of n bytes: its index (-1 when not cached) and, in
 * *size, the block size it is rounded up to. */
static int cache_class(size_t n, size_t *size) {
    *size = n;
    if (!PN_CACHE_ON || n < ((size_t)1 << PN_CACHE_MIN_LOG2)) return -1;
    int e = 63 - __builtin_clzll((unsigned long long)n); /* 2^e <= n < 2^(e+1) */
    size_t step = (size_t)1 << (e - 2);
    size_t r = (n + step - 1) / step * step; /* 5, 6, 7 or 8 quarters of 2^e */
    int e2 = 63 - __builtin_clzll((unsigned long long)r);
    if (e2 >= PN_CACHE_MAX_LOG2) return -1;
    *size = r;
    return (e2 - PN_CACHE_MIN_LOG2) * 4 + (int)(r >> (e2 - 2)) - 4;
}

/* Take b out of its class's and its pool's lists (cache.mu held). */
static void cache_unlink(cached_block *b) {
    cache_pool *p = pool_of(b->size);
    if (b->prev)
        b->prev->next = b->next;
    else
        cache.head[b->cls] = b->next;
    if (b->next) b->next->prev = b->prev;
    if (b->newer)
        b->newer->older = b->older;
    else
        p->newest = b->older;
    if (b->older)
        b->older->newer = b->newer;
    else
        p->oldest = b->newer;
    p->bytes -= b->size;
}

/* Put b at the front of both lists (cache.mu held). */
static void cache_push(cached_block *b, int cls, size_t size) {
    cache_pool *p = pool_of(size);
    b->size = size;
    b->cls = cls;
    b->prev = NULL;
    b->next = cache.head[cls];
    if (b->next) b->next->prev = b;
    cache.head[cls] = b;
    b->newer = NULL;
    b->older = p->newest;
    if (b->older)
        b->older->newer = b;
    else
        p->oldest = b;
    p->newest = b;
    p->bytes += size;
}

/* Large blocks on transparent huge pages. A training step's activations and
 * gradients are megabytes each, and the GEMMs' packing and the elementwise
 * kernels stream through them: with 4 KB pages each 4 KB takes a TLB entry,
 * and a core's second-level TLB (a few thousand entries) maps 8-12 MB. Linux's
 * usual setting gives huge pages only to memory advised with MADV_HUGEPAGE (as
 * NumPy does for its arrays of 4 MB or more), so blocks of PN_HUGE_MIN bytes or
 * more are mapped here, aligned to 2 MB, and advised; the cache keeps them, so
 * each is faulted in once. Measured on an AMD EPYC (Zen 4), 1 thread: a * b on
 * (4M,) tensors 2.5-2.8 -> 1.8-2.1 ms; the GPT of bench_seq (activations of 1-4
 * MB), A/B medians of four sets of 5-7 alternating pairs, 0.92-0.99 of the time
 * before (a noisy machine). Without the cache (AddressSanitizer builds)
 * blocks stay with malloc, which the sanitizer checks. */
#if PN_CACHE_ON && defined(MADV_HUGEPAGE)
#define PN_HUGE 1
#else
#define PN_HUGE 0
#endif
#define PN_HUGE_PAGE ((size_t)2 << 20)
#define PN_HUGE_MIN  PN_HUGE_PAGE

/* Whether a block of class cls and `size` bytes is (to be) mapped by huge_alloc:
 * a class size, so a multiple of 512 KB at these sizes (whole pages). */
static int is_huge(int cls, size_t size) {
    return PN_HUGE && cls >= 0 && size >= PN_HUGE_MIN;
}

/* `size` bytes mapped at a 2 MB boundary and advised as huge pages (a kernel
 * without them keeps 4 KB pages); NULL when out of memory. */
static void *huge_alloc(size_t size) {
#if PN_HUGE
    size_t len = size + PN_HUGE_PAGE; /* size < 2^31: no overflow */
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    char *a = p + ((PN_HUGE_PAGE - (uintptr_t)p % PN_HUGE_PAGE) % PN_HUGE_PAGE);
    if (a > p) munmap(p, (size_t)(a - p));
    if (a + size < p + len) munmap(a + size, (size_t)(p + len - (a + size)));
    madvise(a, size, MADV_HUGEPAGE);
    return a;
#else
    (void)size;
    return NULL;
#endif
}

/* Give a block back to the system. */
static void sys_free(void *block, int cls, size_t size) {
    if (is_huge(cls, size))
        munmap(block, size);
    else
        free(block);
}

/* A block of `size` bytes (64-byte aligned) from the cache or the system. */
static void *block_alloc(int cls, size_t size) {
    void *block = NULL;
    if (cls >= 0) {
        pthread_mutex_lock(&cache.mu);
        cached_block *b = cache.head[cls];
        if (b) cache_unlink(b);
        pthread_mutex_unlock(&cache.mu);
        if (b) return b;
    }
    if (is_huge(cls, size)) return huge_alloc(size);
    return posix_memalign(&block, 64, size) == 0 ? block : NULL;
}

/* Give a block back: to the cache, after returning the blocks freed longest
 * ago to the system until it fits; a block larger than the whole cache goes
 * to the system itself. The system's free runs outside the lock. */
static void block_free(void *block, int cls, size_t size) {
    cache_pool *p = pool_of(size);
    if (cls < 0 || size > p->cap) {
        sys_free(block, cls, size);
        return;
    }
    cached_block *evicted = NULL; /* chained through next */
    pthread_mutex_lock(&cache.mu);
    while (p->bytes + size > p->cap) {
        cached_block *old = p->oldest;
        cache_unlink(old);
        old->next = evicted;
        evicted = old;
    }
    cache_push(block, cls, size);
    pthread_mutex_unlock(&cache.mu);
    while (evicted) {
        cached_block *next = evicted->next;
        sys_free(evicted, evicted->cls, evicted->size);
        evicted = next;
    }
}

/* What a pool of the cache holds now (large: blocks of 64 KiB or more): its
 * bytes and blocks, and its capacity (0 when the cache is off, under
 * AddressSanitizer). For tests. */
void pn_storage_cache_info(int large, size_t *bytes, size_t *blocks, size_t *capacity) {
    size_t nb = 0;
    const cache_pool *p = &cache.pool[large != 0];
    pthread_mutex_lock(&cache.mu);
    for (const cached_block *b = p->newest; b; b = b->older) nb++;
    *bytes = p->bytes;
    pthread_mutex_unlock(&cache.mu);
    *blocks = nb;
    *capacity = PN_CACHE_ON ? p->cap : 0;
}

pn_storage *pn_storage_new(int64_t nbytes) {
    if (nbytes < 0 || (uint64_t)nbytes > (uint64_t)PY_SSIZE_T_MAX - PN_HEADER_SIZE - 64) {
        PyErr_Format(PyExc_RuntimeError, "cannot allocate a tensor of %lld bytes",
                     (long long)nbytes);
        return NULL;
    }
    _Static_assert(sizeof(pn_storage) <= PN_HEADER_SIZE, "storage header too large");
    size_t size;
    int cls = cache_class(PN_HEADER_SIZE + (size_t)nbytes, &size);
    void *block = block_alloc(cls, size);
    if (!block) {
        PyErr_Format(PyExc_MemoryError, "cannot allocate a tensor of %lld bytes",
                     (long long)nbytes);
        return NULL;
    }
    pn_storage *s = block;
    s->refcount = 1;
    s->version = 0;
    s->data = (char *)block + PN_HEADER_SIZE;
    s->nbytes = nbytes;
    s->owner = NULL;
    s->readonly = 0;
    return s;
}

pn_storage *pn_storage_wrap(char *data, int64_t nbytes, PyObject *owner) {
    pn_storage *s = malloc(sizeof(pn_storage));
    if (!s) {
        PyErr_NoMemory();
        return NULL;
    }
    s->refcount = 1;
    s->version = 0;
    s->data = data;
    s->nbytes = nbytes;
    Py_XINCREF(owner);
    s->owner = owner;
    s->readonly = 0;
    return s;
}

void pn_storage_decref(pn_storage *s) {
    if (!s || --s->refcount > 0) return;
    if (s->owner) {
        Py_DECREF(s->owner);
        free(s);
    } else { /* header and data are one block */
        size_t size;
        int cls = cache_class(PN_HEADER_SIZE + (size_t)s->nbytes, &size);
        block_free(s, cls, size);
    }
}
