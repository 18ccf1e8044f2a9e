"""Image transforms, as torchvision.transforms (the ones a course uses).

Images are NumPy arrays (H, W) or (H, W, C) — what pynet's datasets return where
torchvision returns PIL images — or tensors (C, H, W) after ``ToTensor``.
"""
import numpy as np

from .. import _C
from .._tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip"]


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
        if float(_C._fill_uniform_(_C.empty((), dtype=_C.float64), 0.0, 1.0).item()) >= self.p:
            return img
        if isinstance(img, Tensor):
            return img.flip(-1)
        return np.ascontiguousarray(img[:, ::-1])

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"
