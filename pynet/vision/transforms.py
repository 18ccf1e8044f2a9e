"""Image transforms, as torchvision.transforms (the ones a course uses).

Images are NumPy arrays (H, W) or (H, W, C) — what pynet's datasets return where
torchvision returns PIL images — or tensors (C, H, W) after ``ToTensor``.
"""
import numpy as np

from .. import _C
from .._tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip", "RandomCrop",
           "Resize", "InterpolationMode"]


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
    float32 in [0, 1], other dtypes are kept as they are (torchvision's rule)."""

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            raise TypeError("pic should be PIL Image or ndarray. Got <class 'pynet.Tensor'>")
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        img = pic[:, :, None] if pic.ndim == 2 else pic
        chw = np.ascontiguousarray(img.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return _C.from_numpy(chw.astype(np.float32) / np.float32(255))
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


def _resize_planes(t, oh, ow, mode):
    """A float tensor (..., H, W) resized to (..., oh, ow) by F.interpolate (align_corners
    False for bilinear, as torchvision)."""
    from ..nn.functional import interpolate
    lead, (h, w) = tuple(t.shape[:-2]), tuple(t.shape[-2:])
    extra = {"align_corners": False} if mode == "bilinear" else {}
    out = interpolate(t.reshape(1, -1, h, w), size=(oh, ow), mode=mode, **extra)
    return out.reshape(lead + (oh, ow))


def _resize(a, oh, ow, mode, is_tensor):
    """A tensor (..., H, W) or array (H, W[, C]) resized; integers are resampled in float64,
    then rounded and clipped to their type's range."""
    if is_tensor and a.dtype in (_C.float32, _C.float64):
        return _resize_planes(a, oh, ow, mode)
    f = a.detach().numpy() if is_tensor else np.asarray(a)
    dt = f.dtype
    work = f if dt in (np.float32, np.float64) else f.astype(np.float64)
    if not is_tensor:  # (H, W[, C]) -> (C..., H, W)
        work = np.moveaxis(work.reshape(work.shape[:2] + (-1,)), -1, 0)
    out = _resize_planes(_C.from_numpy(np.ascontiguousarray(work)), oh, ow, mode).numpy()
    if not is_tensor:
        out = np.moveaxis(out, 0, -1).reshape((oh, ow) + f.shape[2:])
    if dt.kind in "ui":
        out = np.clip(np.round(out), np.iinfo(dt).min, np.iinfo(dt).max)
    out = np.ascontiguousarray(out.astype(dt))
    return _C.from_numpy(out) if is_tensor else out


class Resize:
    """Resize(size, interpolation='bilinear', max_size=None, antialias=True): resize an image
    (H, W[, C]) array or a (..., H, W) tensor with F.interpolate (align_corners=False;
    differentiable for float tensors). Antialiasing is not implemented: bilinear
    downsampling with antialias=True raises NotImplementedError (pass antialias=False);
    upsampling is the same either way."""

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
        if self.interpolation == "bilinear" and self.antialias and (oh < h or ow < w):
            raise NotImplementedError("Resize: antialiased bilinear downsampling is not "
                                      "implemented; pass antialias=False")
        return _resize(img if is_tensor else a, oh, ow, self.interpolation, is_tensor)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation})"
