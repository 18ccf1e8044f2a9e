/* core/storage.c - refcounted memory blocks shared by a tensor and its views.
 *
 * Our own allocations put the header and the data in one 64-byte aligned
 * block (one malloc per tensor). Memory that belongs to a NumPy array is
 * wrapped instead, keeping a reference to the array so it outlives us.
 */
#include "autograd.h"
#include "copy.h"
#include <pthread.h>
#include <stdlib.h>

#define PN_HEADER_SIZE 64 /* sizeof(pn_storage) rounded up to the alignment */

/* A cache of freed blocks of 64 KiB or more, reused by later tensors of the
 * same size class. A training step allocates and frees the same large
 * activations and gradients every time; given back to the system, each would
 * come back as fresh pages that the kernel must fault in and zero (8% of a
 * small Transformer's step; 9x the time of a 32 MB cat). Size classes are 4 per
 * power of two (a block is at most 25% larger than asked for); at most
 * PN_CACHE_CAP bytes are kept. When a freed block does not fit, the blocks
 * freed longest ago make room for it: a cache full of sizes a program no
 * longer uses would otherwise send every new size to the system.
 * Off under AddressSanitizer, so that a use after free is still caught. */
#define PN_CACHE_MIN_LOG2 16
#define PN_CACHE_MAX_LOG2 31
#define PN_CACHE_CLASSES  ((PN_CACHE_MAX_LOG2 - PN_CACHE_MIN_LOG2) * 4)
#define PN_CACHE_CAP      ((size_t)128 << 20)
#if defined(__SANITIZE_ADDRESS__)
#define PN_CACHE_ON 0
#else
#define PN_CACHE_ON 1
#endif

/* A cached block's first bytes (its storage header while in use): its links in
 * its class's list (newest first, so reuse takes the warmest block) and in
 * the list of all cached blocks in the order they were freed. */
typedef struct cached_block {
    struct cached_block *next, *prev;   /* in its class: next is older */
    struct cached_block *older, *newer; /* over all classes */
    size_t size;
    int cls;
} cached_block;
_Static_assert(sizeof(cached_block) <= PN_HEADER_SIZE, "cache links exceed the header");

static struct {
    pthread_mutex_t mu;
    cached_block *head[PN_CACHE_CLASSES]; /* each class's newest block */
    cached_block *newest, *oldest;        /* all cached blocks */
    size_t bytes;                         /* their total size */
} cache = {PTHREAD_MUTEX_INITIALIZER, {NULL}, NULL, NULL, 0};

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

/* Take b out of both lists (cache.mu held). */
static void cache_unlink(cached_block *b) {
    if (b->prev)
        b->prev->next = b->next;
    else
        cache.head[b->cls] = b->next;
    if (b->next) b->next->prev = b->prev;
    if (b->newer)
        b->newer->older = b->older;
    else
        cache.newest = b->older;
    if (b->older)
        b->older->newer = b->newer;
    else
        cache.oldest = b->newer;
    cache.bytes -= b->size;
}

/* Put b at the front of both lists (cache.mu held). */
static void cache_push(cached_block *b, int cls, size_t size) {
    b->size = size;
    b->cls = cls;
    b->prev = NULL;
    b->next = cache.head[cls];
    if (b->next) b->next->prev = b;
    cache.head[cls] = b;
    b->newer = NULL;
    b->older = cache.newest;
    if (b->older)
        b->older->newer = b;
    else
        cache.oldest = b;
    cache.newest = b;
    cache.bytes += size;
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
    return posix_memalign(&block, 64, size) == 0 ? block : NULL;
}

/* Give a block back: to the cache, after returning the blocks freed longest
 * ago to the system until it fits; a block larger than the whole cache goes
 * to the system itself. The system's free runs outside the lock. */
static void block_free(void *block, int cls, size_t size) {
    if (cls < 0 || size > PN_CACHE_CAP) {
        free(block);
        return;
    }
    cached_block *evicted = NULL; /* chained through next */
    pthread_mutex_lock(&cache.mu);
    while (cache.bytes + size > PN_CACHE_CAP) {
        cached_block *old = cache.oldest;
        cache_unlink(old);
        old->next = evicted;
        evicted = old;
    }
    cache_push(block, cls, size);
    pthread_mutex_unlock(&cache.mu);
    while (evicted) {
        cached_block *next = evicted->next;
        free(evicted);
        evicted = next;
    }
}

/* What the cache holds now: its bytes and blocks, and its capacity (0 when
 * the cache is off, under AddressSanitizer). For tests. */
void pn_storage_cache_info(size_t *bytes, size_t *blocks, size_t *capacity) {
    size_t nb = 0;
    pthread_mutex_lock(&cache.mu);
    for (cached_block *b = cache.newest; b; b = b->older) nb++;
    *bytes = cache.bytes;
    pthread_mutex_unlock(&cache.mu);
    *blocks = nb;
    *capacity = PN_CACHE_ON ? PN_CACHE_CAP : 0;
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
