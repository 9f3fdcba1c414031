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
    assert (
        f"-m submit.evaluation.evaluate --data {union} " in out
        and f"-m submit.predict --data {union} " in out
    )


def test_without_extra_the_data_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("image_id,labels\n")
    (tmp_path / "test_images").mkdir()
    out = dry_run("submission", f"DATA={tmp_path}")
    work = f"build/{tmp_path.name}"
    assert "data.sources" not in out and "--real-only" not in out
    assert [line for line in out.splitlines() if "--init" in line] == [  # the final models' warm starts only
        f"\t--init {work}/detector/model.pt --epochs 2",
        f"\t--valid 0 --epochs 2 --init {work}/recognizer/model.pt --no-interpret",
    ]
    assert f"-m data.split --data {tmp_path} --out build/{tmp_path.name}/split.json" in out
    assert f"-m submit.predict --data {tmp_path} " in out and "--no-test" not in out


def test_data_without_test_pages_stops_after_the_held_out_books(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("image_id,labels\n")
    out = dry_run("submission", f"DATA={tmp_path}")
    assert f"-m submit.evaluation.evaluate --data {tmp_path} " in out and "submit.predict" not in out
    assert f"-m submit.report --work build/{tmp_path.name} --no-test" in out
    assert "--no-test" not in dry_run("submission")  # the embedded data always has test pages


def kaggle_folder(tmp_path: Path) -> tuple[Path, str]:
    """An empty Kaggle-layout folder with test pages, and its run folder."""
    (tmp_path / "train.csv").write_text("image_id,labels\n")
    (tmp_path / "test_images").mkdir()
    return tmp_path, f"build/{tmp_path.name}"


def test_the_recognizer_learns_from_the_detectors_boxes_and_the_thresholds_come_from_the_tune_pages(
    tmp_path: Path,
) -> None:
    data, work = kaggle_folder(tmp_path)
    out = dry_run("submission", f"DATA={data}")
    errors = (
        f"-m detect.boxerrors --data {data} --split {work}/split.json --detector {work}/detector/model.pt "
    )
    assert errors + f"--out {work}/box_errors.npy" in out
    boxes = f"-m detect.boxcrops --data {data} --crops {work}/crops.npz --detector {work}/detector/model.pt "
    assert boxes + f"--out {work}/boxcrops.npz" in out and f"--jitter {work}/box_errors.npy\n" in out
    assert out.index(errors) < out.index(boxes)
    train = f"-m recognize.train --crops {work}/boxcrops.npz --split {work}/split.json "
    assert train + f"--run-dir {work}/recognizer " in out
    tune = f"-m submit.evaluation.tune --data {data} --split {work}/split.json "
    tune += f"--detector {work}/detector/model.pt"
    assert tune in out and f"--recognizer {work}/recognizer/model.pt --out {work}/tune " in out
    thresholds = f"--thresholds {work}/tune/thresholds.json"
    assert f"--recognizer {work}/recognizer/model.pt {thresholds} --out {work}/evaluate " in out
    assert out.index(boxes) < out.index(train) < out.index(tune) < out.index("-m submit.evaluation.evaluate")
    assert f"--crops {work}/crops.npz --split" in dry_run("submission", f"DATA={data}", "BOX_CROPS=0")
    assert "boxerrors" not in dry_run("submission", f"DATA={data}", "JITTER=0")


def test_the_submission_is_written_by_models_refit_on_every_page(tmp_path: Path) -> None:
    data, work = kaggle_folder(tmp_path)
    out = dry_run("submission", f"DATA={data}")
    final = f"{work}/final"
    assert f"-m data.split --refit {work}/split.json --out {final}/split.json\n" in out
    assert f"-m detect.train --data {data} --split {final}/split.json --run {final}/detector " in out
    assert f"--close-mosaic 0 \\\n\t--init {work}/detector/model.pt --epochs 2\n" in out  # 2 epochs more
    assert out.index(f"--run {work}/detector ") < out.index(f"--run {final}/detector ")
    assert f"-m data.crops --data {data} --split {final}/split.json --out {final}/crops.npz" in out
    final_boxes = f"--detector {final}/detector/model.pt --out {final}/boxcrops.npz --device auto \\\n"
    assert final_boxes + f"\t--jitter {work}/box_errors.npy\n" in out  # the split detector's errors
    refit = f"-m recognize.train --crops {final}/boxcrops.npz --run-dir {final}/recognizer "
    assert refit in out and f"--valid 0 --epochs 2 --init {work}/recognizer/model.pt --no-interpret" in out
    assert "--epochs 4 --init" in dry_run("submission", f"DATA={data}", "REFIT_EPOCHS=4")
    predict = f"-m submit.predict --data {data} --detector {final}/detector/model.pt"
    assert predict in out and f"--recognizer {final}/recognizer/model.pt --thresholds {work}/tune/" in out
    assert out.index("-m submit.evaluation.evaluate") < out.index(
        refit
    )  # held-out books are read by the split's models
    quick = dry_run("submission", f"DATA={data}", "FAST=1")
    assert f"{final}/" not in quick
    assert f"-m submit.predict --data {data} --detector {work}/detector/" in quick


def test_the_thresholds_are_chosen_with_the_views_except_in_fast_runs(tmp_path: Path) -> None:
    data, work = kaggle_folder(tmp_path)
    tune = f"--recognizer {work}/recognizer/model.pt --out {work}/tune --device auto"
    assert f"{tune} --tta\n" in dry_run("submission", f"DATA={data}")
    assert f"{tune} \n" in dry_run("submission", f"DATA={data}", "TTA=0")
    assert f"{tune} \n" in dry_run("submission", f"DATA={data}", "FAST=1")


def test_realcheck_trains_the_recognizer_and_the_final_models_as_make_submission() -> None:
    flags = '--refit {} --detector-args="--imgsz 320 --char-px 20 --batch 8 --epochs 4 --mosaic 0'
    recognizer = '--recognizer-args="--width 32 --depth 0 --batch 64 --cap 100 --floor 20 --epochs {} --lr'
    out = dry_run("realcheck")
    assert flags.format(2) in out and recognizer.format(7) in out
    assert flags.format(0) in dry_run("realcheck", "REFIT=0")
    quick = dry_run("realcheck", "FAST=1")
    assert flags.format(0) in quick and recognizer.format(3) in quick
