"""pynet.save / pynet.load: checkpoints as a ZIP of JSON + .npy files, never pickle.

File layout (a ZIP archive; any unzip + ``numpy.load`` can read it without pynet)::

    pynet_format.json   {"format": "pynet", "version": 1}
    index.json          {"root": <node>, "tensors": [<tensor record>, ...]}
    tensors/<id>.npy    one array per distinct tensor, numpy.lib.format, C order

A node is JSON ``null``/``true``/``false``, an integer, a finite float or a string (the
Python value itself), or an object with a ``"type"`` tag:

    {"type": "tensor", "id": 0}                     a tensor (id into "tensors")
    {"type": "list" | "tuple" | "size", "items": [<node>, ...]}
    {"type": "dict" | "odict", "items": [[<key node>, <value node>], ...]}
    {"type": "float", "value": "nan" | "inf" | "-inf"}
    {"type": "bytes", "hex": "..."}
    {"type": "dtype", "name": "float32"}

A tensor record is ``{"id", "file", "dtype", "shape", "requires_grad", "kind"}`` with dtype one
of float32/float64/int64/bool and kind "tensor" or "parameter".

What is kept: dtype, shape, requires_grad, int/tuple/None/... dict keys, dict order,
OrderedDict, tuples vs lists, and tensor identity (one tensor object reachable twice is stored
once and loads as one object). What is not: ``.grad``, autograd history, memory shared between
*different* tensor objects (a view and its base are saved as two independent copies), and
identity of containers.

Loading only parses JSON and the .npy format (``allow_pickle`` is never enabled), so a file
can't run code; a damaged, foreign or newer file raises ``SerializationError`` (a
``RuntimeError``) naming the problem.
"""
import io
import json
import math
import os
import secrets
import struct
import tokenize
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import numpy.lib.format as _npformat

from . import _C
from ._tensor import Size, Tensor, _check_device, _no_grad

__all__ = ["save", "load", "load_torch_state_dict", "SerializationError", "FORMAT_NAME",
           "FORMAT_VERSION"]

FORMAT_NAME = "pynet"
FORMAT_VERSION = 1
_FORMAT_FILE = "pynet_format.json"
_INDEX_FILE = "index.json"
_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "int64": np.dtype("<i8"),
           "bool": np.dtype("|b1")}
_PYNET_DTYPES = {"float32": _C.float32, "float64": _C.float64, "int64": _C.int64,
                 "bool": _C.bool}
_MAX_JSON_BYTES = 1 << 28       # index/format files larger than this are refused
_MAX_NPY_HEADER = 1 << 16       # .npy header budget (numpy writes a few hundred bytes)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: saving the same object gives same bytes


# ----------------------------------------------------------------------------------- save

class _Writer:
    def __init__(self):
        self.tensors = []       # [(record, tensor)]
        self.tensor_ids = {}    # id(tensor) -> record id
        self.active = set()     # ids of containers on the current path (cycle check)

    def node(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            return {"type": "tensor", "id": self.tensor(obj)}
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (float, np.floating)):
            obj = float(obj)
            if math.isfinite(obj):
                return obj
            return {"type": "float", "value": "nan" if math.isnan(obj) else
                    ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, _C.dtype):
            return {"type": "dtype", "name": str(obj).split(".")[-1]}
        if isinstance(obj, (bytes, bytearray)):
            return {"type": "bytes", "hex": bytes(obj).hex()}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self.active:
                raise ValueError(f"pynet.save: the object contains a reference cycle at {path}")
            self.active.add(id(obj))
            try:
                return self.container(obj, path)
            finally:
                self.active.discard(id(obj))
        raise TypeError(f"pynet.save: can't save an object of type {type(obj).__qualname__} "
                        f"(at {path}); supported: tensors, dict/OrderedDict, list, tuple, int, "
                        f"float, bool, str, bytes, None, pynet dtypes")

    def container(self, obj, path):
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                items.append([self.key(k, path), self.node(v, f"{path}[{k!r}]")])
            return {"type": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        kind = "size" if isinstance(obj, Size) else "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind, "items": [self.node(v, f"{path}[{i}]") for i, v in enumerate(obj)]}

    def key(self, k, path):
        if isinstance(k, tuple):
            return {"type": "tuple", "items": [self.key(x, path) for x in k]}
        if k is None or isinstance(k, (bool, int, float, str, bytes, np.integer, np.floating)):
            return self.node(k, path)
        raise TypeError(f"pynet.save: dict key {k!r} of type {type(k).__qualname__} at {path} "
                        f"can't be saved; keys must be str, int, float, bool, None, bytes or "
                        f"tuples of those")

    def tensor(self, t):
        tid = self.tensor_ids.get(id(t))
        if tid is not None:
            return tid
        tid = len(self.tensors)
        self.tensor_ids[id(t)] = tid
        dtype = str(t.dtype).split(".")[-1]
        if dtype not in _DTYPES:  # pragma: no cover - pynet has only these dtypes
            raise TypeError(f"pynet.save: unsupported tensor dtype {t.dtype}")
        record = {"id": tid, "file": f"tensors/{tid}.npy", "dtype": dtype,
                  "shape": [int(s) for s in t.shape], "requires_grad": bool(t.requires_grad),
                  "kind": "parameter" if type(t).__name__ == "Parameter" else "tensor"}
        self.tensors.append((record, t))
        return tid


def _c_order(arr):
    """arr as a C-contiguous array (copying only if needed; keeps 0-d arrays 0-d, unlike
    np.ascontiguousarray)."""
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _zipinfo(name, compress):
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(fh, fmt, index, tensors):
    with zipfile.ZipFile(fh, "w") as zf:
        zf.writestr(_zipinfo(_FORMAT_FILE, False), fmt)
        zf.writestr(_zipinfo(_INDEX_FILE, True), index)
        for record, t in tensors:
            arr = _c_order(_C._to_numpy(t, True))
            big = arr.nbytes > (1 << 30)
            with zf.open(_zipinfo(record["file"], False), "w", force_zip64=big) as out:
                _npformat.write_array(out, arr, allow_pickle=False)


def _create_temp_beside(path):
    """(fd, name) of a new file next to path, created exclusively under an unpredictable name:
    a file or symlink planted there beforehand is never opened or followed."""
    for _ in range(100):
        suffix = ".%s.tmp" % secrets.token_hex(8)
        tmp = path + (suffix.encode() if isinstance(path, bytes) else suffix)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"pynet.save: could not create a temporary file beside {path!r}")


def save(obj, f):
    """Save obj (tensors, possibly nested in dicts/lists/tuples with numbers, strings, bools and
    None: e.g. a module's or optimizer's state_dict) to f, a path or a writable binary file.

    Writing to a path goes through a temporary file in the same directory that replaces the
    destination only once complete, so a failed save never leaves a half-written checkpoint."""
    w = _Writer()
    root = w.node(obj, "obj")
    fmt = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION})
    index = json.dumps({"root": root, "tensors": [r for r, _ in w.tensors]}, allow_nan=False,
                       separators=(",", ":"))
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fspath(f)
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):  # PyTorch's error (not one naming the temporary file)
            shown = os.fsdecode(os.path.dirname(path) or parent)
            raise RuntimeError(f"Parent directory {shown} does not exist.")
        fd, tmp = _create_temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_archive(fh, fmt, index, w.tensors)
                fh.flush()
                os.fsync(fh.fileno())  # the data is on disk before the name points at it
            os.replace(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"pynet.save: f must be a path or a binary file object, got "
                        f"{type(f).__qualname__}")
    _write_archive(f, fmt, index, w.tensors)


# ----------------------------------------------------------------------------------- load

class SerializationError(RuntimeError):
    """pynet.load was given something that is not an intact pynet file of a version it reads."""


class _Corrupt(Exception):
    """A problem with the file's contents (turned into a RuntimeError naming the file)."""


class _UserError(Exception):
    """An exception raised by the caller's map_location function (re-raised unchanged)."""


# What reading a damaged file raises along the way (numpy's .npy header parser raises
# SyntaxError and tokenize.TokenError; zipfile's decompressor OSError). load() turns these,
# and anything else unexpected, into SerializationError.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, struct.error, EOFError, ValueError, KeyError,
                UnicodeDecodeError, RecursionError, NotImplementedError, OverflowError,
                MemoryError, SyntaxError, tokenize.TokenError, OSError, TypeError, _Corrupt)
_MAX_JSON_RATIO = 64            # a compressed JSON entry may expand at most this much (+1 MiB)


def _read_json(zf, name):
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _Corrupt(f"the archive has no {name}") from None
    if info.file_size > _MAX_JSON_BYTES:
        raise _Corrupt(f"{name} is implausibly large ({info.file_size} bytes)")
    if info.file_size > _MAX_JSON_RATIO * info.compress_size + (1 << 20):
        raise _Corrupt(f"{name} would expand from {info.compress_size} to {info.file_size} "
                       f"bytes, more than pynet ever writes")

    def bad_constant(c):
        raise _Corrupt(f"{name} contains the non-standard JSON constant {c}")

    return json.loads(zf.read(name).decode("utf-8"), parse_constant=bad_constant)


def _looks_like_torch(names):
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def _is_tensor_node(x):
    return isinstance(x, dict) and x.get("type") == "tensor"


class _Reader:
    def __init__(self, zf, records, map_location):
        self.zf = zf
        self.map_location = map_location
        self.records = {}
        if not isinstance(records, list):
            raise _Corrupt("index.json: 'tensors' must be a list")
        for r in records:
            self.check_record(r)
            if r["id"] in self.records:
                raise _Corrupt(f"index.json: tensor id {r['id']} appears twice")
            self.records[r["id"]] = r
        self.loaded = {}

    @staticmethod
    def check_record(r):
        if not isinstance(r, dict):
            raise _Corrupt("index.json: a tensor record is not an object")
        tid = r.get("id")
        if type(tid) is not int or tid < 0:
            raise _Corrupt(f"index.json: bad tensor id {tid!r}")
        if r.get("file") != f"tensors/{tid}.npy":
            raise _Corrupt(f"index.json: tensor {tid} has unexpected file {r.get('file')!r}")
        if not isinstance(r.get("dtype"), str) or r.get("dtype") not in _DTYPES:
            raise _Corrupt(f"index.json: tensor {tid} has unsupported dtype {r.get('dtype')!r}")
        shape = r.get("shape")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise _Corrupt(f"index.json: tensor {tid} has a bad shape {shape!r}")
        if type(r.get("requires_grad")) is not bool:
            raise _Corrupt(f"index.json: tensor {tid} has a bad requires_grad flag")
        if r.get("kind", "tensor") not in ("tensor", "parameter"):
            raise _Corrupt(f"index.json: tensor {tid} has unknown kind {r.get('kind')!r}")

    def node(self, x):
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if not isinstance(x, dict):
            raise _Corrupt(f"index.json: unexpected value {type(x).__name__}")
        kind = x.get("type")
        if kind == "tensor":
            return self.tensor(x.get("id"))
        if kind in ("list", "tuple", "size"):
            items = x.get("items")
            if not isinstance(items, list):
                raise _Corrupt(f"index.json: {kind} without an items list")
            vals = [self.node(v) for v in items]
            if kind == "list":
                return vals
            if kind == "size":
                if not all(type(v) is int for v in vals):
                    raise _Corrupt("index.json: a Size holds non-integers")
                return Size(vals)
            return tuple(vals)
        if kind in ("dict", "odict"):
            items = x.get("items")
            if not isinstance(items, list):
                raise _Corrupt(f"index.json: {kind} without an items list")
            out = OrderedDict() if kind == "odict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _Corrupt("index.json: a dict item is not a [key, value] pair")
                out[self.key(pair[0])] = self.node(pair[1])
            return out
        if kind == "float":
            v = x.get("value")
            if v not in ("nan", "inf", "-inf"):
                raise _Corrupt(f"index.json: bad special float {v!r}")
            return float(v)
        if kind == "bytes":
            h = x.get("hex")
            if not isinstance(h, str):
                raise _Corrupt("index.json: bytes without hex data")
            return bytes.fromhex(h)
        if kind == "dtype":
            name = x.get("name")
            if not isinstance(name, str) or name not in _PYNET_DTYPES:
                raise _Corrupt(f"index.json: unknown dtype {name!r}")
            return _PYNET_DTYPES[name]
        raise _Corrupt(f"index.json: unknown node type {kind!r}")

    def key(self, x):
        if _is_tensor_node(x) or (isinstance(x, dict) and x.get("type") in
                                  ("list", "dict", "odict", "dtype", "size")):
            raise _Corrupt("index.json: a dict key must be a number, string, bool, None, "
                           "bytes or tuple")
        if isinstance(x, dict) and x.get("type") == "tuple":
            items = x.get("items")
            if not isinstance(items, list):
                raise _Corrupt("index.json: tuple without an items list")
            return tuple(self.key(v) for v in items)
        return self.node(x)

    def tensor(self, tid):
        if type(tid) is not int or tid not in self.records:
            raise _Corrupt(f"index.json: reference to unknown tensor {tid!r}")
        if tid in self.loaded:
            return self.loaded[tid]
        r = self.records[tid]
        arr = self.read_npy(r)
        t = _tensor_from_array(arr)
        t = self.apply_map_location(t)
        if r.get("kind") == "parameter":
            t = _make_parameter(t, r["requires_grad"])
        elif r["requires_grad"]:
            t.requires_grad_(True)
        self.loaded[tid] = t
        return t

    def apply_map_location(self, t):
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, dict)):
            try:
                res = ml(t, "cpu")
            except Exception as e:
                raise _UserError(e) from e
            if res is not None:
                if not isinstance(res, Tensor):  # the caller's mistake, not the file's
                    raise _UserError(TypeError("pynet.load: map_location callable must return "
                                               f"a tensor or None, got {type(res).__qualname__}"))
                t = res
        return t

    def read_npy(self, r):
        name, shape = r["file"], tuple(r["shape"])
        want = _DTYPES[r["dtype"]]
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise _Corrupt(f"the archive has no {name}") from None
        nbytes = want.itemsize * math.prod(shape)
        if not nbytes <= info.file_size <= nbytes + _MAX_NPY_HEADER:
            raise _Corrupt(f"{name} holds {info.file_size} bytes, which doesn't fit a "
                           f"{r['dtype']} tensor of shape {list(shape)}")
        # pynet stores tensors uncompressed, so an entry's bytes are all in the file: a small
        # file cannot make load allocate a huge tensor (a compressed run of zeros could)
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Corrupt(f"{name} is compressed; pynet stores tensors uncompressed")
        end = getattr(self.zf, "start_dir", None)
        if info.compress_size != info.file_size or (
                end is not None and info.header_offset + info.compress_size > end):
            raise _Corrupt(f"{name} claims {info.file_size} bytes that the archive does not hold")
        with self.zf.open(info) as fh, warnings.catch_warnings():
            # a damaged header makes numpy's parser warn (SyntaxWarning, "created on Python 2")
            # before it fails: the SerializationError says it all
            warnings.simplefilter("ignore")
            version = _npformat.read_magic(fh)
            if version == (1, 0):
                hshape, fortran, dtype = _npformat.read_array_header_1_0(
                    fh, max_header_size=_MAX_NPY_HEADER)
            elif version == (2, 0):
                hshape, fortran, dtype = _npformat.read_array_header_2_0(
                    fh, max_header_size=_MAX_NPY_HEADER)
            else:
                raise _Corrupt(f"{name}: unsupported .npy format version {version}")
            if dtype.hasobject or dtype.newbyteorder("<") != want:
                raise _Corrupt(f"{name}: array dtype {dtype.str} differs from the index "
                               f"({r['dtype']}); object/pickled arrays are never loaded")
            if tuple(hshape) != shape:
                raise _Corrupt(f"{name}: array shape {list(hshape)} differs from the index "
                               f"{list(shape)}")
            arr = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
            buf = memoryview(arr.reshape(-1)).cast("B") if arr.size else memoryview(b"")
            got = 0
            while got < nbytes:
                n = fh.readinto(buf[got:])
                if not n:
                    raise _Corrupt(f"{name}: array data is truncated")
                got += n
            if fh.read(1):  # also makes zipfile check the entry's CRC
                raise _Corrupt(f"{name}: unexpected bytes after the array data")
        if fortran:
            arr = arr.T
        if dtype.byteorder not in ("=", "|") and dtype != dtype.newbyteorder("="):
            arr = arr.astype(dtype.newbyteorder("="))
        return _c_order(arr)


def _tensor_from_array(arr):
    """A pynet tensor owning arr's data (arr is C-contiguous, native byte order)."""
    if arr.size == 0:  # from_numpy marks zero-size arrays (numpy strides 0) non-contiguous
        return _C.empty(arr.shape, dtype=_PYNET_DTYPES[arr.dtype.name])
    return _C.from_numpy(arr)


def _make_parameter(t, requires_grad):
    from . import nn

    param_cls = getattr(nn, "Parameter", None)
    if param_cls is None:
        if requires_grad:
            t.requires_grad_(True)
        return t
    return param_cls(t, requires_grad=requires_grad)


def _check_map_location(ml):
    if ml is None or callable(ml) and not isinstance(ml, (str, dict)):
        return
    for v in ml.values() if isinstance(ml, dict) else (ml,):
        try:
            _check_device(v, "pynet.load (map_location)")
        except AssertionError:  # CUDA: torch.load raises RuntimeError here, not AssertionError
            raise RuntimeError(f"pynet.load: map_location={v!r} asks for a CUDA device, but "
                               "pynet computes on the cpu only: use map_location='cpu'") from None


def _describe(f):
    return repr(os.fspath(f)) if isinstance(f, (str, bytes, os.PathLike)) else "the file object"


def _open_source(f):
    """(file object, close_it) for a path or a binary file object."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return open(f, "rb"), True
    if not hasattr(f, "read"):
        raise TypeError(f"pynet.load: f must be a path or a binary file object, got "
                        f"{type(f).__qualname__}")
    if not (hasattr(f, "seek") and getattr(f, "seekable", lambda: True)()):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("pynet.load: the file object must be opened in binary mode")
        return io.BytesIO(data), False
    return f, False


def load(f, map_location=None, weights_only=True):
    """Load an object saved by pynet.save from f (a path or a readable binary file object).

    map_location may be None, 'cpu', pynet.device('cpu'), a dict whose values are 'cpu', or a
    callable fn(tensor, 'cpu') returning the tensor to use. weights_only is accepted for
    PyTorch compatibility: pynet files hold no code whatever its value, so loading never
    executes anything from the file.

    Raises SerializationError (a RuntimeError) for anything that is not an intact pynet file
    (a truncated or corrupted archive, a foreign ZIP, a PyTorch checkpoint, a pickle, a newer
    format version), with a message naming the problem."""
    _check_map_location(map_location)
    where = _describe(f)
    fh, close = _open_source(f)
    try:
        start = fh.tell()
        head = fh.read(4)
        fh.seek(start)
        if not isinstance(head, (bytes, bytearray)):
            raise TypeError("pynet.load: the file object must be opened in binary mode")
        if not head.startswith(b"PK"):
            if head[:1] == b"\x80":
                raise SerializationError(f"pynet.load: {where} is a Python pickle (maybe a "
                                         f"legacy PyTorch file); pynet never unpickles files")
            raise SerializationError(f"pynet.load: {where} is not a pynet file (not a ZIP "
                                     f"archive{'; the file is empty' if not head else ''})")
        try:
            with zipfile.ZipFile(fh, "r") as zf:
                return _load_zip(zf, where, map_location)
        except _UserError as e:
            raise e.args[0] from None
        except SerializationError:
            raise
        except _READ_ERRORS + (RuntimeError,) as e:  # zipfile: RuntimeError for encryption
            raise SerializationError(f"pynet.load: {where} is damaged or not a valid pynet "
                                     f"file: {_message(e)}") from e
    finally:
        if close:
            fh.close()


def _message(e):
    if isinstance(e, zipfile.BadZipFile):
        return f"broken ZIP archive ({e}); the file may be truncated or corrupted"
    if isinstance(e, RecursionError):
        return "the object tree is nested too deeply"
    return f"{type(e).__name__}: {e}" if not isinstance(e, _Corrupt) else str(e)


def _load_zip(zf, where, map_location):
    names = zf.namelist()
    err = SerializationError
    if _FORMAT_FILE not in names:
        if _looks_like_torch(names):
            raise err(f"pynet.load: {where} is a PyTorch checkpoint, not a pynet file; use "
                      f"pynet.serialization.load_torch_state_dict (needs torch)")
        raise err(f"pynet.load: {where} is a ZIP archive but not a pynet file (it has no "
                  f"{_FORMAT_FILE})")
    fmt = _read_json(zf, _FORMAT_FILE)
    if not isinstance(fmt, dict) or fmt.get("format") != FORMAT_NAME:
        name = fmt.get("format") if isinstance(fmt, dict) else fmt
        raise err(f"pynet.load: {where} is not a pynet file ({_FORMAT_FILE} names format "
                  f"{name!r})")
    version = fmt.get("version")
    if type(version) is not int or version < 1:
        raise err(f"pynet.load: {where} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise err(f"pynet.load: {where} was written in pynet format version {version}, newer "
                  f"than this pynet reads (up to {FORMAT_VERSION}); upgrade pynet")
    index = _read_json(zf, _INDEX_FILE)
    if not isinstance(index, dict) or "root" not in index:
        raise _Corrupt("index.json has no 'root'")
    reader = _Reader(zf, index.get("tensors", []), map_location)
    with _no_grad():
        return reader.node(index["root"])


# ----------------------------------------------------------------------------- PyTorch

_TORCH_TO_NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
                "bool": np.bool_, "float16": np.float32, "bfloat16": np.float32,
                "int32": np.int64, "int16": np.int64, "int8": np.int64, "uint8": np.int64}


def load_torch_state_dict(f, map_location=None):
    """Load a PyTorch checkpoint (e.g. a state_dict saved with torch.save) with
    ``torch.load(f, map_location='cpu', weights_only=True)`` and convert every torch tensor in
    it to a pynet tensor (float16/bfloat16 become float32, smaller integer types int64).
    Containers, numbers and strings are kept; tensor identity is preserved. Needs torch."""
    try:
        import torch
    except ImportError:
        raise ImportError("pynet.serialization.load_torch_state_dict needs PyTorch "
                          "(pip install torch) to read .pt files") from None
    if callable(map_location) and not isinstance(map_location, (str, dict)):
        raise TypeError("load_torch_state_dict: map_location must be None, 'cpu' or a dict")
    _check_map_location(map_location)
    obj = torch.load(f, map_location="cpu", weights_only=True)
    memo = {}

    def conv(x):
        if isinstance(x, torch.Tensor):
            if id(x) in memo:
                return memo[id(x)]
            name = str(x.dtype).split(".")[-1]
            if name not in _TORCH_TO_NP:
                raise TypeError(f"load_torch_state_dict: torch dtype {x.dtype} has no pynet "
                                f"equivalent")
            arr = x.detach().to("cpu")
            if name in ("float16", "bfloat16"):
                arr = arr.float()
            arr = _c_order(arr.numpy().astype(_TORCH_TO_NP[name]))
            t = _tensor_from_array(arr)
            if x.requires_grad:
                t.requires_grad_(True)
            memo[id(x)] = t
            return t
        if isinstance(x, torch.Size):
            return Size(x)
        if isinstance(x, OrderedDict):
            return OrderedDict((conv(k), conv(v)) for k, v in x.items())
        if isinstance(x, dict):
            return {conv(k): conv(v) for k, v in x.items()}
        if isinstance(x, tuple):
            return tuple(conv(v) for v in x)
        if isinstance(x, list):
            return [conv(v) for v in x]
        if isinstance(x, torch.dtype):
            name = str(x).split(".")[-1]
            return _PYNET_DTYPES.get(name, x)
        return x

    return conv(obj)
