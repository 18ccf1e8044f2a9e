"""pynet.vision: IDX parsing, MNIST files (search order, checksums, errors), transforms, and
a short run of the main job (pynet.examples.mnist)."""
import gzip
import json
import os
import shutil

import numpy as np
import pytest

import pynet
from pynet.vision import datasets, transforms as T
from pynet.vision.datasets import MNIST, read_idx

from conftest import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(REPO, "data", "mnist")


def idx_bytes(arr, type_byte=0x08):
    head = bytes([0, 0, type_byte, arr.ndim]) + b"".join(int(d).to_bytes(4, "big")
                                                        for d in arr.shape)
    return head + arr.tobytes()


def test_read_idx_good_and_bad():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(idx_bytes(a)), a)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(b"\x01\x02\x08\x03" + idx_bytes(a)[4:])
    with pytest.raises(ValueError, match="truncated or damaged"):
        read_idx(idx_bytes(a)[:-1])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(idx_bytes(a)[:9])


def test_shipped_mnist_is_the_original():
    train, test = MNIST(REPO + "/data", True), MNIST(REPO + "/data", False)
    assert len(train) == 60000 and len(test) == 10000
    img, label = train[0]
    assert img.shape == (28, 28) and img.dtype == np.uint8 and label == 5  # the famous 5
    assert [test[i][1] for i in range(5)] == [7, 2, 1, 0, 4]
    assert np.bincount(train._labels).tolist()[:3] == [5923, 6742, 5958]
    x, y = test.as_tensors()
    assert tuple(x.shape) == (10000, 1, 28, 28) and x.dtype == pynet.float32
    assert y.dtype == pynet.int64 and abs(float(x.mean()) - 0.0) < 0.05  # ~standardised
    assert float(train.data.max()) == 255.0 and tuple(train.targets.shape) == (60000,)


def test_search_order_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./data/mnist here
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PYNET_DATA", raising=False)
    with pytest.raises(RuntimeError, match="not found") as e:
        MNIST(str(tmp_path / "nowhere"), train=False)
    assert "nowhere" in str(e.value) and "download=True" in str(e.value)
    env = tmp_path / "env"
    env.mkdir()
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(os.path.join(SHIPPED, f), env / f)
    monkeypatch.setenv("PYNET_DATA", str(env))
    assert len(MNIST(None, train=False)) == 10000  # found through $PYNET_DATA
    raw = tmp_path / "root" / "MNIST" / "raw"  # torchvision's layout under root
    raw.mkdir(parents=True)
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(os.path.join(SHIPPED, f), raw / f)
    bad = raw / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(bad.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte
    bad.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="checksum mismatch") as e:
        MNIST(str(tmp_path / "root"), train=False)
    assert str(bad) in str(e.value)


def test_download_from_a_local_mirror(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PYNET_DATA", raising=False)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(os.path.join(SHIPPED, f), mirror / f)

    class Local(MNIST):
        mirrors = ["file:///nonexistent/", mirror.as_uri() + "/"]
    ds = Local(str(tmp_path / "empty"), train=False, download=True)
    assert len(ds) == 10000
    cached = tmp_path / "cache" / "pynet" / "mnist"
    assert sorted(os.listdir(cached)) == ["t10k-images-idx3-ubyte.gz",
                                          "t10k-labels-idx1-ubyte.gz"]  # no temp left
    (mirror / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"junk"))
    shutil.rmtree(cached)
    with pytest.raises(RuntimeError, match="could not download"):
        Local(str(tmp_path / "empty"), train=False, download=True)


def test_to_tensor_and_normalize_match_torchvision_rules(need_torch):
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    t = T.ToTensor()(img)
    assert tuple(t.shape) == (1, 3, 4) and t.dtype == pynet.float32
    np.testing.assert_allclose(t.numpy()[0], img / np.float32(255), rtol=1e-6)
    rgb = np.random.default_rng(0).integers(0, 256, (2, 3, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(rgb).numpy(), rgb.transpose(2, 0, 1) / np.float32(255))
    x = torch.rand(3, 4, 5)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    want = (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    got = T.Normalize(mean, std)(pynet.tensor(x.numpy()))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.0,), (0.0,))(pynet.zeros(1, 2, 2))
    with pytest.raises(TypeError):
        T.Normalize((0.0,), (1.0,))(pynet.zeros(1, 2, 2, dtype=pynet.int64))
    c = T.Compose([T.ToTensor(), T.Lambda(lambda v: v * 2)])
    np.testing.assert_allclose(c(img).numpy(), 2 * t.numpy())


def test_random_horizontal_flip():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(img), img)
    t = pynet.tensor(img.astype(np.float32))[None]
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(t).numpy()[0], img[:, ::-1])


def test_main_job_short_run(tmp_path):
    from pynet.examples import mnist
    out = tmp_path / "run"
    s = mnist.main(["--root", REPO + "/data", "--epochs", "2", "--limit", "2000",
                    "--batch-size", "50", "--out", str(out), "--no-progress", "--threads", "1"])
    h = s["history"]
    assert h[1]["train_loss"] < h[0]["train_loss"] and s["test_accuracy"] > 0.8
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_accuracy"] == s["test_accuracy"] and summary["config"]["limit"] == 2000
    grid = read_png((out / "misclassified.png").read_bytes())
    assert grid.shape[2] == 3 and grid.shape[1] == 8 * 30 + 2  # 8 digits of 28 + 2 per row
    state = pynet.load(str(out / "mnist_mlp.pt"))
    model = mnist.mlp()
    model.load_state_dict(state)
    _, acc, _ = mnist.evaluate(model, *MNIST(REPO + "/data", False).as_tensors())
    assert acc == s["test_accuracy"]
    again = mnist.main(["--root", REPO + "/data", "--epochs", "2", "--limit", "2000",
                        "--batch-size", "50", "--out", str(out), "--no-progress",
                        "--threads", "2"])
    assert again["history"][1]["train_loss"] == h[1]["train_loss"]  # any thread count


def cifar_batch(path, labels, rng):
    """A fabricated batch file of the binary version: label byte + 3072 pixel bytes each."""
    pix = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    recs = np.concatenate([np.asarray(labels, dtype=np.uint8)[:, None], pix], 1)
    path.write_bytes(recs.tobytes())
    return pix


def test_cifar10_binary_parsing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PYNET_DATA", raising=False)
    folder = tmp_path / "root" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pix = cifar_batch(folder / "test_batch.bin", [3, 9, 0], rng)
    for k in range(1, 6):
        cifar_batch(folder / f"data_batch_{k}.bin", [k, k], rng)
    test = datasets.CIFAR10(str(tmp_path / "root"), train=False)
    assert len(test) == 3 and test.targets == [3, 9, 0]
    img, label = test[1]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and label == 9
    # the record holds the red plane, then green, then blue, each row-major 32x32
    np.testing.assert_array_equal(img[..., 0].reshape(-1), pix[1, :1024])
    np.testing.assert_array_equal(img[5, 7], pix[1, [5 * 32 + 7, 1024 + 5 * 32 + 7,
                                                    2048 + 5 * 32 + 7]])
    train = datasets.CIFAR10(str(tmp_path / "root"), train=True)
    assert train.targets == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    x, y = train.as_tensors(normalize=False)
    assert tuple(x.shape) == (10, 3, 32, 32) and float(x.max()) <= 1.0
    t = T.ToTensor()(img)
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / np.float32(255))
    (folder / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(RuntimeError, match="multiple of 3073"):
        datasets.CIFAR10(str(tmp_path / "root"), train=False)
    with pytest.raises(RuntimeError, match="not found"):
        datasets.CIFAR10(str(tmp_path / "elsewhere"), train=False)


def read_png(data):
    """Decode the PNGs save_image writes (8-bit RGB, filter 0) back to an array."""
    import struct
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype == 2
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    rows = zlib.decompress(idat)
    stride = 1 + 3 * w
    assert all(rows[y * stride] == 0 for y in range(h))
    return np.frombuffer(rows, dtype=np.uint8).reshape(h, stride)[:, 1:].reshape(h, w, 3)


def test_make_grid_and_save_image(tmp_path):
    from pynet.vision.utils import make_grid, save_image
    imgs = pynet.tensor(np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3) / 29)
    g = make_grid(imgs, nrow=3, padding=1, pad_value=0.5)
    assert tuple(g.shape) == (3, 2 * 3 + 1, 3 * 4 + 1)  # 2 rows of 3, 1-pixel gaps
    a = g.numpy()
    np.testing.assert_array_equal(a[0, 1:3, 5:8], imgs.numpy()[1, 0])  # image 1: row 0, col 1
    np.testing.assert_array_equal(a[2, 4:6, 1:4], imgs.numpy()[3, 0])  # image 3: row 1, col 0
    assert a[0, 0, 0] == 0.5 and a[1, 4, 9] == 0.5  # padding, and the empty sixth cell
    n = make_grid(imgs * 4 - 1, normalize=True).numpy()
    assert n.min() == 0.0 and n.max() == 1.0
    assert tuple(make_grid(imgs[0]).shape) == (3, 2, 3)  # one image comes back alone
    save_image(imgs, str(tmp_path / "g.png"), nrow=3, padding=1)
    px = read_png((tmp_path / "g.png").read_bytes())
    want = np.clip(make_grid(imgs, nrow=3, padding=1).numpy() * 255 + 0.5, 0, 255)
    np.testing.assert_array_equal(px, want.astype(np.uint8).transpose(1, 2, 0))
    with pytest.raises(NotImplementedError):
        save_image(imgs, str(tmp_path / "g.jpg"))


def test_random_crop_windows_and_padding():
    img = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6)
    seen = set()
    pynet.manual_seed(0)
    for _ in range(200):
        out = T.RandomCrop((3, 4))(img)
        i, j = divmod(int(out[0, 0]), 6)
        np.testing.assert_array_equal(out, img[i:i + 3, j:j + 4])  # a window of the image
        seen.add((i, j))
    assert seen == {(i, j) for i in range(3) for j in range(3)}  # every place is reachable
    out = T.RandomCrop(7, padding=1)(img[:5, :5])  # padded 7x7: the only window is all of it
    assert out.shape == (7, 7) and out[0].sum() == 0 and out[1:6, 1:6].tolist() == img[:5, :5].tolist()
    t = pynet.tensor(np.stack([img, img]).astype(np.float32))  # a (C, H, W) tensor
    tc = T.RandomCrop(5, pad_if_needed=True, padding_mode="edge")(t)
    assert tuple(tc.shape) == (2, 5, 5)
    with pytest.raises(ValueError, match="larger than input"):
        T.RandomCrop(9)(img)


def test_main_job_cnn_short_run(tmp_path):
    from pynet.examples import mnist
    s = mnist.main(["--model", "cnn", "--root", REPO + "/data", "--epochs", "2", "--limit",
                    "2000", "--batch-size", "32", "--lr", "0.05", "--out", str(tmp_path),
                    "--no-progress"])
    h = s["history"]
    assert h[1]["train_loss"] < h[0]["train_loss"] and s["test_accuracy"] > 0.8
    assert (tmp_path / "mnist_cnn.pt").is_file()


@pytest.mark.parametrize("shape,size,mode", [((2, 5, 7), (9, 11), "bilinear"),
                                             ((3, 6, 6), (4, 3), "bilinear"),
                                             ((1, 5, 7), (12, 3), "nearest"),
                                             ((2, 8, 5), 10, "bilinear")])
def test_resize_matches_torch_interpolate(need_torch, shape, size, mode):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = T.Resize(size, mode, antialias=False)(pynet.tensor(x)).numpy()
    extra = {"align_corners": False} if mode == "bilinear" else {}
    want = torch.nn.functional.interpolate(torch.tensor(x)[None], size=got.shape[-2:],
                                           mode=mode, **extra)[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_resize_sizes_and_arrays():
    img = np.arange(4 * 6, dtype=np.uint8).reshape(4, 6) * 10
    out = T.Resize(8)(img)  # upsampling: the shorter edge becomes 8, aspect kept
    assert out.shape == (8, 12) and out.dtype == np.uint8
    np.testing.assert_array_equal(T.Resize((4, 6), "nearest")(img), img)  # same size: same
    rgb = np.stack([img, img, img], -1)
    assert T.Resize((2, 3), "nearest")(rgb).shape == (2, 3, 3)
    np.testing.assert_array_equal(T.Resize((2, 3), "nearest")(rgb)[..., 0],
                                  img[::2, ::2])  # floor(dst * 2) picks every other pixel
    assert T.Resize(8, max_size=10)(img).shape == (6, 10)
    small = T.Resize(2)(img)  # bilinear downsampling, antialias=True (the default)
    assert small.shape == (2, 3) and small.dtype == np.uint8
    with pytest.raises(NotImplementedError):
        T.Resize(2, "bicubic")
    assert repr(T.Resize(14)) == ("Resize(size=14, interpolation=bilinear, max_size=None, "
                                  "antialias=True)")


def test_resize_goes_through_interpolate():
    """Float tensors keep their dtype and gradient; uint8 arrays are the float32 result
    rounded, as torchvision's tensor path (here: a (H, W, C) image, each channel alike)."""
    x = pynet.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), requires_grad=True)
    y = T.Resize((6, 8))(x)
    assert y.dtype == pynet.float64 and tuple(y.shape) == (2, 6, 8)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(), 2 * 6 * 8)  # the weights sum to one
    img = np.random.default_rng(2).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    out = T.Resize((9, 4), antialias=False)(img)
    want = pynet.nn.functional.interpolate(
        pynet.tensor(img.transpose(2, 0, 1)[None].astype(np.float32)), size=(9, 4),
        mode="bilinear", align_corners=False).numpy()[0].transpose(1, 2, 0)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(np.round(want), 0, 255).astype(np.uint8))


def test_resize_antialias_arrays_without_torch():
    """antialias=True (the default): an MNIST digit to 14 x 14 and an RGB array are the
    antialiased float32 interpolate of their planes, rounded; a flat image stays flat; the
    digit keeps its mean ink (the filter's weights sum to 1) where plain bilinear, sampling
    2 of every 4 pixels, need not."""
    digit = MNIST(REPO + "/data", True)[0][0]
    small = T.Resize(14)(digit)
    assert small.shape == (14, 14) and small.dtype == np.uint8
    want = pynet.nn.functional.interpolate(
        pynet.tensor(digit[None, None].astype(np.float32)), size=(14, 14), mode="bilinear",
        antialias=True).numpy()[0, 0]
    np.testing.assert_array_equal(small, np.clip(np.round(want), 0, 255).astype(np.uint8))
    assert abs(small.mean() - digit.mean()) < 1.5
    rgb = np.random.default_rng(3).integers(0, 256, (23, 17, 3)).astype(np.uint8)
    out = T.Resize((9, 5))(rgb)
    assert out.shape == (9, 5, 3) and out.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], T.Resize((9, 5))(rgb[..., c]))
    flat = np.full((30, 21), 77, dtype=np.uint8)
    assert (T.Resize(7)(flat) == 77).all()
    data = MNIST(REPO + "/data", False, transform=T.Compose([T.Resize(14), T.ToTensor()]))
    x, _ = data[0]
    assert tuple(x.shape) == (1, 14, 14) and x.dtype == pynet.float32


@pytest.mark.parametrize("shape,size", [((3, 28, 28), 14), ((2, 3, 19, 13), (4, 6)),
                                        ((1, 10, 7), (13, 3)), ((11, 9), (5, 20)),
                                        ((2, 8, 8), (8, 8))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_antialias_tensor_matches_torch(need_torch, shape, size, dtype):
    """A float tensor (..., H, W): torchvision's resize is interpolate(antialias=True,
    align_corners=False) on its planes; gradients flow."""
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    t = pynet.tensor(x, requires_grad=True)
    got = T.Resize(size)(t)
    h, w = shape[-2:]
    want = torch.nn.functional.interpolate(torch.tensor(x).reshape(1, -1, h, w),
                                           size=tuple(got.shape[-2:]), mode="bilinear",
                                           align_corners=False, antialias=True)
    want = want.reshape(shape[:-2] + tuple(got.shape[-2:])).numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert got.dtype == t.dtype
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=tol, atol=tol)
    got.sum().backward()
    assert tuple(t.grad.shape) == shape


def test_resize_uint8_is_torchvisions_rule(need_torch):
    """torchvision's tensor path for a uint8 image: interpolate in float32 (antialias),
    round, cast. pynet's float32 kernel sums in another order than PyTorch's, so a pixel
    within rounding of x.5 may come out 1 apart: rarely."""
    rng = np.random.default_rng(5)
    diff = total = 0
    for case in range(20):
        h, w = (int(v) for v in rng.integers(8, 40, 2))
        img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        if case % 2:
            img = img // 64 * 64  # flat areas: exact halves more likely
        out = T.Resize(7)(img)
        ref = torch.nn.functional.interpolate(
            torch.tensor(img).permute(2, 0, 1)[None].float(), size=out.shape[:2],
            mode="bilinear", align_corners=False, antialias=True)
        ref = ref.round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
        assert np.abs(out.astype(int) - ref).max() <= 1
        diff, total = diff + (out != ref).sum(), total + out.size
    assert diff <= total // 200
