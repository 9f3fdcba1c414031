"""A tiny leave-one-book-out on the real pages (when ../shared/realpages is present): one book, three arms."""

import json
import re
from pathlib import Path

import pytest

from data.crops import CropSet
from data.split import book_of
from detect.settings import DetectorConfig
from recognize.config import Config

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "realpages"
needs_real = pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason=f"no real pages at {REAL}")


@needs_real
def test_tiny_realcheck_reads_the_left_out_real_book_only(
    tiny_data: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    from bench.experiments.realcheck import bucket_table, run, table
    from bench.experiments.realplan import Plan

    plan = Plan(
        real=REAL,
        standin=tiny_data,
        real_weight=2.0,
        renders=2,
        refit=1,
        device="cpu",
        detector=DetectorConfig(
            epochs=1, imgsz=160, page_scale=0.05, overlap=32, batch=8, workers=0, mosaic=0, close_mosaic=0
        ),
        recognizer=Config(epochs=1, batch=64, cap=10, floor=2, width=8, depth=0, valid=0.1),
    )
    base = (Path(offline_detector["model"]), tiny_recognizer)  # the stand-in arm: trained once, elsewhere
    arms = ["standin", "real", "both-tuned"]
    summary = run(plan, tmp_path, ["hnsd001"], arms, base, jobs=2)  # the book read in its own process

    results = summary["results"]
    assert [(r["book"], r["arm"], r["pages"], r["characters"]) for r in results] == [
        ("hnsd001", arm, 1, 148) for arm in ("standin", "real", "both-tuned")
    ]
    for r in results:  # every true box of the book falls in one bucket of real training samples
        assert sum(b["characters"] for b in r["buckets"].values()) == 148
        assert all(0 <= b["right"] <= b["characters"] for b in r["buckets"].values())
        assert json.loads((tmp_path / "hnsd001" / r["arm"] / "evaluate.json").read_text())["pages"] == 1
    assert set(summary["means"]) == {"standin", "real", "both-tuned"} and summary["seconds"] > 0
    assert (tmp_path / "realcheck.csv").read_text().splitlines()[0] == (
        "book,pages,characters,arm,f1,detector_recall,recognizer_accuracy,known"
    )
    assert "| hnsd001 | 1 | 148 | both-tuned |" in table(summary)
    buckets = summary["buckets"]["both-tuned"]
    assert [line.split(" | ")[:2] for line in bucket_table(summary).splitlines()[2:]] == [
        [f"| {name}", str(buckets[name]["characters"])] for name in ("0", "1-9", "10+")
    ]

    fold = tmp_path / "hnsd001"
    real_ids = [line.split(",")[0] for line in (REAL / "train.csv").read_text().splitlines()[1:]]
    for kind in ("real", "mix"):  # the left-out book is held out, and nothing else
        split = json.loads((fold / f"split-{kind}.json").read_text())
        assert split["holdout"] == ["hnsd001-011"]
        assert [i for i in split["fit"] if "~" not in i] == [i for i in real_ids if i != "hnsd001-011"]
        assert len(split["detector_valid"]) == 1 and split["detector_valid"][0] in real_ids
    extra = [i for i in json.loads((fold / "split-mix.json").read_text())["fit"] if "~" in i]
    assert len(extra) == 6 and {book_of(i).split("~")[0] for i in extra} == {"tiny"}

    # "both-tuned": the detector trains on the real pages and the stand-in at once, the recognizer
    # starts from the stand-in's and fine-tunes on real crops, the detector's boxes on those pages
    # and renders, validated on the tune page, where the thresholds are chosen
    config = json.loads((fold / "mix" / "detector" / "config.json").read_text())
    assert config["source_weights"] == {"realpages": 2.0, "tiny": 1.0}
    recognizer = fold / "real-init" / "recognizer-renders-boxes"
    config = json.loads((recognizer / "config.json").read_text())
    assert config["source_weights"] == {"realpages": 2.0, "renders": 1.0}
    inputs = json.loads((recognizer / "inputs.json").read_text())
    assert inputs["init"]["path"].endswith("model.pt") and inputs["split"]["path"].endswith("split-real.json")
    boxes = CropSet.load(fold / "crops-real-renders-boxes-jitter.npz")
    plain = CropSet.load(fold / "crops-real-renders.npz")
    assert boxes.images[: len(plain)].tobytes() == plain.images.tobytes()  # plus the boxes the detector found
    tuned = json.loads((fold / "both-tuned" / "tune" / "thresholds.json").read_text())
    used = json.loads((fold / "both-tuned" / "evaluate.json").read_text())["thresholds"]
    assert (used["conf"], used["prob"]) == (tuned["conf"], tuned["prob"]) and tuned["tune_pages"] == 1
    # then both models train `refit` more epochs on every page but the book's, the tune page
    # included (make submission's final models), and those read the book
    final = json.loads((fold / "split-mix-final.json").read_text())
    assert final["holdout"] == ["hnsd001-011"] and final["detector_train"] == final["fit"]
    final_recognizer = fold / "real-init" / "recognizer-renders-boxes-final" / "model.pt"
    for model, folder in (("detector", fold / "mix" / "detector"), ("recognizer", recognizer)):
        refit = folder.with_name(f"{folder.name}-final")
        inputs = json.loads((refit / "inputs.json").read_text())
        assert inputs["init"]["path"] == f"../{folder.name}/model.pt", model
        assert json.loads((refit / "config.json").read_text())["epochs"] == 1, model
        assert ("split" in inputs) == (model == "detector")  # the recognizer learns the tune page too
    assert results[-1]["models"] == [str(fold / "mix" / "detector-final" / "model.pt"), str(final_recognizer)]
    assert json.loads((fold / "mix" / "detector-final" / "inputs.json").read_text())["split"]["path"] == (
        "../../split-mix-final.json"
    )
    assert json.loads((fold / "real" / "detector" / "config.json").read_text())["source_weights"] == {
        "realpages": 2.0
    }
    tiles = [p.stem for p in (fold / "real" / "detector" / "dataset" / "images" / "train").iterdir()]
    repeats = [t for t in tiles if re.search(r"_r\d+$", t)]
    assert len(tiles) == 2 * len(repeats) > 0  # real pages listed twice


def test_stand_in_models_are_trained_only_for_the_arms_that_use_them(tiny_data: Path, tmp_path: Path) -> None:
    from bench.experiments.realfold import standin_models
    from bench.experiments.realplan import Plan

    recognizer = Config(epochs=1, batch=64, cap=10, floor=2, width=8, depth=0, valid=0.1)
    detector = DetectorConfig(epochs=1, imgsz=160, page_scale=0.05, overlap=32, batch=8, workers=0, mosaic=0)
    plan = Plan(standin=tiny_data, device="cpu", detector=detector, recognizer=recognizer)
    assert standin_models(plan, tmp_path, ["real", "mix", "mix-plain"]) == (None, None)
    detector, model = standin_models(plan, tmp_path, ["both-tuned"])  # a fine-tuned recognizer only
    assert detector is None and model == tmp_path / "standin" / "recognizer" / "model.pt" and model.is_file()
    assert not (tmp_path / "standin" / "detector").exists()


def test_books_read_in_processes_keep_the_workers_data_error(tmp_path: Path) -> None:
    from bench.experiments.realcheck import folds
    from bench.experiments.realplan import Plan
    from data.infra.errors import DataError

    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=re.escape(f"{missing / 'unicode_translation.csv'}: file not found")):
        folds(Plan(device="cpu"), tmp_path, ["a", "b"], {"real": missing}, (None, None), ["real"], jobs=2)
