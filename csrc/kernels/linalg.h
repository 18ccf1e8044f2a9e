/* linalg.h - the sweeps of the Jacobi eigenvalue and singular value methods, in double.
 *
 * pynet.linalg (Python) reduces eigh and svd to these loops: they rotate pairs of rows
 * until every off-diagonal pair is negligible, O(n^3) work per sweep that Python could
 * only drive one rotation at a time. Single-threaded and in a fixed order (cyclic by
 * rows: (0,1), (0,2), ..., (n-2,n-1)), so the result never depends on threads.
 */
#ifndef PN_LINALG_H
#define PN_LINALG_H
#include <stdint.h>

/* Symmetric a (n, n, row-major, both triangles) -> a with its off-diagonal rotated
 * away (the eigenvalues on the diagonal, unsorted) and vt (n, n; start it at the
 * identity) the accumulated rotations, the eigenvectors as ROWS (a_in = vt^T diag(a) vt). A pair
 * (p, q) is rotated unless |a_pq| <= eps sqrt(|a_pp a_qq|). Returns the number of sweeps run, or -1
 * if max_sweeps were not enough. */
int pn_jacobi_eigh_f64(double *a, double *vt, int64_t n, int max_sweeps);

/* One-sided (Hestenes) Jacobi on the columns of a matrix given by its transpose:
 * ut (n, m, row-major: row j is column j) is rotated until its rows are mutually
 * orthogonal (|<u_p, u_q>| <= eps sqrt(|u_p|^2 |u_q|^2)), and vt (n, n) accumulates the
 * same rotations (start it at the identity): then a = ut^T-after times vt, i.e. the rows
 * of ut are sigma_j u_j and the rows of vt are the right singular vectors. Returns the
 * number of sweeps run, or -1 if max_sweeps were not enough. */
int pn_jacobi_svd_f64(double *ut, double *vt, int64_t n, int64_t m, int max_sweeps);

#endif
