/* linalg_api.c - _C._jacobi_eigh_ and _C._jacobi_svd_: the Jacobi sweeps of
 * pynet.linalg's eigh and svd (kernels/linalg.c) over a batch of matrices, in place. */
#include "pyapi.h"
#include "../kernels/linalg.h"

#define PN_JACOBI_MAX_SWEEPS 60

/* t is a contiguous float64 (B, rows, cols) tensor (cols = -1: any) */
static int is_batch(const PNTensor *t, int64_t rows, int64_t cols) {
    return t->dtype == PN_FLOAT64 && t->ndim == 3 && pn_is_contiguous(t) && t->shape[1] == rows &&
           (cols < 0 || t->shape[2] == cols);
}

/* The B problems one after another with the GIL released; -1 if one did not converge. */
static int run_batch(PNTensor *x, PNTensor *vt, int svd) {
    int64_t b = x->shape[0], n = x->shape[1], m = x->shape[2];
    int ok = 1;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t i = 0; i < b && ok; i++) {
        double *xi = (double *)x->data + i * n * m, *vi = (double *)vt->data + i * n * n;
        ok = (svd ? pn_jacobi_svd_f64(xi, vi, n, m, PN_JACOBI_MAX_SWEEPS)
                  : pn_jacobi_eigh_f64(xi, vi, n, PN_JACOBI_MAX_SWEEPS)) >= 0;
    }
    Py_END_ALLOW_THREADS
    pn_bump_version(x);
    pn_bump_version(vt);
    return ok ? 0 : -1;
}

/* _jacobi_eigh_(a, vt): symmetric a (B, n, n) rotated to diagonal, vt (B, n, n), the
 * identity on entry, gets the eigenvectors as rows (pn_jacobi_eigh_f64). */
static PyObject *jacobi_eigh(PyObject *m, PyObject *args) {
    (void)m;
    PNTensor *a, *vt;
    if (!PyArg_ParseTuple(args, "O!O!:_jacobi_eigh_", &PNTensor_Type, &a, &PNTensor_Type, &vt))
        return NULL;
    int64_t n = a->ndim == 3 ? a->shape[1] : -1;
    if (!is_batch(a, n, n) || !is_batch(vt, n, n) || vt->shape[0] != a->shape[0])
        return PyErr_Format(PyExc_RuntimeError,
                            "_jacobi_eigh_: expected contiguous float64 (B, n, n) tensors");
    if (run_batch(a, vt, 0) < 0)
        return PyErr_Format(PyExc_RuntimeError, "linalg.eigh: The algorithm failed to converge "
                                                "(Jacobi sweeps did not settle)");
    Py_RETURN_NONE;
}

/* _jacobi_svd_(ut, vt): ut (B, n, m) (columns of a as rows) orthogonalised, vt (B, n, n),
 * the identity on entry, gets the right singular vectors as rows (pn_jacobi_svd_f64). */
static PyObject *jacobi_svd(PyObject *m, PyObject *args) {
    (void)m;
    PNTensor *ut, *vt;
    if (!PyArg_ParseTuple(args, "O!O!:_jacobi_svd_", &PNTensor_Type, &ut, &PNTensor_Type, &vt))
        return NULL;
    int64_t n = ut->ndim == 3 ? ut->shape[1] : -1;
    if (!is_batch(ut, n, -1) || !is_batch(vt, n, n) || vt->shape[0] != ut->shape[0])
        return PyErr_Format(PyExc_RuntimeError,
                            "_jacobi_svd_: expected contiguous float64 (B, n, m) and (B, n, n)");
    if (run_batch(ut, vt, 1) < 0)
        return PyErr_Format(PyExc_RuntimeError, "linalg.svd: The algorithm failed to converge "
                                                "(Jacobi sweeps did not settle)");
    Py_RETURN_NONE;
}

PyMethodDef pn_module_methods_linalg[] = {{"_jacobi_eigh_", jacobi_eigh, METH_VARARGS, NULL},
                                          {"_jacobi_svd_", jacobi_svd, METH_VARARGS, NULL},
                                          {NULL, NULL, 0, NULL}};
