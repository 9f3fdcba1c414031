import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny import recognizer_config

from data.crops import CropSet
from data.infra.checkpoint import load_checkpoint
from data.infra.errors import DataError
from recognize import train as training
from recognize.augment import augment
from recognize.interpret import interpret
from recognize.lr_find import lr_find
from recognize.model import Arch, CharNet
from recognize.predict import Recognizer
from recognize.train import Config, train


def small(**changes) -> Config:
    return recognizer_config(**{"epochs": 2, **changes})


def test_default_network_ends_in_512x4x4_and_cam_explains_the_logit() -> None:
    model = CharNet(Arch(classes=10)).eval()
    x = torch.rand(3, 1, 32, 32)
    assert model.body(x).shape == (3, 512, 4, 4)
    assert model(x).shape == (3, 10)
    layers = [type(m).__name__ for m in model.body[1]]
    assert layers == ["Conv2d", "ReLU", "BatchNorm2d"] and model.body[1][0].stride == (2, 2)
    assert [type(m).__name__ for m in model.head] == ["BatchNorm1d", "Dropout", "Linear"]
    with torch.no_grad():
        for module in model.modules():  # non-trivial BatchNorm statistics
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
        classes = torch.tensor([0, 3, 7])
        cams = model.cam(x, classes)
        logits = model(x)[torch.arange(3), classes]
        zero = model.head(torch.zeros(1, 512))[0, classes]
    assert cams.shape == (3, 4, 4)
    assert torch.allclose(cams.mean(dim=(1, 2)) + zero, logits, atol=1e-4)


def test_augment_changes_crops_and_keeps_range() -> None:
    x = torch.zeros(8, 1, 32, 32)
    x[:, :, 8:24, 14:18] = 1
    out = augment(x.clone(), torch.Generator().manual_seed(0))
    again = augment(x.clone(), torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out, again)
    assert all(not torch.equal(out[i], out[i + 1]) for i in range(7))  # every copy differs


def test_run_folder_checkpoints_and_interpretation(
    tiny_crops: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run = tmp_path / "run"
    final = train(small(lr=2e-2), tiny_crops, run)  # a peak rate of 1e-2 at the batch of 32
    for name in [
        "config.json",
        "metrics.csv",
        "loss.png",
        "split.npz",
        "epoch-01.pt",
        "epoch-02.pt",
        "best.pt",
        "last.pt",
        "model.pt",
    ]:
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert set(rows[0]) == {"epoch", "train_loss", "valid_loss", "error_rate", "lr", "seconds"}
    assert float(rows[1]["train_loss"]) < float(rows[0]["train_loss"])
    checkpoint = torch.load(final, weights_only=True)
    assert checkpoint["arch"]["width"] == 8 and len(checkpoint["classes"]) == checkpoint["arch"]["classes"]

    summary = interpret(run, "cpu", top=6, maps=4)
    assert 0 <= summary["error_rate"] <= 1
    for name in ["top_losses.png", "cam.png", "confused.csv", "per_class.csv"]:
        assert (run / name).stat().st_size > 0, name

    recognizer = Recognizer.load(final, "cpu")
    crops = CropSet.load(tiny_crops)
    codes, probs = recognizer.predict(crops.images[:50])
    assert len(codes) == 50 and set(codes) <= set(recognizer.classes)
    assert ((probs > 0) & (probs <= 1)).all()
    _, counts = np.unique(crops.unicodes[:50], return_counts=True)
    majority = counts.max() / 50  # always answering the commonest class scores this
    assert (codes == crops.unicodes[:50]).mean() > majority  # learned something in two tiny epochs

    with pytest.raises(DataError, match="pass --resume"):
        train(small(lr=2e-2), tiny_crops, run)
    kept = set(tmp_path.iterdir())
    train(small(epochs=3, lr=2e-2), tiny_crops, run, resume=True)
    assert capsys.readouterr().out.count("epochs changed since the last run; starting afresh") == 1
    [old] = set(tmp_path.iterdir()) - kept  # the finished run, moved aside
    assert [r["epoch"] for r in csv.DictReader((old / "metrics.csv").open())] == ["1", "2"]
    assert [r["epoch"] for r in csv.DictReader((run / "metrics.csv").open())] == ["1", "2", "3"]


def test_resume_continues_exactly(tiny_crops: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    straight = train(small(), tiny_crops, tmp_path / "straight")

    real_epoch = training.run_epoch

    def interrupted(*args, **kwargs):
        if args[3] == 2:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(training, "run_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(small(), tiny_crops, tmp_path / "resumed")
    assert not (tmp_path / "resumed" / "model.pt").exists()
    monkeypatch.setattr(training, "run_epoch", real_epoch)
    resumed = train(small(), tiny_crops, tmp_path / "resumed", resume=True)

    a, b = load_checkpoint(straight)["state_dict"], load_checkpoint(resumed)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    rows = [list(csv.DictReader((tmp_path / r / "metrics.csv").open())) for r in ("straight", "resumed")]
    assert [r["valid_loss"] for r in rows[0]] == [r["valid_loss"] for r in rows[1]]


def test_lr_find_plots_and_suggests(tiny_crops: Path, tmp_path: Path) -> None:
    suggestion = lr_find(small(), tiny_crops, tmp_path / "lr", "cpu", steps=40)
    assert 1e-8 < suggestion < 10
    assert (tmp_path / "lr" / "lr_find.png").stat().st_size > 0
    assert json.loads((tmp_path / "lr" / "lr_find_config.json").read_text())["width"] == 8


def test_bad_checkpoint_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="model file not found"):
        Recognizer.load(tmp_path / "missing.pt", "cpu")
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a loadable checkpoint"):
        Recognizer.load(tmp_path / "bad.pt", "cpu")


def test_resume_on_crops_with_other_classes_starts_afresh(
    tiny_crops: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    crops, run = tmp_path / "crops.npz", tmp_path / "run"
    full = CropSet.load(tiny_crops)
    full.save(crops)
    train(small(epochs=1), crops, run)
    fewer = np.isin(full.unicodes, np.unique(full.unicodes)[:10])
    CropSet(full.images[fewer], full.unicodes[fewer], full.pages[fewer], full.samples[fewer]).save(crops)
    final = train(small(epochs=1), crops, run, resume=True)  # a different class count: no crash
    assert "crops changed since the last run; starting afresh" in capsys.readouterr().out
    assert len(load_checkpoint(final)["classes"]) == 10
