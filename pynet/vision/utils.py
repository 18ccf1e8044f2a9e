"""make_grid and save_image, as torchvision.utils (PNG written with the standard library)."""
import struct
import zlib

import numpy as np

from .. import _C
from .._tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor):
    """A (B, C, H, W) float NumPy array from a tensor (B, C, H, W), (C, H, W), (H, W) or a
    list of (C, H, W) tensors (stacked)."""
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        arr = np.stack([t.detach().numpy() for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:  # one grey image
        arr = arr[None]
    if arr.ndim == 3:  # one image (C, H, W), as torchvision reads it
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected a 2-, 3- or 4-D tensor, got shape {arr.shape}")
    return arr.astype(np.float32 if arr.dtype != np.float64 else np.float64)


def _normalise(img, value_range):
    lo, hi = (float(img.min()), float(img.max())) if value_range is None else value_range
    return np.clip((img - lo) / max(hi - lo, 1e-5), 0, 1)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Lay a batch of images (B, C, H, W) out in a grid of nrow columns -> a (3, H', W')
    tensor (one-channel images are repeated to three), images `padding` pixels apart on a
    background of pad_value. normalize scales to [0, 1] by value_range (min, max), or by
    the batch's (each image's with scale_each) minimum and maximum."""
    arr = _as_batch(tensor)
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and "
                            "max are numbers")
        arr = (np.stack([_normalise(a, value_range) for a in arr]) if scale_each
               else _normalise(arr, value_range)).astype(arr.dtype)
    if arr.shape[0] == 1:
        return _C.from_numpy(np.ascontiguousarray(arr[0]))
    b, c, h, w = arr.shape
    cols = min(nrow, b)
    rows = -(-b // cols)
    hh, ww = h + padding, w + padding
    grid = np.full((c, rows * hh + padding, cols * ww + padding), pad_value, dtype=arr.dtype)
    for k in range(b):
        y, x = divmod(k, cols)
        grid[:, y * hh + padding:y * hh + padding + h, x * ww + padding:x * ww + padding + w] = arr[k]
    return _C.from_numpy(grid)


def _png(rgb):
    """PNG bytes of an (H, W, 3) uint8 array (8-bit RGB, no filtering, zlib level 6)."""
    h, w, _ = rgb.shape

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))  # filter type 0 per row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or batch, laid out by make_grid with **kwargs) of values in [0, 1] as
    a PNG file (fp: a path or a writable binary file)."""
    if format not in (None, "png", "PNG"):
        raise NotImplementedError(f"save_image: pynet writes PNG only, not {format!r}")
    if isinstance(fp, str) and not fp.lower().endswith(".png") and format is None:
        raise NotImplementedError(f"save_image: pynet writes PNG only; name the file .png "
                                  f"(got {fp!r})")
    grid = make_grid(tensor, **kwargs).numpy()
    if grid.ndim == 2:
        grid = grid[None]
    if grid.shape[0] == 1:
        grid = np.repeat(grid, 3, axis=0)
    rgb = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    data = _png(np.ascontiguousarray(rgb))
    if isinstance(fp, str):
        with open(fp, "wb") as f:
            f.write(data)
    else:
        fp.write(data)
