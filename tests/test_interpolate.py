"""F.interpolate and the Upsample layers: values and gradients against PyTorch over random
sizes, scale factors, modes and dtypes; gradcheck to second order; PyTorch's errors; and
NumPy references (np.repeat, np.interp, the antialiasing filter's matrices) that run
without torch."""
import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F
from conftest import expected_exc, torch
from pynet.autograd import gradcheck

TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}
LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
SCALES = [0.3, 0.5, 0.75, 1.0, 4 / 3, 1.5, 1.7, 2.0, 2.5, 3.0]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def random_case(rng):
    """(input shape, interpolate keywords) of one random call: 1-3 spatial dims, a mode,
    a size or (possibly non-integer, downsampling) scale factors, align_corners."""
    nd = int(rng.integers(1, 4))
    mode = str(rng.choice(["nearest", "nearest-exact", "linear"]))
    mode = LINEAR[nd] if mode == "linear" else mode
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    shape += [int(rng.integers(1, 8 if nd < 3 else 5)) for _ in range(nd)]
    kw = {"mode": mode}
    if rng.random() < 0.4:
        kw["size"] = [int(rng.integers(1, 12 if nd < 3 else 6)) for _ in range(nd)]
    else:
        kw["scale_factor"] = [float(rng.choice(SCALES)) for _ in range(nd)]
        if rng.random() < 0.3:
            kw["recompute_scale_factor"] = True
    if mode in LINEAR.values():
        kw["align_corners"] = bool(rng.random() < 0.5)
    return shape, kw


def torch_grad_is_its_forwards_adjoint(shape, kw):
    """False where PyTorch's nearest backward is not the gradient of its forward: 1-D and 3-D
    with a scale factor giving out == in or out == 2 in (its backward special-cases those
    sizes, its forward does not). pynet's gradient there is the true one (tested below)."""
    if kw["mode"] != "nearest" or "scale_factor" not in kw or kw.get("recompute_scale_factor"):
        return True
    if len(shape) == 4:
        return True
    outs = [int(n * s) for n, s in zip(shape[2:], kw["scale_factor"])]
    return not any(o in (n, 2 * n) for o, n in zip(outs, shape[2:]))


def run(lib, x, kw, g, nc):
    """interpolate's output and the input's gradient for upstream g (nc: through a
    non-contiguous view of the input)."""
    if nc:
        leaf = lib.tensor(np.ascontiguousarray(np.swapaxes(x, 0, 1)), requires_grad=True)
        inp = leaf.transpose(0, 1)
    else:
        leaf = inp = lib.tensor(x, requires_grad=True)
    fn = F.interpolate if lib is pynet else torch.nn.functional.interpolate
    y = fn(inp, **kw)
    y.backward(lib.tensor(g))
    grad = leaf.grad.transpose(0, 1) if nc else leaf.grad
    return y.detach().numpy(), grad.detach().numpy()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_calls_match_torch(need_torch, seed, dtype):
    rng = np.random.default_rng(seed)
    for case in range(40):
        shape, kw = random_case(rng)
        x = rnd(*shape, seed=case).astype(dtype)
        try:
            ty = torch.nn.functional.interpolate(torch.tensor(x), **kw)
        except RuntimeError as e:  # an output size 0: the same error
            with pytest.raises(RuntimeError, match="sizes should be greater than 0"):
                F.interpolate(pynet.tensor(x), **kw)
            assert "sizes should be greater than 0" in str(e)
            continue
        g = rnd(*ty.shape, seed=case + 1).astype(dtype)
        nc = case % 3 == 0
        ty, tg = run(torch, x, kw, g, False)
        py, pg = run(pynet, x, kw, g, nc)
        assert py.shape == ty.shape, (shape, kw)
        assert py.dtype == ty.dtype
        if kw["mode"].startswith("nearest"):
            np.testing.assert_array_equal(py, ty, err_msg=str((shape, kw)))
        else:
            np.testing.assert_allclose(py, ty, **TOL[dtype], err_msg=str((shape, kw)))
        if torch_grad_is_its_forwards_adjoint(shape, kw):
            np.testing.assert_allclose(pg, tg, **TOL[dtype], err_msg=str((shape, kw)))


@pytest.mark.parametrize("mode,shape,kw", [
    ("nearest", (2, 3, 5, 7), dict(scale_factor=(1.7, 0.6))),
    ("nearest-exact", (1, 2, 4, 9), dict(size=(7, 4))),
    ("bilinear", (2, 2, 6, 5), dict(scale_factor=2.5, align_corners=False)),
    ("bilinear", (1, 3, 4, 4), dict(size=(9, 3), align_corners=True)),
])
def test_channels_last_strides_match_torch(need_torch, mode, shape, kw):
    """An input whose channels are innermost in memory (permuted view)."""
    x = rnd(shape[0], shape[2], shape[3], shape[1]).astype(np.float32)
    py = F.interpolate(pynet.tensor(x).permute(0, 3, 1, 2), mode=mode, **kw)
    ty = torch.nn.functional.interpolate(torch.tensor(x).permute(0, 3, 1, 2), mode=mode, **kw)
    np.testing.assert_allclose(py.numpy(), ty.numpy(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- NumPy references

def test_nearest_integer_scale_is_repeat():
    x = rnd(2, 3, 4, 5).astype(np.float32)
    y = F.interpolate(pynet.tensor(x), scale_factor=(3, 2))
    np.testing.assert_array_equal(y.numpy(), np.repeat(np.repeat(x, 3, axis=2), 2, axis=3))
    y1 = F.interpolate(pynet.tensor(x[:, :, 0]), scale_factor=4, mode="nearest-exact")
    np.testing.assert_array_equal(y1.numpy(), np.repeat(x[:, :, 0], 4, axis=-1))
    x3 = rnd(1, 2, 2, 3, 2)
    y3 = F.interpolate(pynet.tensor(x3), size=(4, 3, 6))
    ref = np.repeat(np.repeat(x3, 2, axis=2), 3, axis=4)
    np.testing.assert_array_equal(y3.numpy(), ref)


def test_nearest_downsampling_picks_by_floor():
    """nearest takes floor(o in / out), nearest-exact floor((o + 0.5) in / out)."""
    x = np.arange(10.0).reshape(1, 1, 10)
    assert F.interpolate(pynet.tensor(x), size=4).numpy().ravel().tolist() == [0, 2, 5, 7]
    assert F.interpolate(pynet.tensor(x), size=4,
                         mode="nearest-exact").numpy().ravel().tolist() == [1, 3, 6, 8]


def _nearest_ref(inp, out, exact, scale_dtype):
    """floorf((o + 0.5 if exact) * s), the product in double then rounded to float32, with
    s = in / out in scale_dtype: PyTorch's source indices (float64 1-D/3-D keep s double)."""
    s = np.float64(scale_dtype(inp) / scale_dtype(out))
    o = np.arange(out) + (0.5 if exact else 0.0)
    return np.minimum(np.floor((o * s).astype(np.float32)).astype(int), inp - 1)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_nearest_source_index_at_exact_boundaries(nd):
    # where (o + 0.5) in / out is an integer, the scale's rounding picks the pixel:
    # 20.5 * 2 / 41 = 1 exactly; float32(2 / 41) < 2 / 41 puts it below 1
    for dt in ("float32", "float64"):
        scale_dtype = np.float64 if dt == "float64" and nd != 2 else np.float32
        for inp, out in [(2, 41), (4, 47), (6, 74), (14, 46), (9, 119), (3, 10), (7, 5)]:
            for exact in (False, True):
                if nd == 2 and not exact and out in (inp, 2 * inp):
                    continue
                shape = (1, 1, inp) + (1,) * (nd - 1)
                x = pynet.tensor(np.arange(float(inp)).reshape(shape), dtype=getattr(pynet, dt))
                y = F.interpolate(x, size=(out,) + (1,) * (nd - 1),
                                  mode="nearest-exact" if exact else "nearest")
                np.testing.assert_array_equal(y.numpy().ravel(),
                                              _nearest_ref(inp, out, exact, scale_dtype))


def test_nearest_indices_match_torch_over_sizes(need_torch):
    t = need_torch
    for nd in (1, 2, 3):
        for dt in ("float32", "float64"):
            for mode in ("nearest", "nearest-exact"):
                for inp in range(1, 9):
                    for out in list(range(1, 42, 3)) + [41, 47, 74, 97]:
                        if dt == "float32" and nd != 2 and inp == 2 and mode != "nearest":
                            continue  # torch's float32 1-D/3-D kernel rounds 2 -> 41, 97 up
                        a = np.arange(float(inp)).reshape((1, 1, inp) + (1,) * (nd - 1))
                        size = (out,) + (1,) * (nd - 1)
                        p = F.interpolate(pynet.tensor(a, dtype=getattr(pynet, dt)), size=size,
                                          mode=mode)
                        q = t.nn.functional.interpolate(t.tensor(a, dtype=getattr(t, dt)),
                                                        size=size, mode=mode)
                        np.testing.assert_array_equal(p.numpy(), q.numpy())


def interp_axis(a, out, axis, align_corners, scale=None):
    """Linear resampling of a along axis by np.interp (PyTorch's source positions)."""
    n = a.shape[axis]
    o = np.arange(out, dtype=np.float64)
    if align_corners:
        src = o * ((n - 1) / (out - 1) if out > 1 else 0.0)
    else:
        src = np.maximum((o + 0.5) * (1 / scale if scale else n / out) - 0.5, 0)
    return np.apply_along_axis(lambda v: np.interp(src, np.arange(n), v), axis, a)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(7, 3), (3, 11), (1, 1), (5, 6)])
def test_bilinear_is_separable_np_interp(align_corners, size):
    x = rnd(2, 2, 5, 6)
    ref = interp_axis(interp_axis(x, size[0], 2, align_corners), size[1], 3, align_corners)
    y = F.interpolate(pynet.tensor(x), size=size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_scale_factor_sets_the_source_positions_unless_recomputed():
    """size 5 * 1.7 -> 8: the positions use 1 / 1.7, or 5 / 8 with recompute_scale_factor."""
    x = rnd(1, 1, 5)
    y = F.interpolate(pynet.tensor(x), scale_factor=1.7, mode="linear")
    np.testing.assert_allclose(y.numpy(), interp_axis(x, 8, 2, False, scale=1.7), rtol=1e-12)
    y = F.interpolate(pynet.tensor(x), scale_factor=1.7, mode="linear",
                      recompute_scale_factor=True)
    np.testing.assert_allclose(y.numpy(), interp_axis(x, 8, 2, False), rtol=1e-12)
    assert not np.allclose(interp_axis(x, 8, 2, False, scale=1.7), interp_axis(x, 8, 2, False))


def test_linear_corners_and_constants():
    ramp = np.arange(5.0).reshape(1, 1, 5)
    y = F.interpolate(pynet.tensor(ramp), size=9, mode="linear", align_corners=True)
    np.testing.assert_allclose(y.numpy().ravel(), np.arange(9) / 2)
    c = np.full((1, 2, 3, 4, 2), 1.25, dtype=np.float32)
    y = F.interpolate(pynet.tensor(c), size=(5, 2, 7), mode="trilinear")
    assert (y.numpy() == 1.25).all()
    x = rnd(2, 1, 4, 4)
    same = F.interpolate(pynet.tensor(x), size=(4, 4), mode="bilinear")
    np.testing.assert_array_equal(same.numpy(), x)


def test_area_is_adaptive_average_pooling():
    x = pynet.tensor(rnd(1, 2, 6, 9))
    np.testing.assert_array_equal(F.interpolate(x, size=(3, 4), mode="area").numpy(),
                                  F.adaptive_avg_pool2d(x, (3, 4)).numpy())
    np.testing.assert_array_equal(F.interpolate(x[0], scale_factor=0.5, mode="area").numpy(),
                                  F.adaptive_avg_pool1d(x[0], 4).numpy())


# ---------------------------------------------------------------- gradients

GRAD_CASES = [
    ((1, 2, 5), dict(size=8, mode="linear", align_corners=False)),
    ((2, 1, 4), dict(scale_factor=0.6, mode="linear", align_corners=True)),
    ((1, 2, 3, 4), dict(scale_factor=(1.5, 0.75), mode="bilinear")),
    ((1, 1, 4, 3), dict(size=(2, 7), mode="bilinear", align_corners=True)),
    ((1, 1, 2, 3, 2), dict(size=(3, 2, 4), mode="trilinear")),
    ((2, 1, 5), dict(scale_factor=1.7)),
    ((1, 2, 3, 4), dict(size=(5, 3), mode="nearest-exact")),
    ((1, 1, 2, 2, 3), dict(scale_factor=(2, 1.5, 0.7))),
    ((1, 1, 7), dict(scale_factor=1.05)),  # out == in: PyTorch's backward differs here
]


@pytest.mark.parametrize("shape,kw", GRAD_CASES)
def test_gradcheck(shape, kw):
    x = pynet.tensor(rnd(*shape), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **kw), (x,))


@pytest.mark.parametrize("shape,kw", GRAD_CASES[::2])
def test_double_backward_gradcheck(shape, kw):
    """The backward (the adjoint map) records the forward map as its own backward."""
    x = pynet.tensor(rnd(*shape), requires_grad=True)
    g = pynet.tensor(rnd(*F.interpolate(x, **kw).shape, seed=1), requires_grad=True)

    def first(x, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(F.interpolate(x * x, **kw), (x,), g, create_graph=True)
    assert gradcheck(first, (x, g))


def test_grad_fn_names():
    x = pynet.randn(1, 1, 3, 3, requires_grad=True)
    for mode, name in [("nearest", "UpsampleNearest2DBackward0"),
                       ("nearest-exact", "UpsampleNearestExact2DBackward0"),
                       ("bilinear", "UpsampleBilinear2DBackward0")]:
        y = F.interpolate(x, scale_factor=2, mode=mode)
        assert name in repr(y.grad_fn)
        g = pynet.ones(y.shape, requires_grad=True)
        gx, = pynet.autograd.grad(y, (x,), g, create_graph=True)
        assert name.replace("Backward0", "BackwardBackward0") in repr(gx.grad_fn)
    y = F.interpolate(x[0], size=5, mode="linear")
    assert "UpsampleLinear1DBackward0" in repr(y.grad_fn)
    y = F.interpolate(x, size=2, mode="bilinear", antialias=True)
    assert "UpsampleBilinear2DAaBackward0" in repr(y.grad_fn)
    gx, = pynet.autograd.grad(y, (x,), pynet.ones(y.shape, requires_grad=True),
                              create_graph=True)
    assert "UpsampleBilinear2DAaBackwardBackward0" in repr(gx.grad_fn)


def test_backward_bit_identical_at_one_and_two_threads():
    prev = pynet.get_num_threads()
    x = rnd(3, 5, 17, 13).astype(np.float32)
    g = rnd(3, 5, 40, 21, seed=1).astype(np.float32)
    grads = []
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            t = pynet.tensor(x, requires_grad=True)
            F.interpolate(t, size=(40, 21), mode="bilinear").backward(pynet.tensor(g))
            grads.append(t.grad.numpy())
    finally:
        pynet.set_num_threads(prev)
    assert grads[0].tobytes() == grads[1].tobytes()


# ---------------------------------------------------------------- errors

BAD_CALLS = [
    ((1, 1, 2, 2), dict(size=(0, 3))),
    ((1, 1, 2, 2), dict(scale_factor=0.2)),
    ((1, 1, 2), dict(scale_factor=0.2, mode="linear")),
    ((1, 1, 0, 2), dict(size=3)),
    ((1, 0, 2, 2), dict(size=3)),
    ((1, 1, 2, 2), dict(scale_factor=-1.0)),
    ((1, 1, 2, 2), dict(scale_factor=float("inf"))),
    ((1, 1, 2, 2), dict(size=(2.5, 3))),
    ((2, 2), dict(size=3)),
    ((1, 2, 2), dict(size=3, mode="foo")),
    ((1, 2, 2, 2), dict(size=3, antialias=True)),
    ((1, 2, 2, 2), dict(size=3, scale_factor=2)),
    ((1, 2, 2, 2), dict()),
    ((1, 2, 2, 2), dict(size=3, recompute_scale_factor=True)),
    ((1, 2, 2, 2), dict(size=3, align_corners=True)),
    ((1, 2, 2, 2), dict(size=(3, 3, 3))),
    ((1, 2, 2, 2), dict(scale_factor=(3, 3, 3))),
    ((1, 2, 2, 2), dict(scale_factor=2, mode="linear")),
    ((1, 2, 2), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 2, 2, 2), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 2, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 2, 2, 2), dict(scale_factor=2, mode="area", align_corners=False)),
    ((1, 2, 2, 2), dict(scale_factor=2, mode="lanczos", antialias=True, align_corners=True)),
    ((1, 2, 4), dict(size=3, mode="bilinear", antialias=True)),
    ((1, 2, 4), dict(size=3, mode="linear", antialias=True)),
    ((1, 2, 4, 4), dict(size=3, mode="nearest-exact", antialias=True)),
    ((1, 1, 2, 4, 4), dict(size=3, mode="trilinear", antialias=True)),
    ((1, 1, 2, 4, 4), dict(size=3, mode="bilinear", antialias=True)),
    ((1, 0, 4, 4), dict(size=3, mode="bilinear", antialias=True)),
    ((1, 1, 4, 4), dict(scale_factor=0.2, mode="bilinear", antialias=True)),
]


@pytest.mark.parametrize("shape,kw", BAD_CALLS)
def test_errors_match_torch(need_torch, shape, kw):
    with pytest.raises(Exception) as te:
        torch.nn.functional.interpolate(torch.zeros(shape), **kw)
    with pytest.raises(expected_exc(te.type)) as pe:
        F.interpolate(pynet.zeros(shape), **kw)
    if te.type is not RuntimeError or "sizes" in str(te.value):
        assert str(pe.value) == str(te.value)


@pytest.mark.parametrize("mode,shape,kw", [
    ("bicubic", (1, 1, 3, 3), {}), ("area", (1, 1, 2, 2, 2), {}),
    ("lanczos", (1, 1, 3, 3), dict(antialias=True)),
    ("bicubic", (1, 1, 3, 3), dict(antialias=True)),
])
def test_unimplemented_modes_raise_not_implemented(mode, shape, kw):
    with pytest.raises(NotImplementedError, match="bicubic|area|lanczos|antialias"):
        F.interpolate(pynet.zeros(shape), scale_factor=2, mode=mode, **kw)


def test_errors_without_torch():
    x = pynet.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option"):
        F.interpolate(x, size=2, align_corners=False)
    with pytest.raises(RuntimeError, match=r"input \(H: 4, W: 4\) output \(H: 0, W: 0\)"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(NotImplementedError, match="not implemented for"):
        F.interpolate(pynet.zeros(1, 1, 4, dtype=pynet.int64), size=2)


# ---------------------------------------------------------------- modules

def test_modules_call_interpolate_and_repr():
    x = pynet.tensor(rnd(1, 2, 3, 4))
    up = nn.Upsample(scale_factor=2, mode="bilinear")
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    np.testing.assert_array_equal(up(x).numpy(), F.interpolate(
        x, scale_factor=2.0, mode="bilinear", align_corners=None).numpy())
    bl = nn.UpsamplingBilinear2d(size=(5, 7))
    assert repr(bl) == "UpsamplingBilinear2d(size=(5, 7), mode='bilinear')"
    np.testing.assert_array_equal(bl(x).numpy(), F.interpolate(
        x, size=(5, 7), mode="bilinear", align_corners=True).numpy())
    nr = nn.UpsamplingNearest2d(scale_factor=3)
    np.testing.assert_array_equal(nr(x).numpy(), np.repeat(np.repeat(x.numpy(), 3, 2), 3, 3))
    assert "Upsample" in nn.__dict__ and "interpolate" in F.__all__
    assert nn.Upsample.__doc__ and F.interpolate.__doc__


def test_modules_match_torch(need_torch):
    x = rnd(2, 3, 4, 5).astype(np.float32)
    for pm, tm in [(nn.Upsample(size=(7, 3), mode="nearest-exact"),
                    torch.nn.Upsample(size=(7, 3), mode="nearest-exact")),
                   (nn.UpsamplingBilinear2d(scale_factor=1.5),
                    torch.nn.UpsamplingBilinear2d(scale_factor=1.5)),
                   (nn.Upsample(scale_factor=(2, 0.5), mode="bilinear",
                                recompute_scale_factor=True),
                    torch.nn.Upsample(scale_factor=(2, 0.5), mode="bilinear",
                                      recompute_scale_factor=True))]:
        assert repr(pm) == repr(tm)
        np.testing.assert_allclose(pm(pynet.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                                   rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- antialias (bilinear, 4-D)

AA = dict(mode="bilinear", antialias=True)
AA_SCALES = [0.2, 0.3, 0.45, 0.5, 0.6, 0.75, 1.0, 1.3, 1.5, 2.0, 2.5]


def aa_matrix(n_in, n_out, align_corners=False, scale_factor=None):
    """The (n_out, n_in) matrix of antialiased linear resampling along one dim, in float64:
    a triangle of half-width max(s, 1) centred on s (o + 0.5) (with align_corners too),
    its window truncated to the input and its weights normalised to sum 1; the identity
    when the size does not change (PyTorch copies that dim)."""
    if n_out == n_in:
        return np.eye(n_in)
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        s = 1 / scale_factor if scale_factor else n_in / n_out
    support = max(s, 1.0)
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        c = s * (o + 0.5)
        lo, hi = max(int(c - support + 0.5), 0), min(int(c + support + 0.5), n_in)
        w = np.maximum(1 - np.abs((np.arange(lo, hi) - c + 0.5) / support), 0)
        m[o, lo:hi] = w / w.sum()
    return m


def aa_sizes(shape, kw):
    """(output sizes, scale factors used for the weights) of interpolate's keywords kw."""
    if "size" in kw:
        size = kw["size"] if isinstance(kw["size"], (list, tuple)) else [kw["size"]] * 2
        return list(size), [None, None]
    sf = kw["scale_factor"]
    sf = list(sf) if isinstance(sf, (list, tuple)) else [sf, sf]
    size = [int(n * f) for n, f in zip(shape[2:], sf)]
    return size, [None, None] if kw.get("recompute_scale_factor") else sf


def aa_reference(x, kw):
    """M_H x M_W^T with aa_matrix's matrices, for interpolate's keywords kw."""
    size, sf = aa_sizes(x.shape, kw)
    ac = kw.get("align_corners") or False
    mh = aa_matrix(x.shape[2], size[0], ac, sf[0])
    mw = aa_matrix(x.shape[3], size[1], ac, sf[1])
    return mh @ x.astype(np.float64) @ mw.T


def random_aa_case(rng):
    """(input shape, keywords) of one random antialiased call: down by non-integer factors,
    up, mixed, width or height 1, a size or scale factors (maybe recomputed)."""
    shape = [int(rng.integers(1, 3)), int(rng.integers(1, 4)),
             int(rng.integers(1, 14)), int(rng.integers(1, 14))]
    kw = dict(AA, align_corners=bool(rng.random() < 0.5))
    if rng.random() < 0.5:
        kw["size"] = [int(rng.integers(1, 16)) for _ in range(2)]
    else:
        kw["scale_factor"] = [float(rng.choice(AA_SCALES)) for _ in range(2)]
        if rng.random() < 0.3:
            kw["recompute_scale_factor"] = True
    return shape, kw


def torch_aa_forward_is_right(shape, out):
    """False where PyTorch 2.13's CPU forward is wrong: an output width of 1 with a height
    that changes (to more than one row) gives every output row the first row's value (its
    vertical pass reads the first row's window for all of them). pynet computes each row;
    its result there is checked against the NumPy reference instead, and its gradient
    (PyTorch's is right) against PyTorch's."""
    return not (out[1] == 1 and out[0] != shape[2] and out[0] > 1 and shape[2] > 1)


def torch_aa_grad_is_its_forwards_adjoint(shape, kw):
    """False where PyTorch's backward does not differentiate its forward: a scale_factor
    (not recomputed, align_corners False) that leaves a dim's size unchanged. Its forward
    copies that dim, its backward weighs it with the filter of scale 1 / scale_factor;
    pynet's gradient is its forward's (gradcheck below)."""
    size, sf = aa_sizes(shape, kw)
    if kw.get("align_corners"):
        return True
    return not any(f is not None and f != 1 and o == n for o, n, f in zip(size, shape[2:], sf))


def check_aa_against_torch(shape, kw, dtype, nc, seed):
    """pynet's output and input gradient (through a non-contiguous view if nc) against
    PyTorch's, where PyTorch is right (see above; NumPy's reference otherwise)."""
    x = rnd(*shape, seed=seed).astype(dtype)
    try:
        ty = torch.nn.functional.interpolate(torch.tensor(x), **kw)
    except RuntimeError as e:  # an output size 0: the same error
        assert "sizes should be greater than 0" in str(e)
        with pytest.raises(RuntimeError, match="sizes should be greater than 0"):
            F.interpolate(pynet.tensor(x), **kw)
        return
    g = rnd(*ty.shape, seed=seed + 1).astype(dtype)
    ty, tg = run(torch, x, kw, g, False)
    py, pg = run(pynet, x, kw, g, nc)
    msg = str((shape, kw))
    assert py.shape == ty.shape and py.dtype == ty.dtype, msg
    if torch_aa_forward_is_right(shape, ty.shape[2:]):
        np.testing.assert_allclose(py, ty, **TOL[dtype], err_msg=msg)
    else:
        assert not np.allclose(ty, aa_reference(x, kw))  # still PyTorch's bug?
        np.testing.assert_allclose(py, aa_reference(x, kw), **TOL[dtype], err_msg=msg)
    if torch_aa_grad_is_its_forwards_adjoint(shape, kw):
        np.testing.assert_allclose(pg, tg, **TOL[dtype], err_msg=msg)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_antialias_random_calls_match_torch(need_torch, seed, dtype):
    rng = np.random.default_rng(100 + seed)
    for case in range(40):
        shape, kw = random_aa_case(rng)
        check_aa_against_torch(shape, kw, dtype, nc=case % 3 == 0, seed=case)


AA_CASES = [
    ((2, 3, 17, 13), dict(size=(5, 4))),  # down by non-integer factors
    ((1, 2, 28, 28), dict(size=14)),  # MNIST's Resize(14)
    ((1, 2, 5, 6), dict(size=(11, 13))),  # up
    ((1, 2, 12, 5), dict(size=(5, 9))),  # down in H, up in W
    ((1, 2, 4, 12), dict(size=(9, 5))),  # up in H, down in W
    ((2, 1, 9, 7), dict(size=(1, 1))),
    ((1, 1, 9, 7), dict(size=(4, 1))),  # PyTorch's forward is wrong here
    ((1, 1, 1, 7), dict(size=(3, 2))),
    ((1, 2, 6, 7), dict(size=(6, 7))),  # the same size: a copy
    ((1, 2, 6, 7), dict(size=(6, 3))),
    ((1, 1, 10, 10), dict(scale_factor=0.35)),
    ((1, 2, 10, 9), dict(scale_factor=(0.6, 1.05))),  # W keeps its size: PyTorch's grad differs
    ((1, 1, 11, 8), dict(scale_factor=(0.45, 2.5), recompute_scale_factor=True)),
    ((1, 1, 11, 8), dict(scale_factor=(0.45, 2.5))),
]


@pytest.mark.parametrize("shape,kw", AA_CASES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_antialias_cases_match_torch(need_torch, shape, kw, align_corners, dtype):
    check_aa_against_torch(shape, dict(kw, align_corners=align_corners, **AA), dtype,
                           nc=True, seed=3)


def test_antialias_by_hand_4x4_to_2x2():
    """Scale 2, half-width 2: output 0 (centre 1) reads pixels 0, 1, 2 with triangle
    weights 3/4, 3/4, 1/4 -> 3/7, 3/7, 1/7; output 1 (centre 3) reads 1, 2, 3 with 1/7, 3/7,
    3/7. For x = 4 h + w each pass gives 5/7 and 16/7 of its step."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = F.interpolate(pynet.tensor(x), size=(2, 2), **AA).numpy()[0, 0]
    want = np.array([[4 * 5 + 5, 4 * 5 + 16], [4 * 16 + 5, 4 * 16 + 16]]) / 7
    np.testing.assert_allclose(y, want, rtol=1e-14)
    m = np.array([[3, 3, 1, 0], [0, 1, 3, 3]]) / 7
    np.testing.assert_allclose(aa_matrix(4, 2), m, rtol=1e-14)
    x = rnd(1, 1, 4, 4)
    y = F.interpolate(pynet.tensor(x), scale_factor=0.5, **AA).numpy()[0, 0]
    np.testing.assert_allclose(y, m @ x[0, 0] @ m.T, rtol=1e-13, atol=1e-14)
    # plain bilinear reads only pixels 0 and 1 (source index 2 o + 0.5, halfway between)
    plain = F.interpolate(pynet.tensor(x), scale_factor=0.5, mode="bilinear").numpy()[0, 0]
    np.testing.assert_allclose(plain[0, 0], x[0, 0, :2, :2].mean(), rtol=1e-13)


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-6), ("float64", 1e-14)])
def test_antialias_keeps_a_constant(dtype, tol):
    c = np.full((2, 3, 13, 9), 0.625, dtype=dtype)
    for size in [(4, 3), (1, 1), (20, 2), (5, 17), (13, 4), (1, 9)]:
        for ac in (False, True):
            y = F.interpolate(pynet.tensor(c), size=size, align_corners=ac, **AA).numpy()
            assert y.shape == (2, 3) + size and y.dtype == dtype
            np.testing.assert_allclose(y, 0.625, rtol=0, atol=tol)


def test_antialias_matches_numpy_reference():
    rng = np.random.default_rng(7)
    for case in range(60):
        shape, kw = random_aa_case(rng)
        if min(aa_sizes(shape, kw)[0]) < 1:
            continue
        x = rnd(*shape, seed=case)
        y = F.interpolate(pynet.tensor(x), **kw).numpy()
        np.testing.assert_allclose(y, aa_reference(x, kw), rtol=1e-12, atol=1e-12,
                                   err_msg=str((shape, kw)))


def test_antialias_upsampling_is_bilinear():
    """Upsampling (half-width 1): the triangle is plain linear interpolation's, so the two
    agree up to rounding, borders included; not with align_corners, where PyTorch's
    antialiased centres stay s (o + 0.5) with s = (in - 1) / (out - 1)."""
    x = rnd(2, 2, 4, 5)
    for size in [(9, 11), (4, 12), (7, 5)]:
        a = F.interpolate(pynet.tensor(x), size=size, **AA).numpy()
        b = F.interpolate(pynet.tensor(x), size=size, mode="bilinear").numpy()
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    a = F.interpolate(pynet.tensor(x), size=(9, 11), align_corners=True, **AA).numpy()
    b = F.interpolate(pynet.tensor(x), size=(9, 11), mode="bilinear", align_corners=True)
    assert not np.allclose(a, b.numpy())


AA_GRAD_CASES = [
    ((1, 2, 5, 6), dict(size=(3, 4))),
    ((1, 1, 4, 7), dict(size=(6, 3), align_corners=True)),
    ((2, 1, 6, 5), dict(scale_factor=(0.45, 1.7))),
    ((1, 1, 7, 6), dict(scale_factor=(1.05, 0.5))),  # H keeps its size
    ((1, 1, 5, 4), dict(size=(3, 1))),
    ((1, 1, 3, 4), dict(size=(3, 4))),
]


@pytest.mark.parametrize("shape,kw", AA_GRAD_CASES)
def test_antialias_gradcheck(shape, kw):
    x = pynet.tensor(rnd(*shape), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **AA, **kw), (x,))


@pytest.mark.parametrize("shape,kw", AA_GRAD_CASES[:3])
def test_antialias_double_backward_gradcheck(shape, kw):
    x = pynet.tensor(rnd(*shape), requires_grad=True)
    g = pynet.tensor(rnd(*F.interpolate(x, **AA, **kw).shape, seed=1), requires_grad=True)

    def first(x, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(F.interpolate(x * x, **AA, **kw), (x,), g,
                                       create_graph=True)
    assert gradcheck(first, (x, g))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_antialias_bit_identical_at_one_and_two_threads(dtype):
    prev = pynet.get_num_threads()
    x = rnd(3, 5, 37, 29).astype(dtype)
    g = rnd(3, 5, 13, 11, seed=1).astype(dtype)
    outs = []
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            t = pynet.tensor(x, requires_grad=True)
            y = F.interpolate(t, size=(13, 11), **AA)
            y.backward(pynet.tensor(g))
            outs.append((y.detach().numpy().tobytes(), t.grad.numpy().tobytes()))
    finally:
        pynet.set_num_threads(prev)
    assert outs[0] == outs[1]


def test_antialias_non_contiguous_input_is_its_copy():
    """A transposed and a sliced view give the result (and gradient) of their contiguous
    copies, bit for bit."""
    base = rnd(2, 6, 11, 14)
    for view in (lambda t: t.transpose(2, 3), lambda t: t[:, ::2, 1:, ::3],
                 lambda t: t.permute(1, 0, 3, 2)):
        leaf = pynet.tensor(base, requires_grad=True)
        v = view(leaf)
        y = F.interpolate(v, size=(3, 5), **AA)
        copy = pynet.tensor(view(pynet.tensor(base)).numpy().copy(), requires_grad=True)
        yc = F.interpolate(copy, size=(3, 5), **AA)
        assert y.detach().numpy().tobytes() == yc.detach().numpy().tobytes()
        g = pynet.tensor(rnd(*y.shape, seed=2))
        y.backward(g)
        yc.backward(g)
        np.testing.assert_array_equal(view(leaf.grad).numpy(), copy.grad.numpy())
