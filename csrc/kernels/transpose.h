/* transpose.h - same-dtype strided copies at memory speed: row copies and
 * cache-blocked transposes.
 *
 * pn_iter drives an elementwise copy one inner dimension at a time. When the
 * destination is contiguous along that dimension but the source is not
 * (x.t().contiguous()), every read touches a new cache line and the copy runs
 * at a fraction of memory speed; when both are contiguous only along a short
 * inner dimension ((B, T, H, D) -> (B, H, T, D) with D = 32), the per-row
 * overhead of the generic driver dominates. pn_copy_fast recognises both
 * layouts in a merged pn_iter and copies them directly:
 *
 *   rows:  the inner dimension is contiguous in both -> one memcpy per row;
 *   tiles: the inner dimension b is contiguous in the destination and another
 *          dimension a is contiguous in the source -> the (a, b) plane is
 *          copied in blocks that read and write whole cache lines (8x8 floats
 *          or 4x4 doubles transposed in AVX2 registers when the CPU has it).
 */
#ifndef PN_TRANSPOSE_H
#define PN_TRANSPOSE_H
#include "iter.h"

/* Copy it->data[1] into it->data[0] (a 2-operand iter over elements of
 * `elsize` bytes, 1, 4 or 8) if the layout has a fast path; return 1 when
 * done, 0 when the caller must run the generic loop. `parallel`: split large
 * copies across the thread pool (the caller must not hold the GIL). */
int pn_copy_fast(const pn_iter *it, size_t elsize, int parallel);

/* An 8x8 block of floats transposed: source row b (at s + b * ssb bytes, 8
 * floats a = 0..7) becomes column b of the destination rows d + a * dsa. */
void pn_transpose8x8_f32(char *d, int64_t dsa, const char *s, int64_t ssb);

#endif
