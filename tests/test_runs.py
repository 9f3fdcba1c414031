import hashlib
import json
import shutil
from pathlib import Path

import pytest

from data.infra.errors import DataError
from data.infra.runs import fingerprint, input_path, open_run


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "data" / "images").mkdir(parents=True)
    (tmp_path / "data" / "train.csv").write_text("image_id,labels\n")
    (tmp_path / "data" / "images" / "a.jpg").write_bytes(b"12345")
    return {"train": tmp_path / "data" / "train.csv", "images": tmp_path / "data" / "images"}


def test_fingerprints_follow_content_and_folder_listing(tmp_path: Path, inputs: dict[str, Path]) -> None:
    assert fingerprint(inputs["train"]) == hashlib.sha256(b"image_id,labels\n").hexdigest()
    before = fingerprint(inputs["images"])
    (inputs["images"] / "a.jpg").write_bytes(b"54321")  # same name and size: a folder is listed, not read
    assert fingerprint(inputs["images"]) == before
    (inputs["images"] / "b.jpg").write_bytes(b"1")
    assert fingerprint(inputs["images"]) != before
    with pytest.raises(DataError, match="input not found"):
        fingerprint(tmp_path / "missing.csv")


def test_resume_continues_only_with_the_same_settings_and_inputs(
    tmp_path: Path, inputs: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    run = tmp_path / "build" / "run"
    assert open_run(run, {"epochs": 2}, inputs, resume=True) is False  # nothing to continue
    assert json.loads((run / "inputs.json").read_text())["train"]["path"] == "../../data/train.csv"
    assert open_run(run, {"epochs": 2}, inputs, resume=True) is True
    with pytest.raises(DataError, match="pass --resume"):
        open_run(run, {"epochs": 2}, inputs, resume=False)

    (run / "marker").write_text("old")
    inputs["train"].write_text("image_id,labels\npage,\n")
    assert open_run(run, {"epochs": 3}, inputs, resume=True) is False
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith(f"{run}: epochs, train changed since the last run")
    )
    [old] = [p for p in run.parent.iterdir() if p.name.startswith("run.")]
    assert (old / "marker").read_text() == "old" and not (run / "marker").exists()


def test_a_moved_run_folder_resumes(tmp_path: Path, inputs: dict[str, Path]) -> None:
    open_run(tmp_path / "run", {"epochs": 2}, inputs, resume=True)
    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    shutil.move(tmp_path, moved)
    assert input_path(moved / "run", "train").resolve() == (moved / "data" / "train.csv").resolve()
    moved_inputs = {"train": moved / "data" / "train.csv", "images": moved / "data" / "images"}
    assert open_run(moved / "run", {"epochs": 2}, moved_inputs, resume=True) is True


def test_the_same_checkpoint_saved_twice_is_the_same_file(tmp_path: Path) -> None:
    import torch

    from data.infra.checkpoint import save_checkpoint

    payload = {"state_dict": {"w": torch.arange(6.0).reshape(2, 3)}, "classes": ["U+3042"], "epoch": 3}
    save_checkpoint(tmp_path / "a.pt", payload)
    save_checkpoint(tmp_path / "again" / "model.pt", payload)  # a model exported again keeps its fingerprint
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "again" / "model.pt").read_bytes()
