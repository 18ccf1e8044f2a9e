"""Image transforms, as torchvision.transforms (the ones a course uses).

Images are NumPy arrays (H, W) or (H, W, C) — what pynet's datasets return where
torchvision returns PIL images — or tensors (C, H, W) after ``ToTensor``.
"""
import math
import numbers

import numpy as np

from .. import _C
from .._tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip", "RandomCrop",
           "Resize", "RandomRotation", "InterpolationMode"]


def _uniform():
    """One draw from U(0, 1) by pynet's generator."""
    return float(_C._fill_uniform_(_C.empty((), dtype=_C.float64), 0.0, 1.0).item())


def _randint(n):
    """One integer in [0, n) by pynet's generator."""
    return int(_C._randint(0, n, ()).item())


class Compose:
    """Compose(transforms): apply each transform in turn."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """An image (H, W) or (H, W, C) array -> a (C, H, W) tensor; uint8 pixels are scaled to
    [0, 1] in the default dtype (float32 unless set_default_dtype changed it), other dtypes
    are kept as they are (torchvision's rule)."""

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            raise TypeError("pic should be PIL Image or ndarray. Got <class 'pynet.Tensor'>")
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        img = pic[:, :, None] if pic.ndim == 2 else pic
        chw = np.ascontiguousarray(img.transpose(2, 0, 1))
        if chw.dtype == np.uint8:  # in the default dtype, as torchvision
            dt = np.float64 if _C._get_default_dtype() == _C.float64 else np.float32
            return _C.from_numpy(chw.astype(dt) / dt(255))
        if chw.dtype == np.bool_ or chw.dtype.kind in "iu":
            chw = chw.astype(np.int64 if chw.dtype != np.bool_ else np.bool_)
        return _C.from_numpy(chw)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Normalize(mean, std, inplace=False): (x - mean[c]) / std[c] for each channel c of a
    float tensor (..., C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.dtype.is_floating_point:
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(tensor.shape)}")
        dt = np.float32 if tensor.dtype == _C.float32 else np.float64
        mean = np.asarray(self.mean, dtype=dt).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=dt).reshape(-1, 1, 1)
        if np.any(std == 0):
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             f"leading to division by zero.")
        out = (tensor - _C.from_numpy(mean)) / _C.from_numpy(std)
        if self.inplace:
            tensor.copy_(out)
            return tensor
        return out

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Lambda(lambd): a transform that calls lambd(img)."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class RandomHorizontalFlip:
    """RandomHorizontalFlip(p=0.5): mirror the image left-right with probability p (the
    draw comes from pynet's generator, so pynet.manual_seed makes it reproducible)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _uniform() >= self.p:
            return img
        if isinstance(img, Tensor):
            return img.flip(-1)
        return np.ascontiguousarray(img[:, ::-1])

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _pair(size, what):
    if isinstance(size, int):
        return size, size
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {what}.")
    return int(size[0]), int(size[1])


class RandomCrop:
    """RandomCrop(size, padding=None, pad_if_needed=False, fill=0, padding_mode='constant'):
    pad the image (padding: one int for all sides, (left/right, top/bottom) or (left, top,
    right, bottom)), then cut a size (h, w) window at a random place."""

    _modes = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "size")
        if padding_mode not in self._modes:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def _pad(self, a, left, top, right, bottom, is_chw):
        spec = [(0, 0)] * a.ndim
        hd, wd = (a.ndim - 2, a.ndim - 1) if is_chw else (0, 1)
        spec[hd], spec[wd] = (top, bottom), (left, right)
        if self.padding_mode == "constant":
            return np.pad(a, spec, mode="constant", constant_values=self.fill)
        return np.pad(a, spec, mode=self._modes[self.padding_mode])

    def __call__(self, img):
        is_tensor = isinstance(img, Tensor)
        a = img.detach().numpy() if is_tensor else np.asarray(img)
        if self.padding is not None:
            p = self.padding
            p = [p] * 4 if isinstance(p, int) else list(p) * 2 if len(p) == 2 else list(p)
            a = self._pad(a, p[0], p[1], p[2], p[3], is_tensor)
        h, w = (a.shape[-2], a.shape[-1]) if is_tensor else (a.shape[0], a.shape[1])
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            a = self._pad(a, max(tw - w, 0), max(th - h, 0), max(tw - w, 0), max(th - h, 0),
                          is_tensor)
            h, w = (a.shape[-2], a.shape[-1]) if is_tensor else (a.shape[0], a.shape[1])
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        i, j = _randint(h - th + 1), _randint(w - tw + 1)
        out = a[..., i:i + th, j:j + tw] if is_tensor else a[i:i + th, j:j + tw]
        out = np.ascontiguousarray(out)
        return _C.from_numpy(out) if is_tensor else out

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class InterpolationMode:
    """The interpolation modes Resize knows (torchvision's names)."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _resized_size(h, w, size, max_size):
    """torchvision's rule: an int matches the shorter edge (keeping the aspect ratio, the
    longer edge capped by max_size); a pair is (h, w)."""
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    s = int(size[0] if isinstance(size, (tuple, list)) else size)
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None:
        if max_size <= s:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if h <= w else (new_long, new_short)


def _resize_planes(t, oh, ow, mode, antialias):
    """A float tensor (..., H, W) resized to (..., oh, ow) by F.interpolate on its planes
    (1, -1, H, W), as torchvision: bilinear with align_corners=False and antialias as given
    (upsampling included: the antialiased kernel, which equals plain bilinear there up to
    rounding); nearest ignores antialias."""
    from ..nn.functional import interpolate
    lead, (h, w) = tuple(t.shape[:-2]), tuple(t.shape[-2:])
    extra = {"align_corners": False, "antialias": bool(antialias)} if mode == "bilinear" else {}
    out = interpolate(t.reshape(1, -1, h, w), size=(oh, ow), mode=mode, **extra)
    return out.reshape(lead + (oh, ow))


def _resize(a, oh, ow, mode, is_tensor, antialias):
    """A tensor (..., H, W) or array (H, W[, C]) resized. Integers are resampled in float32
    when they fit in 16 bits (uint8 images: torchvision's tensor path, which casts to
    float32) and in float64 otherwise (int32/int64: exact where float32 is not), then
    rounded half to even (torch.round) and clipped to their type's range."""
    if is_tensor and a.dtype in (_C.float32, _C.float64):
        return _resize_planes(a, oh, ow, mode, antialias)
    f = a.detach().numpy() if is_tensor else np.asarray(a)
    dt = f.dtype
    if dt in (np.float32, np.float64):
        work = f
    else:
        work = f.astype(np.float32 if dt.itemsize <= 2 else np.float64)
    if not is_tensor:  # (H, W[, C]) -> (C..., H, W)
        work = np.moveaxis(work.reshape(work.shape[:2] + (-1,)), -1, 0)
    out = _resize_planes(_C.from_numpy(np.ascontiguousarray(work)), oh, ow, mode,
                         antialias).numpy()
    if not is_tensor:
        out = np.moveaxis(out, 0, -1).reshape((oh, ow) + f.shape[2:])
    if dt.kind in "ui":
        out = np.clip(np.round(out), np.iinfo(dt).min, np.iinfo(dt).max)
    out = np.ascontiguousarray(out.astype(dt))
    return _C.from_numpy(out) if is_tensor else out


class Resize:
    """Resize(size, interpolation='bilinear', max_size=None, antialias=True): resize an image
    (H, W[, C]) array or a (..., H, W) tensor with F.interpolate, as torchvision's tensor
    path does: an int size matches the shorter edge (aspect kept, the longer edge capped by
    max_size), a pair is (h, w); bilinear uses align_corners=False and, with antialias=True
    (the default), the antialiased kernel (PyTorch's _upsample_bilinear2d_aa: downsampling
    averages every input pixel under a triangle as wide as the scale, as PIL does; upsampling
    is plain bilinear up to rounding). Float tensors keep their dtype and gradient; integer
    images (uint8) are resampled in float32, rounded half to even and clipped, as torchvision
    does for uint8 tensors (its uint8 kernel on AVX2 CPUs, in fixed point, can differ by 1).
    Nearest ignores antialias."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Resize: interpolation {interpolation!r} is not "
                                      f"implemented (nearest, bilinear)")
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        is_tensor = isinstance(img, Tensor)
        a = img if is_tensor else np.asarray(img)
        hd = a.dim() - 2 if is_tensor else 0
        h, w = a.shape[hd], a.shape[hd + 1]
        oh, ow = _resized_size(h, w, self.size, self.max_size)
        return _resize(img if is_tensor else a, oh, ow, self.interpolation, is_tensor,
                       self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


# ----------------------------------------------------------------- rotation

def _rotation_matrix(angle, center, w, h):
    """torchvision's inverse affine matrix (_get_inverse_affine_matrix, no shear, scale or
    translation) for a counter-clockwise rotation by angle degrees about center (pixel
    coordinates; None: the image centre): [m0, m1, m2, m3, m4, m5] maps an output point
    (x, y, 1), taken relative to the image centre, to its source point."""
    cx, cy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    rot = math.radians(-angle)  # torchvision's rotate passes -angle to the inverse matrix
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    return m


def _expanded_size(m, w, h):
    """torchvision's output size for expand=True (_compute_affine_output_size): the corners
    mapped by m, in float32, the bounds truncated to 1e-4 before rounding outwards."""
    hw, hh = 0.5 * w, 0.5 * h
    pts = np.array([[-hw, -hh, 1], [-hw, hh, 1], [hw, hh, 1], [hw, -hh, 1]], np.float32)
    new = pts @ np.array(m, np.float32).reshape(2, 3).T
    lo, hi = new.min(0) + np.float32([hw, hh]), new.max(0) + np.float32([hw, hh])
    tol = np.float32(1e-4)
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _sample(a, px, py, mode, fill):
    """a (C, H, W) float64 read at the source positions px, py (oh, ow) as torchvision's
    grid_sample with zero padding and its fill mask: nearest rounds half to even, a
    position outside the image takes fill; bilinear blends the in-image corners and mixes
    in fill by the weight that fell outside (out = v m + (1 - m) fill, torchvision's rule)."""
    _, h, w = a.shape
    fill = np.asarray(fill, np.float64).reshape(-1, 1, 1)
    if mode == "nearest":
        ix, iy = np.rint(px).astype(np.int64), np.rint(py).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        v = a[:, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        return np.where(inside, v, fill)
    x0, y0 = np.floor(px), np.floor(py)
    v = np.zeros((a.shape[0],) + px.shape)
    mask = np.zeros(px.shape)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(px - xi)) * (1 - np.abs(py - yi))
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            wgt = np.where(inside, wgt, 0.0)
            xi = np.clip(xi, 0, w - 1).astype(np.int64)
            yi = np.clip(yi, 0, h - 1).astype(np.int64)
            v += a[:, yi, xi] * wgt
            mask += wgt
    return v * mask + (1 - mask) * fill


def _rotate(a, angle, mode, expand, center, fill):
    """a (C, H, W) float64 rotated by angle degrees counter-clockwise (torchvision's
    rotate on tensors: output pixel centres at +0.5, mapped by the inverse matrix)."""
    c, h, w = a.shape
    m = _rotation_matrix(angle, center, w, h)
    ow, oh = _expanded_size(m, w, h) if expand else (w, h)
    x = np.arange(ow) - ow * 0.5 + 0.5
    y = (np.arange(oh) - oh * 0.5 + 0.5)[:, None]
    px = m[0] * x + m[1] * y + m[2] + w * 0.5 - 0.5
    py = m[3] * x + m[4] * y + m[5] + h * 0.5 - 0.5
    fill = [float(fill)] if isinstance(fill, numbers.Number) else [float(f) for f in fill]
    if len(fill) not in (1, c):
        raise ValueError("The number of elements in 'fill' does not match the number of "
                         f"channels of the image ({len(fill)} != {c})")
    return _sample(a, px, py, mode, fill)


class RandomRotation:
    """RandomRotation(degrees, interpolation='nearest', expand=False, center=None, fill=0):
    rotate by an angle drawn uniformly from degrees ((-d, d) for a number d, or a (min, max)
    pair) with pynet's generator, counter-clockwise about center ((x, y) in pixels; the image
    centre by default), as torchvision's rotate does tensors: each output pixel centre maps
    back to a source position read with 'nearest' or 'bilinear'; what falls outside the
    image takes fill (a number or one value per channel). expand=True enlarges the output
    to hold the whole rotated image. Takes a (..., H, W) tensor or an (H, W[, C]) array;
    integer images are rounded back to their dtype."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = [-degrees, degrees]
        elif not isinstance(degrees, (list, tuple)):
            raise TypeError("degrees should be a sequence of length 2.")
        elif len(degrees) != 2:
            raise ValueError("degrees should be a sequence of length 2.")
        self.degrees = [float(d) for d in degrees]
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"RandomRotation: interpolation {interpolation!r} is not "
                                      "implemented (nearest, bilinear)")
        if center is not None and len(center) != 2:
            raise ValueError("center should be a sequence of length 2.")
        if fill is None:
            fill = 0
        if not isinstance(fill, (numbers.Number, list, tuple)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.interpolation, self.expand = interpolation, expand
        self.center, self.fill = center, fill

    @staticmethod
    def get_params(degrees):
        """An angle drawn uniformly from [degrees[0], degrees[1]) by pynet's generator."""
        t = _C._fill_uniform_(_C.empty((1,)), float(degrees[0]), float(degrees[1]))
        return float(t.item())

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        is_tensor = isinstance(img, Tensor)
        a = img.detach().numpy() if is_tensor else np.asarray(img)
        if a.ndim < 2 or (not is_tensor and a.ndim > 3):
            raise ValueError(f"RandomRotation: expected a (..., H, W) tensor or an (H, W[, C]) "
                             f"array, got shape {a.shape}")
        if is_tensor:
            lead, planes = a.shape[:-2], a.reshape((-1,) + a.shape[-2:])
        else:
            planes = np.moveaxis(a.reshape(a.shape[:2] + (-1,)), -1, 0)
        out = _rotate(planes.astype(np.float64), angle, self.interpolation, self.expand,
                      self.center, self.fill)
        out = out.reshape(lead + out.shape[1:]) if is_tensor else \
            np.moveaxis(out, 0, -1).reshape(out.shape[1:] + a.shape[2:])
        if a.dtype.kind in "ui":
            out = np.clip(np.round(out), np.iinfo(a.dtype).min, np.iinfo(a.dtype).max)
        out = np.ascontiguousarray(out.astype(a.dtype))
        return _C.from_numpy(out) if is_tensor else out

    def __repr__(self):
        s = (f"{type(self).__name__}(degrees={self.degrees}, interpolation={self.interpolation}"
             f", expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"
