"""vision.transforms.RandomRotation: fixed angles against hand-computed results (np.rot90,
identity, fill in the corners, a centre of rotation), the angle's draw, errors, and
torchvision's tensor convention rebuilt from torch's grid_sample."""
import math

import numpy as np
import pytest

import pynet
from pynet.vision import transforms as T
from conftest import torch


def rot(angle, **kw):
    return T.RandomRotation((angle, angle), **kw)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_quarter_turns_are_rot90(mode):
    img = np.arange(36, dtype=np.uint8).reshape(6, 6)
    np.testing.assert_array_equal(rot(90, interpolation=mode)(img), np.rot90(img))
    np.testing.assert_array_equal(rot(-90, interpolation=mode)(img), np.rot90(img, -1))
    np.testing.assert_array_equal(rot(180, interpolation=mode)(img), img[::-1, ::-1])
    odd = np.arange(25, dtype=np.uint8).reshape(5, 5)
    np.testing.assert_array_equal(rot(90, interpolation=mode)(odd), np.rot90(odd))
    rgb = np.random.default_rng(0).integers(0, 255, (4, 4, 3)).astype(np.uint8)
    np.testing.assert_array_equal(rot(90, interpolation=mode)(rgb), np.rot90(rgb))
    t = pynet.tensor(np.arange(32, dtype=np.float32).reshape(2, 4, 4))
    out = rot(90, interpolation=mode)(t)
    assert isinstance(out, pynet.Tensor) and out.dtype == pynet.float32
    np.testing.assert_array_equal(out.numpy(), np.rot90(t.numpy(), axes=(1, 2)))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_zero_degrees_is_identity(mode):
    x = np.random.default_rng(1).standard_normal((3, 5, 7))
    np.testing.assert_array_equal(rot(0, interpolation=mode)(pynet.tensor(x)).numpy(), x)
    img = np.arange(35, dtype=np.uint8).reshape(5, 7)
    np.testing.assert_array_equal(rot(0, interpolation=mode)(img), img)


def test_45_degrees_fills_the_corners():
    img = np.full((9, 9), 7, dtype=np.uint8)
    out = rot(45, fill=200)(img)
    assert out[0, 0] == out[0, -1] == out[-1, 0] == out[-1, -1] == 200
    assert (out[2:7, 2:7] == 7).all() and out[4, 0] == 7  # the middle of each edge stays in
    rgb = np.zeros((9, 9, 3), dtype=np.uint8)
    out = rot(45, fill=(10, 20, 30))(rgb)
    assert out[0, 0].tolist() == [10, 20, 30] and out[4, 4].tolist() == [0, 0, 0]
    t = rot(45, interpolation="bilinear", fill=1.0)(pynet.zeros(1, 9, 9)).numpy()[0]
    assert t[0, 0] == 1.0 and t[4, 4] == 0.0 and 0 < t[1, 1] < 1  # blended near the edge


def test_center_of_rotation():
    """About the centre (0.5, 0.5) of the top-left pixel, counter-clockwise by 90: that pixel
    stays, the one below it moves to its right, the rest comes from outside (fill)."""
    img = np.arange(1, 17, dtype=np.uint8).reshape(4, 4)
    out = rot(90, center=(0.5, 0.5), fill=0)(img)
    assert out[0, 0] == img[0, 0] and out[0, 1] == img[1, 0] and out[0, 3] == img[3, 0]
    assert (out[1:] == 0).all()


def test_expand_holds_the_whole_image():
    img = np.arange(15, dtype=np.uint8).reshape(3, 5)
    out = rot(90, expand=True)(img)
    assert out.shape == (5, 3)
    np.testing.assert_array_equal(out, np.rot90(img))
    big = rot(45, expand=True)(np.ones((10, 10), dtype=np.uint8))
    # corners at 5 +- 5 sqrt(2): ceil(12.07) - floor(-2.07) = 16 (torchvision's and PIL's rule)
    assert big.shape == (16, 16)


def test_angle_drawn_from_pynets_generator():
    r = T.RandomRotation(30)
    assert r.degrees == [-30.0, 30.0]
    pynet.manual_seed(3)
    angles = [r.get_params(r.degrees) for _ in range(200)]
    assert all(-30 <= a < 30 for a in angles) and min(angles) < -20 and max(angles) > 20
    pynet.manual_seed(3)
    assert [r.get_params(r.degrees) for _ in range(200)] == angles
    img = np.random.default_rng(2).integers(0, 255, (8, 8)).astype(np.uint8)
    pynet.manual_seed(4)
    a = r(img)
    pynet.manual_seed(4)
    np.testing.assert_array_equal(r(img), a)
    assert T.RandomRotation((10, 20)).get_params([10.0, 20.0]) >= 10


def test_errors_and_repr():
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-5)
    with pytest.raises(ValueError, match="sequence of length 2"):
        T.RandomRotation((1, 2, 3))
    with pytest.raises(ValueError, match="center should be a sequence of length 2"):
        T.RandomRotation(5, center=(1,))
    with pytest.raises(ValueError, match="number of elements in 'fill'"):
        T.RandomRotation(5, fill=(1, 2))(np.zeros((4, 4, 3), dtype=np.uint8))
    with pytest.raises(NotImplementedError):
        T.RandomRotation(5, interpolation="bicubic")
    assert repr(T.RandomRotation(5)) == ("RandomRotation(degrees=[-5.0, 5.0], "
                                         "interpolation=nearest, expand=False, fill=0)")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_matches_torchvisions_grid_sample_convention(need_torch, mode):
    """torchvision's tensor rotate, rebuilt: the inverse matrix for -angle about the centre,
    output pixel centres at -n/2 + 0.5 + i, normalised by the input size, grid_sample with
    zero padding and align_corners=False, the fill mixed in through a ones channel."""
    x = np.random.default_rng(5).standard_normal((2, 7, 9))
    for angle in (17.0, -63.5, 133.0):
        c, h, w = x.shape
        r = math.radians(-angle)
        theta = torch.tensor([[math.cos(r), math.sin(r), 0], [-math.sin(r), math.cos(r), 0]],
                             dtype=torch.float64)
        xs = torch.arange(w, dtype=torch.float64) - w / 2 + 0.5
        ys = torch.arange(h, dtype=torch.float64) - h / 2 + 0.5
        base = torch.stack([xs.expand(h, w), ys[:, None].expand(h, w), torch.ones(h, w,
                           dtype=torch.float64)], -1)
        grid = (base.reshape(-1, 3) @ theta.T / torch.tensor([w / 2, h / 2],
                                                             dtype=torch.float64))
        img = torch.cat([torch.tensor(x), torch.ones(1, h, w, dtype=torch.float64)])[None]
        s = torch.nn.functional.grid_sample(img, grid.reshape(1, h, w, 2), mode=mode,
                                            padding_mode="zeros", align_corners=False)[0]
        v, m = s[:-1], s[-1:].expand(c, h, w)
        fill = 0.25
        want = torch.where(m < 0.5, fill, v) if mode == "nearest" else v * m + (1 - m) * fill
        got = rot(angle, interpolation=mode, fill=fill)(pynet.tensor(x)).numpy()
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
