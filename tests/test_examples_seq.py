"""Short runs of the sequence-model examples (issue #12): the loss falls, every output
file is written and readable, the saved model loads back."""
import json
import math
import os

import pytest

import pynet

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("model", ["gpt", "lstm"])
def test_charlm_short_run(tmp_path, model):
    from pynet.examples import charlm
    out = tmp_path / model
    s = charlm.main(["--model", model, "--iters", "40", "--eval-every", "20", "--batch-size", "8",
                     "--block-size", "16", "--eval-batches", "3", "--sample-chars", "30",
                     "--data", os.path.join(REPO, "data", "tinyshakespeare", "input.txt"),
                     "--lr", "3e-3", "--out", str(out), "--no-progress", "--threads", "1"])
    h = s["history"]
    assert len(h) == 2 and h[1]["val_loss"] < h[0]["val_loss"] < math.log(65)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["val_loss"] == s["val_loss"] and len(summary["vocab"]) == 65
    samples = (out / "samples.txt").read_text()
    assert samples.count("=== step") == 2
    make = charlm.CharGPT if model == "gpt" else charlm.CharLSTM
    m = make(65, 16)
    m.load_state_dict(pynet.load(str(out / f"charlm_{model}.pt")))
    assert charlm.val_loss(m, charlm.np.arange(200) % 65, 16, 4, 1, 0) > 0


def test_charlm_finds_the_shipped_text_and_checks_it(tmp_path, monkeypatch):
    from pynet.examples import _common, charlm
    monkeypatch.chdir(REPO)
    text = _common.find_text("tinyshakespeare", "input.txt", charlm.SHA256)
    assert len(text) == 1115394 and text.startswith("First Citizen:")
    bad = tmp_path / "tinyshakespeare" / "input.txt"
    bad.parent.mkdir()
    bad.write_text(text[:1000])
    with pytest.raises(RuntimeError, match="SHA-256"):
        _common.find_text("tinyshakespeare", "input.txt", charlm.SHA256, str(bad))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYNET_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="looked in"):
        _common.find_text("tinyshakespeare", "missing.txt", charlm.SHA256)


def test_names_short_run(tmp_path):
    from pynet.examples import names
    s = names.main(["--iters", "60", "--eval-every", "30", "--batch-size", "32", "--out",
                    str(tmp_path), "--no-progress", "--threads", "1", "--data",
                    os.path.join(REPO, "data", "names", "names.txt")])
    h = s["history"]
    assert h[1]["val_loss"] < h[0]["val_loss"] < math.log(27)
    assert all(isinstance(n, str) for n in s["samples"][-1]["names"])
    assert (tmp_path / "samples.txt").read_text().count("step") == 2
    m = names.NameModel()
    m.load_state_dict(pynet.load(str(tmp_path / "names_gru.pt")))


def test_parity_rnn_generalises_where_the_shallow_net_cannot(tmp_path):
    from pynet.examples import parity
    s = parity.main(["--bits", "10", "--epochs", "20", "--out", str(tmp_path), "--log-every",
                     "0"])
    assert s["rnn_test_accuracy"] >= 0.95
    assert s["mlp_test_accuracy"] <= 0.75
    assert json.loads((tmp_path / "summary.json").read_text())["rnn_test_accuracy"] == \
        s["rnn_test_accuracy"]
