"""Convolutions (F.conv1d/conv2d, nn.Conv1d/Conv2d), unfold/fold, against PyTorch.

Differential tests draw random geometries (sizes, strides, paddings, dilations, groups
incl. depthwise, 1x1, empty batches) and compare outputs and the gradients of input,
weight and bias with torch in float32 and float64, on contiguous and non-contiguous
inputs. Without torch those skip one by one; the rest runs anyway: gradcheck and double
backward by finite differences in float64, conv == unfold + matmul, the course's worked
numbers, 1 vs 2 threads bit-identical, errors.
"""
import numpy as np
import pytest

import pynet
import pynet.nn.functional as F
from conftest import torch
from pynet.autograd import gradcheck

# torch warns that its own 'same' padding with an even kernel copies the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-11)}


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(p, ref, dtype):
    if torch is not None and isinstance(ref, torch.Tensor):
        ref = ref.detach().numpy()
    got = p.detach().numpy()
    assert got.shape == np.shape(ref), (got.shape, np.shape(ref))
    # long float32 sums (weight gradients) cancel: absolute tolerance scaled by the magnitude
    scale = max(1.0, float(np.abs(ref).max())) if np.size(ref) else 1.0
    np.testing.assert_allclose(got, ref, rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale)


def leaf_and_view(lib, a, dtype, nc):
    """(leaf, tensor passed to the op, leaf gradient -> gradient of that tensor). With nc the
    tensor is a non-contiguous view: a transpose of a transposed copy, or (1-D) a strided
    slice of a bigger buffer."""
    a = a.astype(dtype)
    if not nc:
        t = lib.tensor(a, requires_grad=True)
        return t, t, lambda g: g
    if a.ndim >= 2 and min(a.shape[-2:]) > 1:
        t = lib.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), requires_grad=True)
        v, back = t.transpose(-1, -2), (lambda g: g.transpose(-1, -2))
    else:  # every other row of a buffer twice as tall
        big = np.zeros((a.shape[0] * 2,) + a.shape[1:], dtype=dtype)
        big[::2] = a
        t = lib.tensor(big, requires_grad=True)
        v, back = t[::2], (lambda g: g[::2])
    assert not v.is_contiguous() or a.shape[0] <= 1
    return t, v, back


def run(lib, fn, arrays, dtype, g, nc=False):
    """fn's output after backward(g), and the gradients of its tensor arguments (g may be a
    function of the output shape)."""
    ls = [None if a is None else leaf_and_view(lib, a, dtype, nc) for a in arrays]
    y = fn(*[None if l is None else l[1] for l in ls])
    if callable(g):  # drawn once the output shape is known
        g = g(tuple(y.shape))
    y.backward(lib.tensor(g.astype(dtype)))
    return y, [None if l is None else l[2](l[0].grad) for l in ls]


def parity(pfn, tfn, arrays, dtype, nc=False, seed=9):
    """Output and every gradient of pfn (pynet, non-contiguous inputs with nc) against
    tfn (torch)."""
    drawn = []
    ty, tgrads = run(torch, tfn, arrays, dtype, lambda shape: drawn.append(
        rnd(*shape, seed=seed)) or drawn[0])
    g = drawn[0]  # each function runs once (modules with running statistics)
    py, pgrads = run(pynet, pfn, arrays, dtype, g, nc)
    close(py, ty, dtype)
    for a, pg, tg in zip(arrays, pgrads, tgrads):
        if a is not None:
            close(pg, tg, dtype)
    return py


def random_conv_case(seed, nd):
    """(x, w, b arrays, kwargs) of a random valid convolution of nd spatial dims."""
    r = np.random.default_rng(seed)
    groups = int(r.choice([1, 1, 2, 3]))
    cin, cout = groups * int(r.integers(1, 4)), groups * int(r.integers(1, 4))
    k = [int(r.integers(1, 4)) for _ in range(nd)]
    s = [int(r.integers(1, 4)) for _ in range(nd)]
    d = [int(r.integers(1, 3)) for _ in range(nd)]
    p = [int(r.integers(0, 3)) for _ in range(nd)]
    size = [max(int(r.integers(1, 9)), d[i] * (k[i] - 1) + 1 - 2 * p[i]) for i in range(nd)]
    n = int(r.integers(1, 4))
    x = rnd(n, cin, *size, seed=seed)
    w = rnd(cout, cin // groups, *k, seed=seed + 1)
    b = rnd(cout, seed=seed + 2) if r.random() < 0.7 else None
    return x, w, b, dict(stride=tuple(s), padding=tuple(p), dilation=tuple(d), groups=groups)


# ------------------------------------------------------------ parity with torch

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(10))
def test_conv2d_random_matches_torch(need_torch, seed, dtype):
    x, w, b, kw = random_conv_case(seed, 2)
    parity(lambda *a: F.conv2d(*a, **kw), lambda *a: torch.nn.functional.conv2d(*a, **kw),
           [x, w, b], dtype, nc=seed % 3 == 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(6))
def test_conv1d_random_matches_torch(need_torch, seed, dtype):
    x, w, b, kw = random_conv_case(100 + seed, 1)
    parity(lambda *a: F.conv1d(*a, **kw), lambda *a: torch.nn.functional.conv1d(*a, **kw),
           [x, w, b], dtype, nc=seed % 2 == 0)


@pytest.mark.parametrize("case", [
    # (x shape, w shape, kwargs): depthwise, depthwise multiplier, 1x1 (the direct path),
    # 1x1 strided/padded (im2col again), dilation, rectangular, 'same'/'valid', even kernels
    ((2, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),
    ((2, 4, 6, 5), (8, 1, 3, 3), dict(stride=2, groups=4)),
    ((3, 8, 5, 6), (4, 8, 1, 1), dict()),
    ((2, 8, 5, 6), (8, 2, 1, 1), dict(groups=4)),
    ((2, 3, 6, 6), (4, 3, 1, 1), dict(stride=2, padding=1)),
    ((1, 2, 11, 9), (3, 2, 3, 2), dict(dilation=(2, 3), padding=(2, 1))),
    ((2, 3, 8, 7), (4, 3, 4, 2), dict(padding="same")),
    ((2, 3, 8, 7), (4, 3, 2, 3), dict(padding="same", dilation=(3, 2))),
    ((2, 3, 8, 7), (4, 3, 3, 3), dict(padding="valid", stride=(2, 1))),
    ((2, 3, 40, 40), (5, 3, 3, 3), dict(padding=1)),
    ((3, 1, 9, 8), (4, 1, 3, 2), dict(stride=(2, 1), dilation=(1, 2))),  # one-channel image
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_special_cases_match_torch(need_torch, case, dtype):
    xs, ws, kw = case
    parity(lambda *a: F.conv2d(*a, **kw), lambda *a: torch.nn.functional.conv2d(*a, **kw),
           [rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2)], dtype)


def depthwise_cases():
    """Depthwise convolutions (groups == in channels: kernels/conv.c's direct plane loops
    for channel multipliers 1 and 2, im2col + GEMM for 3): every kernel size 1/3/5 x
    multiplier x stride 1/2 x dilation 1/2 x padding 0/1/'same' (stride 1 only), odd
    spatial sizes, batch 1 or 3 and contiguous or not in turn, bias or none."""
    cases = []
    for k in (1, 3, 5):
        for mult in (1, 2, 3):
            for s in (1, 2):
                for d in (1, 2):
                    for pad in (0, 1, "same"):
                        if pad == "same" and s > 1 or mult == 3 and (d, pad) != (1, 1):
                            continue
                        t = len(cases)
                        span = d * (k - 1) + 1  # the input must fit the dilated kernel
                        h, w = max(7 + 2 * (t % 3), span) | 1, max(9 - 2 * (t % 2), span) | 1
                        cases.append(((1 + 2 * (t % 2), 4, h, w), (4 * mult, 1, k, k),
                                      dict(stride=s, dilation=d, padding=pad, groups=4),
                                      t % 4 == 1, t % 5 != 2))
    return cases


@pytest.mark.parametrize("xs,ws,kw,nc,bias", depthwise_cases())
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_depthwise_conv2d_matches_torch(need_torch, xs, ws, kw, nc, bias, dtype):
    """Output and the gradients of input, weight and bias against torch."""
    parity(lambda *a: F.conv2d(*a, **kw), lambda *a: torch.nn.functional.conv2d(*a, **kw),
           [rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2) if bias else None], dtype, nc=nc)


@pytest.mark.parametrize("xs,ws,kw", [
    ((3, 5, 11), (5, 1, 3), dict(padding=1, groups=5)),
    ((1, 3, 12), (6, 1, 5), dict(stride=2, dilation=2, padding=3, groups=3)),
    ((2, 4, 9), (8, 1, 4), dict(padding="same", dilation=2, groups=4)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_depthwise_conv1d_matches_torch(need_torch, xs, ws, kw, dtype):
    parity(lambda *a: F.conv1d(*a, **kw), lambda *a: torch.nn.functional.conv1d(*a, **kw),
           [rnd(*xs), rnd(*ws, seed=1), rnd(ws[0], seed=2)], dtype, nc=True)


@pytest.mark.parametrize("mult,kw", [(1, dict(padding=1)), (2, dict(stride=2, dilation=2,
                                                                      padding=2))])
def test_depthwise_float32_error_no_worse_than_im2col(mult, kw):
    """float32 depthwise (direct loops) against a float64 reference, beside the same
    convolution run through im2col + GEMM: a dense weight (groups=1) that is zero outside
    the depthwise blocks gives the same sums (the zero terms add exactly) and its weight
    gradient's diagonal blocks are the depthwise one."""
    C, N, H, W = 8, 4, 33, 31
    x64 = rnd(N, C, H, W).astype(np.float32).astype(np.float64)
    w64 = rnd(C * mult, 1, 3, 3, seed=1).astype(np.float32).astype(np.float64)
    dense = np.zeros((C * mult, C, 3, 3))
    for o in range(C * mult):
        dense[o, o // mult] = w64[o, 0]

    def grads(w, dtype, **extra):
        xt = pynet.tensor(x64.astype(dtype), requires_grad=True)
        wt = pynet.tensor(w.astype(dtype), requires_grad=True)
        y = F.conv2d(xt, wt, **kw, **extra)
        y.backward(pynet.tensor(rnd(*y.shape, seed=3).astype(np.float32).astype(dtype)))
        dw = wt.grad.numpy().astype(np.float64)
        if w.shape[1] > 1:  # the dense weight: its depthwise blocks
            dw = np.stack([dw[o, o // mult] for o in range(C * mult)])[:, None]
        return [t.numpy().astype(np.float64) for t in (y.detach(), xt.grad)] + [dw]

    ref = grads(w64, "float64", groups=C)
    direct, gemm = grads(w64, "float32", groups=C), grads(dense, "float32")
    for name, r, a, b in zip(("y", "dx", "dw"), ref, direct, gemm):
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5 * np.abs(r).max())
        # both sum y and dx in float in some order (measured RMS ratio direct/GEMM 0.9 to
        # 1.3: the same accuracy up to the order); dw: 8 float lanes per plane, planes added
        # in double (0.4 to 0.6 of the GEMM's error)
        rms_direct, rms_gemm = np.sqrt(np.mean((a - r) ** 2)), np.sqrt(np.mean((b - r) ** 2))
        assert rms_direct <= (1.5 if name != "dw" else 1.0) * rms_gemm, (name, rms_direct,
                                                                        rms_gemm)


def test_conv1d_same_padding_matches_torch(need_torch):
    for k, d in [(4, 1), (3, 2), (2, 3)]:
        kw = dict(padding="same", dilation=d)
        parity(lambda *a: F.conv1d(*a, **kw), lambda *a: torch.nn.functional.conv1d(*a, **kw),
               [rnd(2, 3, 9), rnd(5, 3, k, seed=1), None], "float64")


def test_unbatched_and_empty_batch_match_torch(need_torch):
    TF = torch.nn.functional
    parity(lambda *a: F.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1),
           [rnd(3, 5, 6), rnd(4, 3, 3, 3, seed=1), rnd(4, seed=2)], "float64")
    parity(lambda *a: F.conv1d(*a, stride=2), lambda *a: TF.conv1d(*a, stride=2),
           [rnd(3, 7), rnd(4, 3, 3, seed=1), rnd(4, seed=2)], "float64")
    parity(lambda *a: F.conv2d(*a), lambda *a: TF.conv2d(*a),
           [rnd(0, 3, 5, 5), rnd(4, 3, 3, 3, seed=1), rnd(4, seed=2)], "float32")
    # zero input channels: the output is the bias
    y = F.conv2d(pynet.zeros(1, 0, 4, 4), pynet.zeros(3, 0, 3, 3), pynet.ones(3))
    assert y.shape == (1, 3, 2, 2) and y.sum().item() == 12.0


def test_large_image_uses_several_column_blocks_and_matches_torch(need_torch):
    # C kh kw = 288 rows: a 4 MB float32 workspace holds 3640 columns, so 64 x 64 = 4096
    # output positions need two blocks (the weight gradient's 512 KB blocks: ten, of 7
    # output rows)
    kw = dict(padding=1)
    parity(lambda *a: F.conv2d(*a, **kw), lambda *a: torch.nn.functional.conv2d(*a, **kw),
           [rnd(2, 32, 64, 64), rnd(4, 32, 3, 3, seed=1), rnd(4, seed=2)], "float32")


# --------------------------------------------------- no torch: math identities

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weight_gradient_in_column_blocks_narrower_than_a_row(dtype):
    # The weight gradient builds the column matrix in blocks of at most 512 KB: with
    # C kh kw = 1440 rows that is 91 float32 (45 float64) output positions, less than
    # one output row of 100, so blocks start and end inside rows (and padding).
    x, w = rnd(2, 160, 5, 100, seed=11), rnd(3, 160, 3, 3, seed=12)
    xt, wt = pynet.tensor(x.astype(dtype)), pynet.tensor(w.astype(dtype), requires_grad=True)
    y = F.conv2d(xt, wt, padding=1)
    g = rnd(*y.shape, seed=13)
    y.backward(pynet.tensor(g.astype(dtype)))
    xp = np.pad(x.astype(dtype).astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    g64 = g.astype(dtype).astype(np.float64)
    ref = np.stack([np.stack([np.einsum("nopq,ncpq->oc", g64, xp[:, :, i:i + 5, j:j + 100])
                              for j in range(3)], -1) for i in range(3)], -2)
    mag = np.stack([np.stack([np.einsum("nopq,ncpq->oc", np.abs(g64),
                                        np.abs(xp[:, :, i:i + 5, j:j + 100]))
                              for j in range(3)], -1) for i in range(3)], -2)
    assert wt.grad.shape == ref.shape
    tol = 1e-5 if dtype == "float32" else 1e-13
    assert np.all(np.abs(wt.grad.numpy() - ref) <= tol * mag), np.abs(wt.grad.numpy() - ref).max()


def test_conv_is_unfold_then_matmul():
    x, w, b = rnd(2, 3, 7, 6), rnd(4, 3, 3, 2, seed=1), rnd(4, seed=2)
    px, pw, pb = pynet.tensor(x), pynet.tensor(w), pynet.tensor(b)
    y = F.conv2d(px, pw, pb, stride=(2, 1), padding=1, dilation=(1, 2))
    cols = F.unfold(px, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))  # (2, 18, L)
    ref = pw.reshape(4, -1).matmul(cols) + pb.reshape(1, 4, 1)
    close(y, ref.reshape(y.shape).numpy(), "float64")
    # and a direct NumPy sum at one output position
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    v = b[2] + sum(w[2, c, i, j] * xp[1, c, 2 * 1 + i, 3 + 2 * j]
                   for c in range(3) for i in range(3) for j in range(2))
    assert abs(y[1, 2, 1, 3].item() - v) < 1e-12


def conv2d_numpy(x, w, b, stride, padding, dilation, groups):
    """Direct float64 convolution, tap by tap over strided views of the padded input."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    O, Cg, kh, kw = w.shape
    Ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    Wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    Og = O // groups
    y = np.zeros((x.shape[0], O, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, :, i * dh:i * dh + sh * (Ho - 1) + 1:sh, j * dw:j * dw + sw * (Wo - 1) + 1:sw]
            for g in range(groups):
                y[:, g * Og:(g + 1) * Og] += np.einsum(
                    "oc,nchw->nohw", w[g * Og:(g + 1) * Og, :, i, j], tap[:, g * Cg:(g + 1) * Cg])
    return y if b is None else y + b.reshape(1, O, 1, 1)


def panel_case(r):
    """A random float32 convolution whose forward builds its columns in the GEMM's panels:
    more than two micro-kernel rows of output channels per group (24 with the AVX-512
    kernel, 12 with AVX2; fewer, and the GEMM reads the columns in place) and an item's
    column matrix over 32 KB (csrc/kernels/conv.c: panels_pay)."""
    while True:
        groups = int(r.choice([1, 2]))
        cin, cout = groups * int(r.integers(1, 5)), groups * int(r.integers(25, 33))
        k, s, d, p = ([int(v) for v in r.integers(lo, hi, 2)] for lo, hi in
                      [(1, 6), (1, 3), (1, 3), (0, 3)])
        size = [int(r.integers(max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]), 71)) for i in range(2)]
        out = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
        if cin // groups * k[0] * k[1] * out[0] * out[1] * 4 > 32 * 1024:
            return (cin, cout, size, k), dict(stride=tuple(s), padding=tuple(p),
                                             dilation=tuple(d), groups=groups)


@pytest.mark.parametrize("seed", range(12))
def test_float32_forward_matches_a_direct_sum(seed):
    # output rows up to 70 wide run across the panels' 8, 16 or 32 lanes and the GEMM's
    # column blocks, with padded borders, strides, dilations and groups
    (cin, cout, size, k), kw = panel_case(np.random.default_rng(100 + seed))
    x, w = rnd(2, cin, *size, seed=seed), rnd(cout, cin // kw["groups"], *k, seed=seed + 1)
    b = rnd(cout, seed=seed + 2)
    got = F.conv2d(*(pynet.tensor(a.astype(np.float32)) for a in (x, w, b)), **kw).numpy()
    ref = conv2d_numpy(x.astype(np.float32).astype(np.float64),
                       w.astype(np.float32).astype(np.float64), b.astype(np.float32), **kw)
    mag = conv2d_numpy(np.abs(x), np.abs(w), np.abs(b), **kw)
    assert got.shape == ref.shape
    # float32 sums of at most 4 * 25 products: far inside 1e-5 of the sum of magnitudes
    assert np.all(np.abs(got - ref) <= 1e-5 * mag), np.abs(got - ref).max()


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_float32_forward_matches_a_direct_sum_at_every_row_width(padding):
    # stride 1: each panel row is copied in runs as long as an output row (or the part
    # of it in one sliver of lanes), from the zero-padded copy of the image when padded;
    # widths 1..40 take every run length the copies special-case (under 4, 8, 16, and
    # long runs ending in an overlapping block)
    for width in range(1, 41):
        height = max(3, 400 // width + 1)  # an item's column matrix over 32 KB: panels
        x, w, b = rnd(2, 4, height, width, seed=width), rnd(25, 4, 3, 3, seed=99), rnd(25)
        if width + 2 * padding < 3:
            continue
        got = F.conv2d(*(pynet.tensor(a.astype(np.float32)) for a in (x, w, b)),
                       padding=padding).numpy()
        ref = conv2d_numpy(x.astype(np.float32).astype(np.float64),
                           w.astype(np.float32).astype(np.float64), b.astype(np.float32),
                           (1, 1), (padding, padding), (1, 1), 1)
        mag = conv2d_numpy(np.abs(x), np.abs(w), np.abs(b), (1, 1), (padding, padding),
                           (1, 1), 1)
        assert got.shape == ref.shape
        assert np.all(np.abs(got - ref) <= 1e-5 * mag), (width, np.abs(got - ref).max())


def test_float32_panels_of_an_image_too_large_for_the_padded_copy():
    # A padded image is copied with its zero border when the copy fits the 4 MB
    # workspace (csrc/kernels/conv.c: pad_pays); 4 channels of 514 x 514 do not, and
    # the panels are then built from the image itself, checking the border per tap.
    # (The input gradient, with fewer input than output channels, is w^T dy + col2im.)
    kw = dict(stride=(1, 1), padding=(1, 2), dilation=(1, 1), groups=1)
    x, w = rnd(1, 4, 512, 510, seed=3), rnd(25, 4, 3, 5, seed=4)
    xt = pynet.tensor(x.astype(np.float32), requires_grad=True)
    y = F.conv2d(xt, pynet.tensor(w.astype(np.float32)), **kw)
    x64, w64 = x.astype(np.float32).astype(np.float64), w.astype(np.float32).astype(np.float64)
    ref, mag = conv2d_numpy(x64, w64, None, **kw), conv2d_numpy(np.abs(x64), np.abs(w64), None, **kw)
    assert y.shape == ref.shape
    assert np.all(np.abs(y.detach().numpy() - ref) <= 1e-5 * mag)
    g = rnd(*y.shape, seed=5).astype(np.float32)
    y.backward(pynet.tensor(g))
    ref = conv2d_input_grad_numpy(g.astype(np.float64), w64, x.shape, **kw)
    mag = conv2d_input_grad_numpy(np.abs(g.astype(np.float64)), np.abs(w64), x.shape, **kw)
    assert np.all(np.abs(xt.grad.numpy() - ref) <= 1e-5 * mag)


def conv2d_input_grad_numpy(g, w, x_shape, stride, padding, dilation, groups):
    """The adjoint of conv2d_numpy in x: each tap's gradient scattered back, tap by tap."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, W = x_shape
    O, Cg, kh, kw = w.shape
    Og, (Ho, Wo) = O // groups, g.shape[2:]
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)
            for k in range(groups):
                dxp[:, k * Cg:(k + 1) * Cg, rows, cols] += np.einsum(
                    "oc,nohw->nchw", w[k * Og:(k + 1) * Og, :, i, j], g[:, k * Og:(k + 1) * Og])
    return dxp[:, :, ph:ph + H, pw:pw + W]


# Depthwise geometries for the plane kernels' row path (stride 1 along rows, kernels up to
# 16 a side): rows wide enough for blocks of 16 and 8 outputs and every tail length 1..7,
# rows narrower than 8, padding wider than the kernel reaches, dilation, multiplier 2
# (the input gradient summed over two output channels), the 3x3 kernel (compiled with
# constant sizes) beside others, a row stride of 2 (the forward takes the row path, the
# input gradient the tap loops), and a kernel over 16 wide (the tap loops throughout).
# (N, C, H, W), multiplier, (kh, kw), stride, padding, dilation
ROW_PATH_CASES = [
    ((2, 3, 6, 57), 1, (3, 3), (1, 1), (1, 1), (1, 1)),
    ((1, 2, 5, 40), 1, (3, 3), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 4, 26), 2, (3, 3), (1, 1), (2, 3), (1, 2)),
    ((2, 2, 7, 5), 1, (3, 3), (1, 1), (1, 1), (1, 1)),
    ((1, 3, 6, 33), 1, (5, 5), (1, 1), (2, 2), (1, 1)),
    ((1, 2, 6, 23), 2, (2, 4), (1, 1), (1, 5), (2, 1)),
    ((1, 2, 5, 19), 1, (1, 7), (1, 1), (0, 9), (1, 3)),
    ((1, 2, 9, 30), 1, (3, 3), (2, 1), (1, 1), (1, 1)),
    ((1, 2, 3, 41), 1, (1, 17), (1, 1), (0, 8), (1, 1)),
] + [((1, 2, 4, w), 1, (3, 3), (1, 1), (1, 1), (1, 1)) for w in range(8, 26)] + [
    # padding wider than the row (every output an edge): these wrote past the row's end
    ((1, 4, 2, 2), 1, (7, 7), (1, 1), (3, 3), (1, 1)),
    ((1, 1, 1, 3), 1, (1, 4), (1, 1), (1, 2), (1, 2)),
    ((1, 1, 2, 1), 1, (1, 5), (1, 1), (0, 2), (1, 1)),
    ((2, 3, 3, 1), 2, (3, 9), (1, 1), (1, 5), (1, 1)),
    ((1, 2, 2, 2), 1, (2, 16), (1, 1), (1, 9), (1, 1)),
]


@pytest.mark.parametrize("xs,mult,k,stride,padding,dilation", ROW_PATH_CASES)
def test_depthwise_row_path_matches_a_direct_sum(xs, mult, k, stride, padding, dilation):
    C = xs[1]
    x, w = rnd(*xs), rnd(C * mult, 1, *k, seed=1)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=C)
    xt, wt = pynet.tensor(x, requires_grad=True), pynet.tensor(w)
    y = F.conv2d(xt, wt, **kw)
    np.testing.assert_allclose(y.detach().numpy(), conv2d_numpy(x, w, None, **kw), rtol=1e-12,
                               atol=1e-12)
    g = rnd(*y.shape, seed=2)
    y.backward(pynet.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), conv2d_input_grad_numpy(g, w, xs, **kw),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs,mult,k,stride,padding,dilation", ROW_PATH_CASES[-5:])
def test_depthwise_transpose_with_wide_padding_matches_a_direct_sum(xs, mult, k, stride,
                                                                     padding, dilation):
    # conv_transpose2d(g, w) is conv2d's input gradient: the same row path, where
    # dilation * (k - 1) - padding exceeds the width
    C = xs[1]
    w = rnd(C * mult, 1, *k, seed=1)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=C)
    g = rnd(*F.conv2d(pynet.tensor(rnd(*xs)), pynet.tensor(w), **kw).shape, seed=2)
    y = F.conv_transpose2d(pynet.tensor(g), pynet.tensor(w), **kw)
    np.testing.assert_allclose(y.numpy(), conv2d_input_grad_numpy(g, w, xs, **kw), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("seed", range(16))
def test_float32_input_gradient_at_stride_1_matches_the_adjoint(seed):
    # At stride 1 the float32 input gradient is computed as a forward convolution of dy
    # with the flipped kernel (csrc/kernels/conv.c: flipped_forward_pays) when that
    # convolution builds its columns in the GEMM's panels: more than 24 input channels
    # per group (panel_case). Paddings up to and past (k - 1) dilation (past it: the col2im route),
    # dilations, groups, rectangular kernels and images, against the scattered sum.
    r = np.random.default_rng(300 + seed)
    groups = int(r.choice([1, 2]))
    cin, cout = groups * int(r.integers(25, 33)), groups * int(r.integers(1, 20))
    k, d = [int(v) for v in r.integers(1, 6, 2)], [int(v) for v in r.integers(1, 3, 2)]
    p = [int(r.integers(0, (k[i] - 1) * d[i] + 2)) for i in range(2)]
    size = [int(r.integers(max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]), 40)) for i in range(2)]
    kw = dict(stride=(1, 1), padding=tuple(p), dilation=tuple(d), groups=groups)
    x = rnd(2, cin, *size, seed=seed).astype(np.float32)
    w = rnd(cout, cin // groups, *k, seed=seed + 1).astype(np.float32)
    xt = pynet.tensor(x, requires_grad=True)
    y = F.conv2d(xt, pynet.tensor(w), **kw)
    g = rnd(*y.shape, seed=seed + 2).astype(np.float32)
    y.backward(pynet.tensor(g))
    w64, g64 = w.astype(np.float64), g.astype(np.float64)
    ref = conv2d_input_grad_numpy(g64, w64, x.shape, **kw)
    mag = conv2d_input_grad_numpy(np.abs(g64), np.abs(w64), x.shape, **kw)
    assert xt.grad.shape == x.shape
    # float32 sums of at most 19 * 25 products (per group): far inside 1e-5 of the sum of magnitudes
    assert np.all(np.abs(xt.grad.numpy() - ref) <= 1e-5 * mag), np.abs(xt.grad.numpy() - ref).max()


def test_fold_is_adjoint_of_unfold():
    x, c = rnd(2, 3, 6, 5), rnd(2, 3 * 2 * 2, 18, seed=1)
    kw = dict(kernel_size=2, dilation=(2, 1), padding=1, stride=(2, 1))
    u = F.unfold(pynet.tensor(x), **kw).numpy()
    assert u.shape == (2, 12, 18)  # Ho = (6 + 2 - 2 - 1) // 2 + 1 = 3, Wo = 6
    f = F.fold(pynet.tensor(c), (6, 5), **kw).numpy()
    assert abs((u * c).sum() - (x * f).sum()) < 1e-10


def test_course_numbers():
    # 7x7 input, 3x3 filter: 5x5 at stride 1, 3x3 at stride 2, and PyTorch floors stride 3 to 2x2
    x, w = pynet.randn(1, 1, 7, 7), pynet.randn(1, 1, 3, 3)
    assert F.conv2d(x, w).shape == (1, 1, 5, 5)
    assert F.conv2d(x, w, stride=2).shape == (1, 1, 3, 3)
    assert F.conv2d(x, w, stride=3).shape == (1, 1, 2, 2)
    assert F.conv2d(x, w, stride=np.int64(2)).shape == (1, 1, 3, 3)  # any integer type
    # 32x32x3 input, ten 5x5 filters, stride 1, pad 2 -> 32x32x10 and 760 parameters
    conv = pynet.nn.Conv2d(3, 10, 5, stride=1, padding=2)
    assert conv(pynet.randn(1, 3, 32, 32)).shape == (1, 10, 32, 32)
    assert sum(p.numel() for p in conv.parameters()) == 760


def test_known_values_by_hand():
    # a 3x3 input of 1..9 with a 2x2 filter of ones: sums of each 2x2 window
    x = pynet.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = F.conv2d(x, pynet.ones(1, 1, 2, 2))
    assert y.reshape(-1).tolist() == [12.0, 16.0, 24.0, 28.0]
    # the gradient of the sum counts how many windows read each input
    x.requires_grad_(True)
    F.conv2d(x, pynet.ones(1, 1, 2, 2)).sum().backward()
    assert x.grad.reshape(-1).tolist() == [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]


# ---------------------------------------------------------- gradcheck (float64)

GRAD_CASES = [
    (2, (2, 4, 5, 5), (4, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
    (2, (1, 3, 6, 5), (2, 3, 2, 3), dict(dilation=(2, 1), padding=(1, 0))),
    (2, (2, 3, 4, 4), (3, 1, 3, 3), dict(padding="same", groups=3)),
    (2, (2, 4, 3, 3), (2, 4, 1, 1), dict()),
    (1, (2, 2, 7), (3, 2, 3), dict(stride=2, padding=1, dilation=2)),
    (2, (2, 2, 5, 6), (4, 1, 3, 2), dict(stride=(2, 1), dilation=(1, 2), padding=1, groups=2)),
]


def conv_fn(nd):
    return F.conv2d if nd == 2 else F.conv1d


@pytest.mark.parametrize("nd,xs,ws,kw", GRAD_CASES)
def test_gradcheck(nd, xs, ws, kw):
    ins = (pynet.tensor(rnd(*xs), requires_grad=True),
           pynet.tensor(rnd(*ws, seed=1), requires_grad=True),
           pynet.tensor(rnd(ws[0], seed=2), requires_grad=True))
    assert gradcheck(lambda x, w, b: conv_fn(nd)(x, w, b, **kw), ins)


@pytest.mark.parametrize("nd,xs,ws,kw", GRAD_CASES[:2] + GRAD_CASES[3:])
def test_double_backward_gradcheck(nd, xs, ws, kw):
    """gradcheck of the first derivatives taken with create_graph=True, the upstream
    gradient an input too: checks all second derivatives of the convolution."""
    x = pynet.tensor(rnd(*xs), requires_grad=True)
    w = pynet.tensor(rnd(*ws, seed=1), requires_grad=True)
    b = pynet.tensor(rnd(ws[0], seed=2), requires_grad=True)
    g = pynet.tensor(rnd(*conv_fn(nd)(x, w, b, **kw).shape, seed=3), requires_grad=True)

    def first(x, w, b, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(conv_fn(nd)(x, w, b, **kw), (x, w, b), g,
                                       create_graph=True)
    assert gradcheck(first, (x, w, b, g), atol=1e-7, rtol=1e-5)


def test_unfold_fold_gradcheck():
    x = pynet.tensor(rnd(2, 2, 5, 4), requires_grad=True)
    assert gradcheck(lambda x: F.unfold(x, (2, 3), padding=1, stride=(2, 1)), (x,))
    c = pynet.tensor(rnd(2, 8, 6), requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (3, 4), 2), (c,))
    # second order: the backward of each is the other, recorded under create_graph
    g = pynet.tensor(rnd(2, 12, 24, seed=3), requires_grad=True)

    def first(x, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(F.unfold(x * x, (2, 3), padding=1), (x,), g,
                                       create_graph=True)
    assert gradcheck(first, (x, g))


def test_grad_fn_names():
    x = pynet.randn(1, 2, 4, 4, requires_grad=True)
    w = pynet.randn(3, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert "ConvolutionBackward0" in repr(y.grad_fn)
    gx, = pynet.autograd.grad(y.sum(), (x,), create_graph=True)
    assert "ConvolutionBackwardBackward0" in repr(gx.grad_fn)
    assert "Im2ColBackward0" in repr(F.unfold(x, 2).grad_fn)
    assert "Col2ImBackward0" in repr(F.fold(F.unfold(x, 2), (4, 4), 2).grad_fn)


def test_double_backward_matches_torch(need_torch):
    x, w, b, kw = random_conv_case(7, 2)
    b = rnd(w.shape[0], seed=3)
    res = []
    for lib, fn in ((pynet, F.conv2d), (torch, torch.nn.functional.conv2d)):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = fn(*ts, **kw)
        gx, gw = (lib.autograd.grad((y * y).sum(), ts[:2], create_graph=True))
        ((gx * gx).sum() + (gw ** 3).sum()).backward()
        res.append([t.grad for t in ts])
    for p, t in zip(*res):
        close(p, t, "float64")


# ----------------------------------------------------------------- threads

def test_one_and_two_threads_bit_identical():
    prev = pynet.get_num_threads()
    cases = [((8, 16, 12, 12), (16, 16, 3, 3), dict(padding=1)),
             ((8, 16, 12, 12), (16, 1, 3, 3), dict(padding=1, groups=16)),
             ((3, 16, 13, 11), (32, 1, 5, 5), dict(stride=2, dilation=2, padding=3, groups=16)),
             ((1, 64, 9, 9), (64, 1, 3, 3), dict(padding="same", groups=64)),
             ((8, 32, 10, 10), (8, 32, 1, 1), dict()),
             ((1, 8, 30, 30), (8, 8, 3, 3), dict(stride=2)),
             # 11 items: the weight gradient's 8 batch slices are uneven and outnumber threads
             ((11, 4, 9, 9), (6, 4, 3, 3), dict(padding=1))]
    try:
        for xs, ws, kw in cases:
            out = []
            for nt in (1, 2, 3, 1):
                pynet.set_num_threads(nt)
                x = pynet.tensor(rnd(*xs).astype("float32"), requires_grad=True)
                w = pynet.tensor(rnd(*ws, seed=1).astype("float32"), requires_grad=True)
                b = pynet.tensor(rnd(ws[0], seed=2).astype("float32"), requires_grad=True)
                y = F.conv2d(x, w, b, **kw)
                y.backward(pynet.tensor(rnd(*y.shape, seed=3).astype("float32")))
                u = F.unfold(x.detach(), 3, padding=1)
                out.append([t.numpy().tobytes() for t in (y.detach(), x.grad, w.grad, b.grad, u)])
            assert out[0] == out[1] == out[2] == out[3], (xs, ws, kw)
    finally:
        pynet.set_num_threads(prev)


# ------------------------------------------------------------------ errors

BAD_CALLS = [
    # (name, input shape, weight shape, kwargs)
    ("channels", (1, 2, 5, 5), (3, 3, 3, 3), {}),
    ("kernel too large", (1, 3, 2, 2), (3, 3, 3, 3), {}),
    ("dilated kernel too large", (1, 3, 4, 4), (3, 3, 3, 3), dict(dilation=2)),
    ("groups not dividing out channels", (1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2)),
    ("groups not dividing in channels", (1, 5, 5, 5), (4, 2, 3, 3), dict(groups=2)),
    ("zero stride", (1, 3, 5, 5), (3, 3, 3, 3), dict(stride=0)),
    ("negative stride", (1, 3, 5, 5), (3, 3, 3, 3), dict(stride=(1, -1))),
    ("negative padding", (1, 3, 5, 5), (3, 3, 3, 3), dict(padding=-1)),
    ("zero dilation", (1, 3, 5, 5), (3, 3, 3, 3), dict(dilation=0)),
    ("zero groups", (1, 3, 5, 5), (3, 3, 3, 3), dict(groups=0)),
    ("same with stride", (1, 3, 5, 5), (3, 3, 3, 3), dict(padding="same", stride=2)),
    ("bad padding string", (1, 3, 5, 5), (3, 3, 3, 3), dict(padding="full")),
    ("2-D input", (5, 5), (3, 3, 3, 3), {}),
    ("5-D input", (1, 1, 3, 5, 5), (3, 3, 3, 3), {}),
    ("3-D weight", (1, 3, 5, 5), (3, 3, 3), {}),
    ("stride of 3 values", (1, 3, 5, 5), (3, 3, 3, 3), dict(stride=(1, 1, 1))),
    ("float padding", (1, 3, 5, 5), (3, 3, 3, 3), dict(padding=1.5)),
    ("empty weight", (1, 3, 5, 5), (0, 3, 3, 3), {}),
]


def call_both(lib, fn, xs, ws, kw, xdt="float32", wdt="float32", bias=None):
    x = lib.tensor(rnd(*xs).astype(xdt))
    w = lib.tensor(rnd(*ws, seed=1).astype(wdt))
    return fn(x, w, bias, **kw)


@pytest.mark.parametrize("name,xs,ws,kw", BAD_CALLS)
def test_errors_match_torch(need_torch, name, xs, ws, kw):
    with pytest.raises(Exception) as te:
        call_both(torch, torch.nn.functional.conv2d, xs, ws, kw)
    with pytest.raises(Exception) as pe:
        call_both(pynet, F.conv2d, xs, ws, kw)
    assert type(pe.value) is type(te.value), (name, pe.value, te.value)
    # the same words, except where torch's message comes from its internals (a 3-D weight
    # reports conv1d's stride check)
    if type(te.value) is RuntimeError and name != "3-D weight":
        assert str(pe.value) == str(te.value), name


def test_dtype_and_bias_errors_match_torch(need_torch):
    TF = torch.nn.functional
    for xdt, wdt in (("float32", "float64"), ("float64", "float32")):
        msgs = []
        for lib, fn in ((torch, TF.conv2d), (pynet, F.conv2d)):
            with pytest.raises(RuntimeError) as e:
                call_both(lib, fn, (1, 3, 5, 5), (2, 3, 3, 3), {}, xdt, wdt)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    for lib, fn in ((torch, TF.conv2d), (pynet, F.conv2d)):
        with pytest.raises(RuntimeError, match="bias"):
            call_both(lib, fn, (1, 3, 5, 5), (2, 3, 3, 3), {}, bias=lib.ones(3))
        with pytest.raises(RuntimeError, match="bias type"):
            call_both(lib, fn, (1, 3, 5, 5), (2, 3, 3, 3), {}, bias=lib.ones(2).double())


def test_error_messages_name_the_sizes():
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 5, 5\] to have 3 channels, "
                                           r"but got 2 channels instead"):
        pynet.nn.Conv2d(3, 8, 3)(pynet.randn(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match=r"padded input size per channel: \(2 x 2\)\. "
                                           r"Kernel size: \(5 x 5\)"):
        F.conv2d(pynet.randn(1, 3, 2, 2), pynet.randn(3, 3, 3, 3), dilation=2)
    with pytest.raises(RuntimeError, match=r"Given groups=2, expected weight to be divisible "
                                           r"by 2 at dimension 0"):
        F.conv2d(pynet.randn(1, 4, 5, 5), pynet.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 5\] to have 3 channels"):
        F.conv1d(pynet.randn(1, 2, 5), pynet.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv1d(pynet.randn(1, 3, 5), pynet.randn(2, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv2d(pynet.randn(1, 3, 5, 5), pynet.randn(2, 3, 3, 3), padding=(0, -1))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.conv2d(pynet.randn(1, 3, 5, 5), pynet.randn(2, 3, 3, 3).double())
    with pytest.raises(NotImplementedError):  # integer convolutions are not implemented
        F.conv2d(pynet.ones(1, 3, 5, 5).long(), pynet.ones(2, 3, 3, 3).long())
    with pytest.raises(TypeError):
        F.conv2d([[1.0]], pynet.randn(2, 3, 3, 3))


UNFOLD_BAD = [
    ("unfold", (2, 3, 5, 5), dict(kernel_size=6)),
    ("unfold", (2, 3, 5, 5), dict(kernel_size=3, stride=0)),
    ("unfold", (2, 3, 5, 5), dict(kernel_size=3, padding=-1)),
    ("unfold", (2, 3, 5, 5), dict(kernel_size=3, dilation=0)),
    ("unfold", (2, 3, 5, 5), dict(kernel_size=0)),
    ("unfold", (2, 3, 5, 5), dict(kernel_size=(3, 3, 3))),
    ("fold", (2, 27, 9), dict(output_size=(6, 5), kernel_size=3)),
    ("fold", (2, 26, 9), dict(output_size=(5, 5), kernel_size=3)),
    ("fold", (2, 27, 9, 1), dict(output_size=(5, 5), kernel_size=3)),
    ("fold", (2, 27, 9), dict(output_size=(2, 2), kernel_size=3)),
]


@pytest.mark.parametrize("fn,xs,kw", UNFOLD_BAD)
def test_unfold_fold_errors_match_torch(need_torch, fn, xs, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.nn.functional, fn)(torch.randn(*xs), **kw)
    with pytest.raises(Exception) as pe:
        getattr(F, fn)(pynet.randn(*xs), **kw)
    assert type(pe.value) is type(te.value)
    assert str(pe.value) == str(te.value)


# ------------------------------------------------------------ unfold / fold

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [
    dict(kernel_size=3), dict(kernel_size=(2, 3), stride=(2, 1), padding=1, dilation=(1, 2)),
    dict(kernel_size=1, stride=2)])
def test_unfold_fold_match_torch(need_torch, kw, dtype):
    TF = torch.nn.functional
    x = rnd(2, 3, 7, 6)
    u = parity(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), [x], dtype, nc=True)
    c = rnd(*u.shape, seed=4)
    parity(lambda a: F.fold(a, (7, 6), **kw), lambda a: TF.fold(a, (7, 6), **kw), [c], dtype)
    # unbatched forms
    parity(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), [x[0]], dtype)
    parity(lambda a: F.fold(a, (7, 6), **kw), lambda a: TF.fold(a, (7, 6), **kw), [c[0]], dtype)


# ------------------------------------------------------------------ modules

def test_conv_modules_parameters_repr_and_init():
    m = pynet.nn.Conv2d(3, 8, 3)
    assert repr(m) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.shape == (8, 3, 3, 3) and m.bias.shape == (8,)
    m = pynet.nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False,
                        padding_mode="reflect", dtype=pynet.float64)
    assert repr(m) == ("Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), "
                       "dilation=(2, 2), groups=2, bias=False, padding_mode=reflect)")
    assert m.bias is None and m.weight.dtype == pynet.float64 and m.weight.shape == (8, 2, 3, 5)
    assert repr(pynet.nn.Conv1d(4, 8, 3, groups=2, padding="same")) == \
        "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same, groups=2)"
    assert repr(pynet.nn.Unfold(3)) == "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)"
    # PyTorch's init: weight and bias uniform in +-1/sqrt(fan_in), fan_in = 16 * 3 * 3
    m = pynet.nn.Conv2d(32, 64, 3, groups=2)
    w, b, bound = m.weight.detach().numpy(), m.bias.detach().numpy(), 1 / np.sqrt(144)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound  # uniform, not a narrower law
    assert abs(w.mean()) < 0.05 * bound


@pytest.mark.parametrize("kw", [dict(in_channels=3, out_channels=8, kernel_size=0, groups=2),
                                dict(in_channels=4, out_channels=7, kernel_size=3, groups=2),
                                dict(in_channels=4, out_channels=8, kernel_size=3, groups=0),
                                dict(in_channels=4, out_channels=8, kernel_size=3, padding="x"),
                                dict(in_channels=4, out_channels=8, kernel_size=3,
                                     padding="same", stride=2),
                                dict(in_channels=4, out_channels=8, kernel_size=3,
                                     padding_mode="mirror")])
def test_conv_module_constructor_errors(kw):
    with pytest.raises(ValueError):
        pynet.nn.Conv2d(**kw)


def copy_params(pm, tm):
    for (n, p), (tn, t) in zip(pm.named_parameters(), tm.named_parameters()):
        assert n == tn
        with pynet.no_grad():
            p.copy_(pynet.tensor(t.detach().numpy()))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd,kw", [
    (2, dict(kernel_size=3, padding=1)),
    (2, dict(kernel_size=(3, 2), padding=(2, 1), stride=2, dilation=(1, 2))),
    (2, dict(kernel_size=(2, 3), padding="same", groups=2)),
    (1, dict(kernel_size=3, padding=2, stride=2)),
    (1, dict(kernel_size=4, padding="same", dilation=1)),
    # depthwise: padding modes other than zeros pre-pad, then the direct loops run unpadded
    (2, dict(kernel_size=3, padding=1, groups=4, out_channels=8)),
    (2, dict(kernel_size=5, padding=2, stride=2, dilation=(1, 2), groups=4, out_channels=4)),
    (1, dict(kernel_size=3, padding="same", groups=4, out_channels=4)),
])
def test_conv_modules_match_torch(need_torch, nd, kw, mode):
    P, T = (pynet.nn.Conv2d, torch.nn.Conv2d) if nd == 2 else (pynet.nn.Conv1d, torch.nn.Conv1d)
    kw = dict(kw)
    out = kw.pop("out_channels", 6)
    tm = T(4, out, padding_mode=mode, dtype=torch.float64, **kw)
    pm = P(4, out, padding_mode=mode, dtype=pynet.float64, **kw)
    assert repr(pm) == repr(tm)
    copy_params(pm, tm)
    x = rnd(2, 4, 7, 6) if nd == 2 else rnd(2, 4, 9)
    tx, px = torch.tensor(x, requires_grad=True), pynet.tensor(x, requires_grad=True)
    ty, py = tm(tx), pm(px)
    g = rnd(*ty.shape, seed=5)
    ty.backward(torch.tensor(g))
    py.backward(pynet.tensor(g))
    close(py, ty, "float64")
    close(px.grad, tx.grad, "float64")
    close(pm.weight.grad, tm.weight.grad, "float64")
    close(pm.bias.grad, tm.bias.grad, "float64")


def test_torch_state_dict_loads_into_conv(need_torch):
    tm = torch.nn.Conv2d(3, 4, 3)
    pm = pynet.nn.Conv2d(3, 4, 3)
    pm.load_state_dict({k: pynet.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = rnd(1, 3, 6, 6).astype("float32")
    close(pm(pynet.tensor(x)), tm(torch.tensor(x)), "float32")


def test_unfold_fold_modules():
    x = pynet.randn(2, 3, 6, 6)
    u = pynet.nn.Unfold(2, stride=2)(x)
    assert u.shape == (2, 12, 9)
    # non-overlapping blocks: fold undoes unfold exactly
    assert pynet.nn.Fold((6, 6), 2, stride=2)(u).numpy().tobytes() == x.numpy().tobytes()


# ------------------------------------------------------------- F.pad modes

@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((3, 5), (2, 1)), ((2, 3, 5), (1, 2)),
                                       ((2, 3, 4, 5), (2, 1, 3, 0)),
                                       ((2, 3, 4, 5), (-1, 2, 1, -2)),
                                       ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2))])
def test_pad_modes_match_torch(need_torch, mode, shape, pad):
    parity(lambda a: F.pad(a, pad, mode=mode),
           lambda a: torch.nn.functional.pad(a, pad, mode=mode), [rnd(*shape)], "float64")


def test_pad_modes_by_hand_and_errors():
    x = pynet.arange(1.0, 4.0).reshape(1, 3)
    assert F.pad(x, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert F.pad(x, (2, 2), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 3, 3]]
    assert F.pad(x, (2, 2), mode="circular").tolist() == [[2, 3, 1, 2, 3, 1, 2]]
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(NotImplementedError):
        F.pad(pynet.ones(2, 3, 4, 5), (1, 1), mode="reflect")  # PyTorch: 2 pads on 4-D
    with pytest.raises(NotImplementedError):
        F.pad(x, (1, 1), mode="symmetric")
    x.requires_grad_(True)
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    assert x.grad.tolist() == [[2.0, 3.0, 2.0]]  # each copy sends its gradient home


# ------------------------------------------------------------------ pooling

def random_pool_case(seed, nd, kind):
    r = np.random.default_rng(seed)
    k = [int(r.integers(1, 4)) for _ in range(nd)]
    d = [int(r.integers(1, 3)) if kind == "max" else 1 for _ in range(nd)]
    # padding up to half the kernel (torch's no-grad max_pool2d allows no more than
    # that, its autograd path up to half the dilated kernel, as pynet does)
    p = [int(r.integers(0, k[i] // 2 + 1)) for i in range(nd)]
    s = [int(r.integers(1, 4)) for _ in range(nd)]
    size = [int(r.integers(d[i] * (k[i] - 1) + 1, 10)) for i in range(nd)]
    kw = dict(kernel_size=tuple(k), stride=tuple(s) if r.random() < 0.7 else None,
              padding=tuple(p), ceil_mode=bool(r.random() < 0.5))
    if kind == "max":
        kw["dilation"] = tuple(d)
    else:
        kw["count_include_pad"] = bool(r.random() < 0.5)
        if nd == 2 and r.random() < 0.3:
            kw["divisor_override"] = int(r.integers(1, 5))
    if nd == 1:
        kw = {n: (v[0] if isinstance(v, tuple) else v) for n, v in kw.items()}
    return rnd(int(r.integers(1, 3)), int(r.integers(1, 4)), *size, seed=seed), kw


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_pooling_random_matches_torch(need_torch, seed, nd, kind, dtype):
    x, kw = random_pool_case(seed + 10 * nd, nd, kind)
    name = f"{kind}_pool{nd}d"
    parity(lambda a: getattr(F, name)(a, **kw),
           lambda a: getattr(torch.nn.functional, name)(a, **kw), [x], dtype, nc=seed % 2 == 0)
    if kind == "max":  # the indices too
        _, pi = getattr(F, name)(pynet.tensor(x), return_indices=True, **kw)
        _, ti = getattr(torch.nn.functional, name)(torch.tensor(x), return_indices=True, **kw)
        assert pi.dtype == pynet.int64 and pi.numpy().tolist() == ti.numpy().tolist()


def max_pool2d_reference(x, k, s, p, d):
    """Max pooling of x (P, H, W) window by window in NumPy: the first maximum in
    row-major tap order, the last NaN; a window all in the padding gives -inf, -1."""
    P, H, W = x.shape
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    y = np.full((P, Ho, Wo), -np.inf, x.dtype)
    idx = np.full((P, Ho, Wo), -1, np.int64)
    for a in range(Ho):
        for b in range(Wo):
            taps = [(a * s[0] - p[0] + i * d[0], b * s[1] - p[1] + j * d[1])
                    for i in range(k[0]) for j in range(k[1])]
            taps = [(h, w) for h, w in taps if 0 <= h < H and 0 <= w < W]
            for c in range(P):
                for t, (h, w) in enumerate(taps):
                    v = x[c, h, w]
                    if t == 0 or v > y[c, a, b] or np.isnan(v):
                        y[c, a, b], idx[c, a, b] = v, h * W + w
    return y, idx


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(8))
def test_max_pool_wide_rows_ties_nan_inf(seed, dtype):
    # Rows wide enough for the vectorised row loop (8 or more outputs, plus a tail),
    # values drawn from a few integers (many ties: the first maximum must win), some
    # NaN (the last wins) and -inf (a window of only -inf points at its first tap).
    r = np.random.default_rng(seed)
    k = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    d = (int(r.integers(1, 3)), int(r.integers(1, 3)))
    p = (int(r.integers(0, k[0] // 2 + 1)), int(r.integers(0, k[1] // 2 + 1)))
    s = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    H, W = int(r.integers(d[0] * (k[0] - 1) + 1, 9)), int(r.integers(40, 80))
    x = r.integers(-3, 3, (2, H, W)).astype(dtype)
    x[r.random(x.shape) < 0.05] = np.nan
    x[r.random(x.shape) < 0.2] = -np.inf
    want_y, want_i = max_pool2d_reference(x, k, s, p, d)
    y, i = F.max_pool2d(pynet.tensor(x), k, s, p, d, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), want_y)
    np.testing.assert_array_equal(i.numpy(), want_i)
    if torch is not None:
        ty, ti = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, return_indices=True)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


def test_pooling_unbatched_and_empty_batch_match_torch(need_torch):
    TF = torch.nn.functional
    for pf, tf in ((F.max_pool2d, TF.max_pool2d), (F.avg_pool2d, TF.avg_pool2d)):
        parity(lambda a: pf(a, 3, 2, 1), lambda a: tf(a, 3, 2, 1), [rnd(3, 7, 6)], "float64")
        parity(lambda a: pf(a, 2), lambda a: tf(a, 2), [rnd(0, 3, 4, 4)], "float32")
    for pf, tf in ((F.max_pool1d, TF.max_pool1d), (F.avg_pool1d, TF.avg_pool1d)):
        parity(lambda a: pf(a, 3, 2, 1), lambda a: tf(a, 3, 2, 1), [rnd(3, 7)], "float64")


def test_pooling_course_example_and_by_hand():
    x = pynet.tensor([[[[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]],
                     requires_grad=True)
    y, idx = F.max_pool2d(x, 2, stride=2, return_indices=True)
    assert y.reshape(-1).tolist() == [6.0, 8.0, 3.0, 4.0]
    assert idx.reshape(-1).tolist() == [5, 7, 8, 15]
    y.sum().backward()  # the gradient goes to each window's maximum only
    assert x.grad.reshape(-1).tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    a = F.avg_pool2d(x.detach(), 2)
    assert a.reshape(-1).tolist() == [3.25, 5.25, 2.0, 2.0]
    # padding: count_include_pad divides by the padded window, or by the real values only
    one = pynet.ones(1, 1, 2, 2)
    assert F.avg_pool2d(one, 2, 1, 1).reshape(-1).tolist() == [0.25, 0.5, 0.25, 0.5, 1.0, 0.5,
                                                                0.25, 0.5, 0.25]
    assert F.avg_pool2d(one, 2, 1, 1, count_include_pad=False).sum().item() == 9.0
    # a NaN in a window is its maximum, as in PyTorch
    nan = pynet.tensor([[[[1.0, float("nan")], [3.0, 4.0]]]])
    assert np.isnan(F.max_pool2d(nan, 2).item())
    # several NaNs: the last one (in row-major order) is the maximum and gets the gradient,
    # as in PyTorch (found by test_differential_nn: pynet used to stop at the first)
    n = float("nan")
    for fn, args in [(F.max_pool2d, (2,)), (F.adaptive_max_pool2d, (1,)), (F.max_pool1d, (4,))]:
        x = pynet.tensor([[[[n, 1.0], [n, 2.0]]]], requires_grad=True)
        xin = x.reshape(1, 1, 4) if fn is F.max_pool1d else x
        y, idx = fn(xin, *args, return_indices=True)
        assert idx.reshape(-1).tolist() == [2]
        y.sum().backward()
        assert x.grad.reshape(-1).tolist() == [0.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("fn,kw", [
    (F.max_pool2d, dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=(2, 1))),
    (F.max_pool2d, dict(kernel_size=3, stride=2, ceil_mode=True)),
    (F.avg_pool2d, dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True)),
    (F.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (F.avg_pool2d, dict(kernel_size=2, divisor_override=3)),
    (F.max_pool1d, dict(kernel_size=3, stride=2, padding=1)),
    (F.avg_pool1d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
])
def test_pooling_gradcheck_and_double_backward(fn, kw):
    shape = (2, 2, 7, 6) if fn in (F.max_pool2d, F.avg_pool2d) else (2, 2, 9)
    # a permutation: distinct values, so every window has one maximum and no kinks nearby
    vals = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) * 0.1
    x = pynet.tensor(vals, requires_grad=True)
    assert gradcheck(lambda x: fn(x, **kw), (x,))
    g = pynet.tensor(rnd(*fn(x, **kw).shape, seed=1), requires_grad=True)

    def first(x, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(fn(x * x, **kw), (x,), g, create_graph=True)
    assert gradcheck(first, (x, g), atol=1e-7, rtol=1e-5)



@pytest.mark.parametrize("fn,shape,kw", [
    (F.max_pool1d, (1, 1, 1), dict(kernel_size=2, stride=1, padding=1, dilation=2)),
    (F.max_pool2d, (2, 1, 3, 1), dict(kernel_size=(1, 2), stride=1, padding=(0, 1),
                                      dilation=2)),
    (F.max_pool2d, (2, 3, 1, 1), dict(kernel_size=2, padding=1, dilation=2)),
])
def test_max_pool_window_all_in_the_padding(fn, shape, kw):
    """A dilated window whose taps all fall in the padding: -inf, gradient to no input (its
    index used to point outside the plane, and the backward wrote there: heap corruption
    found by test_differential_nn)."""
    vals = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    x = pynet.tensor(vals, requires_grad=True)
    y, idx = fn(x, **kw, return_indices=True)
    empty = np.isneginf(y.detach().numpy())
    assert empty.all()  # (windows of one output are either all empty or none, it seems)
    assert (idx.numpy()[empty] == -1).all() and (idx.numpy()[~empty] >= 0).all()
    g = pynet.tensor(np.ones(tuple(y.shape)), requires_grad=True)
    (gx,) = pynet.autograd.grad(y, (x,), g, create_graph=True)
    want = np.zeros(shape)  # each in-image maximum gets the gradient of its windows
    flat = want.reshape(shape[0] * shape[1], -1)
    for p, row in enumerate(idx.numpy().reshape(flat.shape[0], -1)):
        for i in row[row >= 0]:
            flat[p, i] += 1.0
    np.testing.assert_array_equal(gx.detach().numpy(), want)
    # double backward: gx is linear in g (a scatter); its adjoint gathers at the indices and
    # gives 0 where no input is
    (gg,) = pynet.autograd.grad((gx * x).sum(), (g,))
    np.testing.assert_array_equal(gg.numpy()[~empty], y.detach().numpy()[~empty])
    assert (gg.numpy()[empty] == 0).all()
    if torch is not None:
        t = torch.tensor(vals, requires_grad=True)
        ty = getattr(torch.nn.functional, fn.__name__)(t, **kw)
        # (values only: PyTorch's index of such a window points past the window, at another
        # element or plane, which its backward then credits; README, "Differences")
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())

def test_pooling_grad_fn_names():
    x = pynet.randn(1, 2, 4, 4, requires_grad=True)
    up = pynet.randn(1, 2, 2, 2, requires_grad=True)  # an upstream gradient with history
    y = F.max_pool2d(x, 2)
    assert "MaxPool2DWithIndicesBackward0" in repr(y.grad_fn)
    g, = pynet.autograd.grad(y, (x,), up, create_graph=True)
    assert "MaxPool2DWithIndicesBackwardBackward0" in repr(g.grad_fn)
    y = F.avg_pool2d(x, 2)
    assert "AvgPool2DBackward0" in repr(y.grad_fn)
    g, = pynet.autograd.grad(y, (x,), up, create_graph=True)
    assert "AvgPool2DBackwardBackward0" in repr(g.grad_fn)


POOL_BAD = [
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=3, padding=2)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=3, stride=0)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=0)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=3, dilation=0)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=3, padding=-1)),
    ("max_pool2d", (2, 3, 2, 2), dict(kernel_size=3)),
    ("max_pool2d", (5, 5), dict(kernel_size=2)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=(2, 2, 2))),
    ("max_pool1d", (2, 3, 5, 5), dict(kernel_size=2)),
    ("avg_pool2d", (2, 3, 5, 5), dict(kernel_size=3, padding=2)),
    ("avg_pool2d", (2, 3, 2, 2), dict(kernel_size=3)),
    ("avg_pool2d", (2, 3, 5, 5), dict(kernel_size=2, divisor_override=0)),
    ("avg_pool1d", (2, 3, 5, 5), dict(kernel_size=2)),
]


@pytest.mark.parametrize("fn,xs,kw", POOL_BAD)
def test_pooling_errors_match_torch(need_torch, fn, xs, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.nn.functional, fn)(torch.randn(*xs), **kw)
    with pytest.raises(Exception) as pe:
        getattr(F, fn)(pynet.randn(*xs), **kw)
    assert type(pe.value) is type(te.value)
    assert str(pe.value) == str(te.value)


def test_pooling_errors_without_torch():
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(pynet.randn(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(3x2x2\)\. Calculated output "
                                           r"size: \(3x0x0\)"):
        F.avg_pool2d(pynet.randn(1, 3, 2, 2), 3)
    with pytest.raises(NotImplementedError):  # integer pooling is not implemented
        F.max_pool2d(pynet.ones(1, 1, 4, 4).long(), 2)


def test_pooling_modules_match_torch(need_torch):
    x = rnd(2, 3, 9, 8)
    pairs = [(pynet.nn.MaxPool2d(3, 2, 1, 2, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, 2,
                                                                               ceil_mode=True)),
             (pynet.nn.AvgPool2d(3, 2, 1, True, False, None),
              torch.nn.AvgPool2d(3, 2, 1, True, False, None)),
             (pynet.nn.MaxPool1d(2), torch.nn.MaxPool1d(2)),
             (pynet.nn.AvgPool1d(3, 2), torch.nn.AvgPool1d(3, 2))]
    for pm, tm in pairs:
        assert repr(pm) == repr(tm)
        a = x if "2d" in repr(pm).lower() else x[:, :, 0]
        parity(pm, tm, [a], "float64")
    y, i = pynet.nn.MaxPool2d(2, return_indices=True)(pynet.tensor(x))
    assert y.shape == i.shape == (2, 3, 4, 4)


def test_pooling_one_and_two_threads_bit_identical():
    prev = pynet.get_num_threads()
    try:
        out = []
        for nt in (1, 2):
            pynet.set_num_threads(nt)
            x = pynet.tensor(rnd(8, 16, 20, 20).astype("float32"), requires_grad=True)
            y = F.max_pool2d(x, 3, 2, 1) .sum() + F.avg_pool2d(x, 3, 2, 1).square().sum()
            y.backward()
            out.append((y.detach().numpy().tobytes(), x.grad.numpy().tobytes()))
        assert out[0] == out[1]
    finally:
        pynet.set_num_threads(prev)


def test_lenet_style_network_trains():
    """conv -> relu -> pool -> conv -> relu -> pool -> linear: a few SGD steps on a fixed
    batch lower the loss (every layer's gradient flows)."""
    pynet.manual_seed(0)
    nn = pynet.nn
    net = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                        nn.Linear(8 * 3 * 3, 10))
    x, t = pynet.randn(16, 1, 16, 16), pynet.randint(0, 10, (16,))
    opt = pynet.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


# ------------------------------------------------------ transposed convolution

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nd,xs,ws,kw", [
    (2, (2, 4, 5, 6), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                                         groups=2, dilation=(1, 2))),
    (2, (1, 3, 4, 4), (3, 2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    (2, (2, 3, 3, 5), (3, 4, 2, 2), dict()),
    (2, (2, 2, 4, 4), (2, 3, 3, 3), dict(dilation=2, output_padding=1)),  # op < dilation
    (2, (2, 6, 4, 4), (6, 1, 3, 3), dict(groups=6, stride=2)),  # depthwise
    (2, (2, 8, 4, 4), (8, 4, 1, 1), dict()),  # 1x1
    (1, (2, 4, 7), (4, 3, 3), dict(stride=3, padding=1, output_padding=2)),
])
def test_conv_transpose_matches_torch(need_torch, nd, xs, ws, kw, dtype):
    TF = torch.nn.functional
    pf, tf = (F.conv_transpose2d, TF.conv_transpose2d) if nd == 2 else \
        (F.conv_transpose1d, TF.conv_transpose1d)
    parity(lambda *a: pf(*a, **kw), lambda *a: tf(*a, **kw),
           [rnd(*xs), rnd(*ws, seed=1), rnd(ws[1] * kw.get("groups", 1), seed=2)], dtype,
           nc=dtype == "float64")
    # unbatched
    parity(lambda *a: pf(*a, **kw), lambda *a: tf(*a, **kw),
           [rnd(*xs)[0], rnd(*ws, seed=1), None], dtype)


def test_conv_transpose_is_the_input_gradient_of_conv():
    x = pynet.tensor(rnd(2, 3, 9, 8), requires_grad=True)
    w, g = pynet.tensor(rnd(4, 3, 3, 2, seed=1)), pynet.tensor(rnd(2, 4, 5, 3, seed=2))
    y = F.conv2d(x, w, stride=2, padding=(1, 0), dilation=(1, 2))
    assert y.shape == g.shape
    y.backward(g)
    # H: 9 = (5 - 1) 2 - 2 + 2 + 1 + 0;  W: 8 = (3 - 1) 2 - 0 + 2 + 1 + 1 (output_padding 1)
    t = F.conv_transpose2d(g, w, stride=2, padding=(1, 0), dilation=(1, 2), output_padding=(0, 1))
    close(t, x.grad.numpy(), "float64")



@pytest.mark.parametrize("nd,stride,dilation,output_padding", [
    (1, 1, 2, 1), (2, 1, 3, 2), (2, (1, 2), (2, 1), (1, 1)), (1, 2, 1, 1)])
def test_conv_transpose_1x1_with_output_padding(nd, stride, dilation, output_padding):
    """A 1x1 transposed convolution with output_padding: the extra rows/columns get only the
    bias; each input position maps to one output position. (Its backward wrt the input used
    to take the pointwise GEMM path on planes larger than it assumed, reading the gradient
    of other positions: found by test_differential_nn.)"""
    sp = (3,) if nd == 1 else (2, 3)
    x = rnd(2, 3, *sp)
    w = rnd(3, 4, *(1,) * nd, seed=1)
    b = rnd(4, seed=2)
    fn = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
    xt, wt, bt = (pynet.tensor(a, requires_grad=True) for a in (x, w, b))
    y = fn(xt, wt, bt, stride=stride, output_padding=output_padding, dilation=dilation)
    s = (stride,) * nd if isinstance(stride, int) else stride
    op = (output_padding,) * nd if isinstance(output_padding, int) else output_padding
    out_sp = tuple((i - 1) * si + o + 1 for i, si, o in zip(sp, s, op))
    want = np.broadcast_to(b.reshape((1, 4) + (1,) * nd), (2, 4) + out_sp).copy()
    sel = (slice(None), slice(None)) + tuple(slice(0, (i - 1) * si + 1, si) for i, si in zip(sp, s))
    want[sel] += np.einsum("nc...,co->no...", x, w.reshape(3, 4))
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-5, atol=1e-6)
    g = rnd(*want.shape, seed=3)
    y.backward(pynet.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), np.einsum("no...,co->nc...", g[sel],
                                                          w.reshape(3, 4)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wt.grad.numpy().reshape(3, 4),
                               np.einsum("ncl,nol->co", x.reshape(2, 3, -1),
                                         g[sel].reshape(2, 4, -1)), rtol=1e-5, atol=1e-5)

def test_conv_transpose_gradcheck_and_double_backward():
    x = pynet.tensor(rnd(2, 4, 3, 3), requires_grad=True)
    w = pynet.tensor(rnd(4, 1, 3, 2, seed=1), requires_grad=True)
    b = pynet.tensor(rnd(2, seed=2), requires_grad=True)
    kw = dict(stride=2, padding=1, output_padding=1, groups=2)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), (x, w, b))
    g = pynet.tensor(rnd(*F.conv_transpose2d(x, w, b, **kw).shape, seed=3), requires_grad=True)

    def first(x, w, b, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(F.conv_transpose2d(x, w, b, **kw), (x, w, b), g,
                                       create_graph=True)
    assert gradcheck(first, (x, w, b, g), atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv_transpose2d", (1, 4, 3, 3), (4, 2, 3, 3), dict(output_padding=1)),
    ("conv_transpose2d", (1, 4, 3, 3), (4, 2, 3, 3), dict(output_padding=-1)),
    ("conv_transpose2d", (1, 4, 3, 3), (4, 2, 3, 3), dict(padding=3)),
    ("conv_transpose2d", (1, 3, 3, 3), (4, 2, 3, 3), dict()),
    ("conv_transpose2d", (1, 4, 3, 3), (4, 2, 3, 3), dict(groups=3)),
    ("conv_transpose1d", (1, 4, 3), (4, 2, 3), dict(output_padding=1)),
    ("conv_transpose1d", (4, 3), (4, 2, 3), dict(stride=0)),
])
def test_conv_transpose_errors_match_torch(need_torch, fn, xs, ws, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.nn.functional, fn)(torch.randn(*xs), torch.randn(*ws), **kw)
    with pytest.raises(Exception) as pe:
        getattr(F, fn)(pynet.randn(*xs), pynet.randn(*ws), **kw)
    assert type(pe.value) is type(te.value)
    if "input[" not in str(te.value):  # torch prints the unsqueezed shape of unbatched input
        assert str(pe.value) == str(te.value)


def test_conv_transpose_modules_match_torch(need_torch):
    for P, T, xs, kw in [
            (pynet.nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (2, 4, 5, 5),
             dict(kernel_size=3, stride=2, padding=1, output_padding=1, groups=2, dilation=1)),
            (pynet.nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (2, 4, 6),
             dict(kernel_size=4, stride=2, bias=False))]:
        tm, pm = T(4, 6, dtype=torch.float64, **kw), P(4, 6, dtype=pynet.float64, **kw)
        assert repr(pm) == repr(tm)
        assert [n for n, _ in pm.named_parameters()] == [n for n, _ in tm.named_parameters()]
        copy_params(pm, tm)
        parity(pm, tm, [rnd(*xs)], "float64")
    m = pynet.nn.ConvTranspose2d(4, 2, 3, stride=2)
    assert m(pynet.randn(1, 4, 3, 3), output_size=(8, 8)).shape == (1, 2, 8, 8)
    with pytest.raises(ValueError, match="valid sizes range from"):
        m(pynet.randn(1, 4, 3, 3), output_size=(10, 10))
    with pytest.raises(ValueError):
        pynet.nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect")
    # init: uniform within 1/sqrt(fan_in), fan_in = weight.shape[1] * 3 * 3 = 18
    w = pynet.nn.ConvTranspose2d(64, 2, 3).weight.detach().numpy()
    assert w.shape == (64, 2, 3, 3) and np.abs(w).max() <= 1 / np.sqrt(18)


# --------------------------------------------------------------- BatchNorm2d

@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("track", [True, False])
def test_batchnorm2d_matches_torch(need_torch, momentum, track):
    tm = torch.nn.BatchNorm2d(3, momentum=momentum, track_running_stats=track).double()
    pm = pynet.nn.BatchNorm2d(3, momentum=momentum, track_running_stats=track,
                              dtype=pynet.float64)
    for step in range(3):  # training steps: outputs, gradients, running statistics
        parity(pm, tm, [rnd(4, 3, 5, 6, seed=step) * 2 + 1], "float64", nc=step == 1)
        if track:
            close(pm.running_mean, tm.running_mean, "float64")
            close(pm.running_var, tm.running_var, "float64")
    tm.eval(), pm.eval()
    parity(pm, tm, [rnd(2, 3, 4, 4, seed=7)], "float64")


def test_batchnorm2d_checks_dims():
    bn = pynet.nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match="expected 4D input"):
        bn(pynet.randn(2, 3, 4))
    y = bn(pynet.randn(4, 3, 5, 5) * 3 + 2)  # normalised per channel
    m = y.mean((0, 2, 3)).detach().numpy()
    assert np.abs(m).max() < 1e-5


# ---------------------------------------------------------- adaptive pooling

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("shape,size", [((2, 3, 7, 5), (3, 4)), ((2, 3, 4, 5), (8, 2)),
                                        ((2, 3, 6, 6), 1), ((3, 7, 5), (None, 3)),
                                        ((2, 3, 9), 4), ((3, 5), 7)])
def test_adaptive_pooling_matches_torch(need_torch, kind, shape, size, dtype):
    nd = 2 if isinstance(size, tuple) or len(shape) == 4 else 1
    name = f"adaptive_{kind}_pool{nd}d"
    parity(lambda a: getattr(F, name)(a, size),
           lambda a: getattr(torch.nn.functional, name)(a, size), [rnd(*shape)], dtype,
           nc=dtype == "float64")
    if kind == "max":
        _, pi = getattr(F, name)(pynet.tensor(rnd(*shape)), size, return_indices=True)
        _, ti = getattr(torch.nn.functional, name)(torch.tensor(rnd(*shape)), size,
                                                   return_indices=True)
        assert pi.numpy().tolist() == ti.numpy().tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_average_pooling_of_long_windows_against_numpy(dtype):
    # window rows of 16 and more go through 16 double lanes (pool.c's run_sum), whole
    # rows as one run: global pooling (one run of 851), windows of width 20 with a
    # remainder of 4, and adaptive windows of unequal rows; values with mean 3 so that
    # the sums' roundings show, against NumPy in float64
    x64 = np.random.default_rng(8).standard_normal((2, 3, 23, 37)) + 3.0
    x = pynet.tensor(x64.astype(dtype), requires_grad=True)
    xr = x64.astype(dtype).astype(np.float64)
    rtol = 1e-6 if dtype == "float32" else 1e-14
    glob = F.adaptive_avg_pool2d(x, 1)
    np.testing.assert_allclose(glob.detach().numpy()[..., 0, 0], xr.mean((2, 3)), rtol=rtol)
    win = F.avg_pool2d(x, (3, 20), stride=(3, 17))  # columns 0..19 and 17..36
    ref = np.stack([np.stack([xr[:, :, 3 * p:3 * p + 3, 17 * q:17 * q + 20].mean((2, 3))
                              for q in range(2)], -1) for p in range(7)], -2)
    np.testing.assert_allclose(win.detach().numpy(), ref, rtol=rtol)
    ada = F.adaptive_avg_pool2d(x, (5, 1))  # rows floor(23 p / 5) .. ceil(23 (p + 1) / 5)
    ref = np.stack([xr[:, :, 23 * p // 5:-(-23 * (p + 1) // 5), :].mean((2, 3))
                    for p in range(5)], -1)
    np.testing.assert_allclose(ada.detach().numpy()[..., 0], ref, rtol=rtol)
    glob.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(x64.shape, 1 / (23 * 37)), rtol=rtol)


def test_adaptive_pooling_by_hand_gradcheck_and_modules():
    x = pynet.arange(16.0).reshape(1, 1, 4, 4)
    assert F.adaptive_avg_pool2d(x, 1).item() == 7.5  # global average
    assert F.adaptive_max_pool2d(x, 2).reshape(-1).tolist() == [5.0, 7.0, 13.0, 15.0]
    assert F.adaptive_avg_pool2d(x, (2, 2)).reshape(-1).tolist() == \
        F.avg_pool2d(x, 2).reshape(-1).tolist()  # divisible sizes: ordinary pooling
    vals = np.random.default_rng(0).permutation(2 * 2 * 7 * 5).reshape(2, 2, 7, 5) * 0.1
    xg = pynet.tensor(vals, requires_grad=True)
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        assert gradcheck(lambda a: fn(a, (3, 4)), (xg,))
        g = pynet.tensor(rnd(2, 2, 3, 4, seed=1), requires_grad=True)

        def first(a, g):
            with pynet.enable_grad():
                return pynet.autograd.grad(fn(a * a, (3, 4)), (a,), g, create_graph=True)
        assert gradcheck(first, (xg, g), atol=1e-7, rtol=1e-5)
    assert repr(pynet.nn.AdaptiveAvgPool2d((5, 7))) == "AdaptiveAvgPool2d(output_size=(5, 7))"
    y, i = pynet.nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert i.reshape(-1).tolist() == [5, 7, 13, 15]
    assert pynet.nn.AdaptiveAvgPool1d(2)(pynet.ones(2, 3, 5)).shape == (2, 3, 2)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D tensor"):
        F.adaptive_avg_pool2d(pynet.ones(4, 4), 2)
    with pytest.raises(RuntimeError, match="non-zero size for non-batch dimensions"):
        F.adaptive_max_pool2d(pynet.ones(1, 0, 4, 4), 2)


@pytest.mark.parametrize("fn,xs,size", [("adaptive_avg_pool2d", (4, 4), 2),
                                        ("adaptive_max_pool2d", (1, 0, 4, 4), 2),
                                        ("adaptive_avg_pool2d", (1, 2, 4, 4), (-1, 2)),
                                        ("adaptive_max_pool1d", (2, 3, 4, 4), 2)])
def test_adaptive_pooling_errors_match_torch(need_torch, fn, xs, size):
    with pytest.raises(Exception) as te:
        getattr(torch.nn.functional, fn)(torch.ones(*xs), size)
    with pytest.raises(Exception) as pe:
        getattr(F, fn)(pynet.ones(*xs), size)
    assert type(pe.value) is type(te.value) and str(pe.value) == str(te.value)


# ----------------------------------------------------------------- Dropout2d

def test_dropout2d_drops_whole_channels():
    pynet.manual_seed(0)
    x = pynet.tensor(rnd(100, 40, 3, 3) + 5.0, requires_grad=True)
    y = F.dropout2d(x, 0.3)
    ratio = (y / x).detach().numpy()  # per element: 0 or 1 / 0.7
    per_channel = ratio.reshape(100, 40, 9)
    assert np.allclose(per_channel, per_channel[:, :, :1])  # constant over each channel
    kept = per_channel[:, :, 0]
    assert set(np.round(np.unique(kept), 5)) <= {0.0, round(1 / 0.7, 5)}
    assert abs((kept > 0).mean() - 0.7) < 0.03  # 4000 channels: 3 sigma ~ 0.022
    y.sum().backward()  # the gradient is the same mask
    np.testing.assert_allclose(x.grad.numpy(), ratio, rtol=1e-6)
    xe = pynet.randn(2, 3, 4, 4)
    assert F.dropout2d(xe, 0.5, training=False) is xe
    assert F.dropout2d(xe, 1.0).abs().sum().item() == 0.0
    m = pynet.nn.Dropout2d(0.5)
    m.eval()
    assert m(xe) is xe
    assert repr(pynet.nn.Dropout2d(0.3)) == "Dropout2d(p=0.3, inplace=False)"
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        F.dropout2d(pynet.ones(2, 3, 4), 0.5)
    with pytest.raises(ValueError):
        F.dropout2d(xe, 1.5)
