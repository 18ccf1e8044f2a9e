"""Datasets a course trains on: MNIST and Fashion-MNIST (the original IDX files), CIFAR-10
(its binary version).

Where the files are looked for, in order:
  1. ``root`` itself, ``root/<name>`` and ``root/<Name>/raw`` (torchvision's layout);
  2. ``$PYNET_DATA`` (and ``$PYNET_DATA/<name>``);
  3. ``./data/<name>`` (pynet's repository ships the four MNIST files there);
  4. the per-user cache ``~/.cache/pynet/<name>`` (``$XDG_CACHE_HOME`` respected),
     where ``download=True`` puts them.
Every file's checksum is verified before it is parsed.
"""
import gzip
import hashlib
import os
import tempfile
import urllib.request

import numpy as np

from .. import _C
from ..utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "read_idx"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(data, what="IDX data"):
    """Parse the bytes of an IDX file (uncompressed) into a NumPy array.

    The header is two zero bytes, a type byte (0x08 unsigned bytes, ...), the number of
    dimensions, then each dimension as a 32-bit big-endian integer. Raises ValueError
    naming `what` when the header or the length is wrong."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{what}: not an IDX file (magic number {data[:4].hex() or 'missing'})")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{what}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = memoryview(data)[4 + 4 * ndim:]
    if len(body) != want:
        raise ValueError(f"{what}: expected {want} bytes of data for shape {shape}, "
                         f"found {len(body)} (truncated or damaged file)")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def _cache_dir(name):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pynet", name)


def _digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(urls, dest, algo, digest):
    """Fetch the first mirror that answers into dest, atomically (a temp file in the same
    folder, checked, then renamed)."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
                for block in iter(lambda: r.read(1 << 20), b""):
                    out.write(block)
            if _digest(tmp, algo) != digest:
                raise OSError(f"checksum mismatch for the file from {url}")
            os.replace(tmp, dest)
            return
        except Exception as e:  # try the next mirror
            errors.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise RuntimeError(f"could not download {os.path.basename(dest)}:\n  " + "\n  ".join(errors))


class _ImageDataset(Dataset):
    """Images held as a uint8 array (self._images) with int64 labels (self._labels)."""

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class MNIST(_ImageDataset):
    """MNIST(root='data', train=True, transform=None, target_transform=None, download=False)

    The 70,000 handwritten digits (60,000 train, 10,000 test), 28x28 grey levels.
    ``ds[i]`` is ``(image, label)``: the image is a (28, 28) uint8 NumPy array (where
    torchvision gives a PIL image; ``transforms.ToTensor()`` turns either into a (1, 28, 28)
    float tensor in [0, 1]), the label an int. ``as_tensors()`` gives the whole split at
    once. ``data`` holds the images as a float32 tensor of 0..255 values (N, 28, 28) (pynet
    has no uint8), ``targets`` the int64 labels.
    """

    name = "mnist"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = {  # file -> (hash algorithm, digest)
        "train-images-idx3-ubyte.gz": ("sha256", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        "train-labels-idx1-ubyte.gz": ("sha256", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        "t10k-images-idx3-ubyte.gz": ("sha256", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        "t10k-labels-idx1-ubyte.gz": ("sha256", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        split = "train" if train else "t10k"
        images = self._load(f"{split}-images-idx3-ubyte.gz", download)
        labels = self._load(f"{split}-labels-idx1-ubyte.gz", download)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: the image file holds shape "
                               f"{images.shape} and the label file {labels.shape}; they do not "
                               f"belong together")
        self._images, self._labels = images, labels.astype(np.int64)
        self._data = None

    def _candidates(self, fname):
        name, Name = self.name, type(self).__name__
        dirs = []
        if self.root is not None:
            r = os.path.expanduser(str(self.root))
            dirs += [r, os.path.join(r, name), os.path.join(r, Name, "raw")]
        if os.environ.get("PYNET_DATA"):
            dirs += [os.environ["PYNET_DATA"], os.path.join(os.environ["PYNET_DATA"], name)]
        dirs += [os.path.join("data", name), _cache_dir(name)]
        return [os.path.join(d, fname) for d in dict.fromkeys(dirs)]

    def _load(self, fname, download):
        algo, digest = self.resources[fname]
        places = self._candidates(fname)
        found = next((p for p in places if os.path.isfile(p)), None)
        if found is None and download:
            found = os.path.join(_cache_dir(self.name), fname)
            _download([m + fname for m in self.mirrors], found, algo, digest)
        if found is None:
            raise RuntimeError(
                f"{type(self).__name__}: {fname} not found. Looked in:\n  " +
                "\n  ".join(places) + "\nPass download=True to fetch it into the cache, or "
                "point root (or $PYNET_DATA) at the folder holding the original files.")
        if _digest(found, algo) != digest:
            raise RuntimeError(f"{type(self).__name__}: {found} is damaged or not the original "
                               f"file ({algo} checksum mismatch). Delete it and pass "
                               f"download=True, or copy the original file there.")
        with gzip.open(found, "rb") as f:
            return read_idx(f.read(), found)


    @property
    def data(self):
        """The images, a float32 tensor (N, 28, 28) holding 0..255."""
        if self._data is None:
            self._data = _C.from_numpy(self._images.astype(np.float32))
        return self._data

    @property
    def targets(self):
        """The labels, an int64 tensor (N,)."""
        return _C.from_numpy(self._labels.copy())

    def as_tensors(self, normalize=True):
        """The whole split as (images (N, 1, 28, 28) float32, labels (N,) int64): pixels
        scaled to [0, 1] and, with normalize, standardised by the training set's mean and
        std (as ``Normalize((0.1307,), (0.3081,))`` for MNIST)."""
        x = self._images.astype(np.float32)[:, None] / np.float32(255)
        if normalize:
            mean, std = self.mean_std
            x = (x - np.float32(mean)) / np.float32(std)
        return _C.from_numpy(np.ascontiguousarray(x)), _C.from_numpy(self._labels.copy())

    mean_std = (0.1307, 0.3081)

    def __repr__(self):
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Split: {'Train' if self.train else 'Test'}")


class FashionMNIST(MNIST):
    """FashionMNIST(root='data', train=True, transform=None, target_transform=None,
    download=False): Zalando's 70,000 28x28 images of clothes in 10 classes, in MNIST's
    IDX format (same interface as MNIST)."""

    name = "fashion-mnist"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = {
        "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
        "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
        "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    mean_std = (0.2860, 0.3530)


class CIFAR10(_ImageDataset):
    """CIFAR10(root='data', train=True, transform=None, target_transform=None, download=False)

    60,000 32x32 colour images in 10 classes (50,000 train, 10,000 test), read from the
    *binary* version of the dataset (``cifar-10-batches-bin/``: ``data_batch_1.bin`` ..
    ``data_batch_5.bin``, ``test_batch.bin``; never the pickled Python version). Each
    record is a label byte and 3,072 pixel bytes (the red, green and blue 32x32 planes).
    ``ds[i]`` is ``(image, label)`` with the image a (32, 32, 3) uint8 NumPy array (HWC, as
    a PIL image would be). The folder is searched as for MNIST (``cifar10`` for ``<name>``);
    ``download=True`` fetches the archive, checks its MD5 and unpacks it into the cache.
    """

    name = "cifar10"
    folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    archive_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]
    mean_std = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        files = [f"data_batch_{k}.bin" for k in range(1, 6)] if train else ["test_batch.bin"]
        folder = self._find(files, download)
        parts = [self._read(os.path.join(folder, f)) for f in files]
        self._labels = np.concatenate([p[0] for p in parts]).astype(np.int64)
        self._images = np.concatenate([p[1] for p in parts])

    def _candidates(self):
        dirs = []
        if self.root is not None:
            r = os.path.expanduser(str(self.root))
            dirs += [r, os.path.join(r, self.folder), os.path.join(r, self.name),
                     os.path.join(r, self.name, self.folder)]
        if os.environ.get("PYNET_DATA"):
            e = os.environ["PYNET_DATA"]
            dirs += [e, os.path.join(e, self.folder), os.path.join(e, self.name, self.folder)]
        dirs += [os.path.join("data", self.name, self.folder),
                 os.path.join(_cache_dir(self.name), self.folder)]
        return list(dict.fromkeys(dirs))

    def _find(self, files, download):
        places = self._candidates()
        for d in places:
            if all(os.path.isfile(os.path.join(d, f)) for f in files):
                return d
        if download:
            return self._download()
        raise RuntimeError(f"CIFAR10: {', '.join(files)} not found. Looked in:\n  " +
                           "\n  ".join(places) + "\nPass download=True to fetch the binary "
                           "version into the cache, or point root (or $PYNET_DATA) at the "
                           f"folder holding {self.folder}/.")

    def _download(self):
        import tarfile
        cache = _cache_dir(self.name)
        archive = os.path.join(cache, os.path.basename(self.url))
        if not (os.path.isfile(archive) and _digest(archive, "md5") == self.archive_md5):
            _download([self.url], archive, "md5", self.archive_md5)
        tmp = tempfile.mkdtemp(dir=cache, prefix=".unpack-")
        with tarfile.open(archive, "r:gz") as tar:
            for m in tar.getmembers():  # only plain files inside the expected folder
                parts = m.name.split("/")
                if m.isfile() and len(parts) == 2 and parts[0] == self.folder:
                    extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    tar.extract(m, tmp, **extra)
        dest = os.path.join(cache, self.folder)
        if os.path.isdir(dest):
            import shutil
            shutil.rmtree(dest)
        os.replace(os.path.join(tmp, self.folder), dest)
        os.rmdir(tmp)
        return dest

    @staticmethod
    def _read(path):
        """One batch file -> (labels (n,), images (n, 32, 32, 3) uint8)."""
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % 3073:
            raise RuntimeError(f"CIFAR10: {path} is damaged or not a batch of the binary "
                               f"version ({raw.size} bytes is not a multiple of 3073)")
        rec = raw.reshape(-1, 3073)
        if rec[:, 0].max() > 9:
            raise RuntimeError(f"CIFAR10: {path} holds a label above 9: not a CIFAR-10 batch")
        images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return rec[:, 0], np.ascontiguousarray(images)


    @property
    def data(self):
        """The images as a uint8 NumPy array (N, 32, 32, 3), as torchvision's ``data``."""
        return self._images

    @property
    def targets(self):
        """The labels as a list of ints, as torchvision's ``targets``."""
        return self._labels.tolist()

    def as_tensors(self, normalize=True):
        """The whole split as (images (N, 3, 32, 32) float32 in [0, 1], standardised per
        channel with normalize; labels (N,) int64)."""
        x = self._images.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
        if normalize:
            mean, std = (np.asarray(v, dtype=np.float32).reshape(1, 3, 1, 1)
                         for v in self.mean_std)
            x = (x - mean) / std
        return _C.from_numpy(np.ascontiguousarray(x)), _C.from_numpy(self._labels.copy())

    def __repr__(self):
        return (f"Dataset CIFAR10\n    Number of datapoints: {len(self)}\n"
                f"    Split: {'Train' if self.train else 'Test'}")
