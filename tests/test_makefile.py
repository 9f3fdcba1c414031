"""What `make submission DATA=... EXTRA=...` runs, read from `make -n` (nothing is executed)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*args: str) -> str:
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def test_extra_joins_the_sources_and_fine_tunes_the_extras_recognizer(tmp_path: Path) -> None:
    real, extra = tmp_path / "book", tmp_path / "standin"
    for folder in (real, extra):
        folder.mkdir()
        (folder / "train.csv").write_text("image_id,labels\n")
    (real / "sample_submission.csv").write_text("image_id,labels\n")
    out = dry_run("submission", f"DATA={real}", f"EXTRA={extra}", "DATA_WEIGHT=4")
    union = "build/book+standin/union"
    assert f"-m data.sources --out {union} --source {real}:4 --source {extra}:1\n" in out
    assert f"-m data.split --data {union} --out build/book+standin/split.json" in out
    assert f"-m detect.train --data {union} " in out
    assert "--out build/book+standin/crops.npz --real-only --rare-below 10 --renders 20\n" in out
    assert f"-m data.crops --data {extra} --split build/standin/split.json " in out
    own, joint = "--run-dir build/standin/recognizer ", "--run-dir build/book+standin/recognizer "
    assert own in out and out.index(own) < out.index(joint)  # the extra's own recognizer, trained first
    assert "--init build/standin/recognizer/model.pt" in out
    assert f"-m submit.evaluate --data {union} " in out and f"-m submit.predict --data {union} " in out


def test_without_extra_the_data_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("image_id,labels\n")
    (tmp_path / "test_images").mkdir()
    out = dry_run("submission", f"DATA={tmp_path}")
    assert "data.sources" not in out and "--init" not in out and "--real-only" not in out
    assert f"-m data.split --data {tmp_path} --out build/{tmp_path.name}/split.json" in out
    assert f"-m submit.predict --data {tmp_path} " in out and "--no-test" not in out


def test_data_without_test_pages_stops_after_the_held_out_books(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("image_id,labels\n")
    out = dry_run("submission", f"DATA={tmp_path}")
    assert f"-m submit.evaluate --data {tmp_path} " in out and "submit.predict" not in out
    assert f"-m submit.report --work build/{tmp_path.name} --no-test" in out
    assert "--no-test" not in dry_run("submission")  # the embedded data always has test pages
