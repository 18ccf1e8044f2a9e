/* core/storage.c - refcounted memory blocks shared by a tensor and its views.
 *
 * Our own allocations put the header and the data in one 64-byte aligned
 * block (one malloc per tensor). Memory that belongs to a NumPy array is
 * wrapped instead, keeping a reference to the array so it outlives us.
 */
#include "autograd.h"
#include "copy.h"
#include <stdlib.h>

#define PN_HEADER_SIZE 64 /* sizeof(pn_storage) rounded up to the alignment */

pn_storage *pn_storage_new(int64_t nbytes) {
    if (nbytes < 0 || (uint64_t)nbytes > (uint64_t)PY_SSIZE_T_MAX - PN_HEADER_SIZE - 64) {
        PyErr_Format(PyExc_RuntimeError, "cannot allocate a tensor of %lld bytes",
                     (long long)nbytes);
        return NULL;
    }
    _Static_assert(sizeof(pn_storage) <= PN_HEADER_SIZE, "storage header too large");
    void *block = NULL;
    if (posix_memalign(&block, 64, PN_HEADER_SIZE + (size_t)nbytes) != 0 || !block) {
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
    } else {
        free(s); /* header and data are one block */
    }
}
