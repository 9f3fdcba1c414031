"""Real annotated pages (shared/realpages beside the repository, when present) and real-data quirks."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from data.annotations import Quirks, read_annotations, report_quirks
from data.crops import build_crops
from data.formats import read_translation
from data.infra.errors import DataError
from data.split import book_of
from data.split import main as split_main

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
needs_real = pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason=f"no real pages at {REAL}")


@pytest.fixture(scope="module")
def real() -> tuple:
    """The real pages' annotations, read and checked against their images."""
    known = read_translation(REAL / "unicode_translation.csv")
    return read_annotations(REAL / "train.csv", known, REAL / "train_images"), known


@needs_real
def test_real_pages_read_cleanly(real: tuple, capsys: pytest.CaptureFixture) -> None:
    annotations, known = real
    assert len(annotations.image_ids) == 8 and len(annotations.boxes) == 1130
    assert len({book_of(i) for i in annotations.image_ids}) == 6
    assert set(annotations.boxes["unicode"]) <= set(known)
    assert annotations.quirks == Quirks()
    report_quirks(annotations, REAL / "train.csv")
    assert capsys.readouterr().err == ""


@needs_real
def test_split_holds_out_whole_real_books(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    split_main(["--data", str(REAL), "--out", str(tmp_path / "split.json")])
    split = json.loads((tmp_path / "split.json").read_text())
    assert sorted(split["fit"] + split["holdout"]) == sorted(read_annotations(REAL / "train.csv").image_ids)
    assert split["holdout"] and split["detector_valid"]
    for keep, out in [("fit", "holdout"), ("detector_train", "detector_valid")]:
        assert {book_of(i) for i in split[keep]}.isdisjoint({book_of(i) for i in split[out]})
    assert capsys.readouterr().err == ""  # clean data, whole books: no warning


def one_book(tmp_path: Path, book: str) -> Path:
    """A Kaggle-layout folder holding the real pages of one book only (images linked, not copied)."""
    data = tmp_path / book
    (data / "train_images").mkdir(parents=True)
    lines = (REAL / "train.csv").read_text().splitlines(keepends=True)
    (data / "train.csv").write_text(lines[0] + "".join(r for r in lines[1:] if book_of(r) == book))
    (data / "unicode_translation.csv").symlink_to(REAL / "unicode_translation.csv")
    for image in (REAL / "train_images").glob(f"{book}*.jpg"):
        (data / "train_images" / image.name).symlink_to(image)
    return data


@needs_real
def test_split_of_one_real_book_holds_out_pages_of_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = one_book(tmp_path, "100241706")
    split_main(["--data", str(data), "--out", str(tmp_path / "split.json")])
    split = json.loads((tmp_path / "split.json").read_text())
    assert len(split["fit"]) == 2 and len(split["holdout"]) == 1
    assert len(split["detector_train"]) == 1 and len(split["detector_valid"]) == 1
    warnings = capsys.readouterr().err.splitlines()
    assert [w.split(":")[1] for w in warnings] == [" held-out split", " detector-validation split"]
    assert all("only one book (100241706)" in w and "optimistic" in w for w in warnings)


@needs_real
def test_real_crops_hold_ink(real: tuple) -> None:
    annotations, _ = real
    crops = build_crops(annotations, REAL / "train_images", workers=2)
    assert len(crops) == 1130
    ink = (crops.images > 127).reshape(len(crops), -1).mean(axis=1)
    # Measured: every crop has ink, the least 33 of 1024 pixels (a thin stroke); the mean ink share
    # is 0.2203 (pages 0.166-0.265). Boxes off target cut paper and padding: shifted by half a box
    # 0.134, by a whole box 0.140, x and y swapped 0.121 (381 crops with no ink). The tolerance
    # allows for another JPEG decoder.
    assert ink.min() == pytest.approx(33 / 1024, abs=2 / 1024)
    assert ink.mean() == pytest.approx(0.2203, abs=0.002)


# --- quirks of real train.csv files, on constructed pages ---------------------------------------

QUIRKY = (
    "image_id,labels\n"
    "bk1-001,U+306B -5 10 20 30 U+306B 90 70 20 20 U+306E 100 10 5 5 U+306E 10 -40 5 30 "
    "U+306B 1 2 0 4 U+306B 1 2 3 4 U+306B 1 2 3 4 U+9999 30 30 10 10\n"
    "bk1-002,\n"
    "bk1-003,U+9999 5 5 5 5 U+9998 6 6 6 6\n"
)
KNOWN = {"U+306B", "U+306E"}


@pytest.fixture()
def quirky(tmp_path: Path) -> Path:
    """train.csv with every tolerated quirk, and its pages: 100 px wide, 80 px high."""
    (tmp_path / "train_images").mkdir()
    for page in ["bk1-001", "bk1-002", "bk1-003"]:
        cv2.imwrite(str(tmp_path / "train_images" / f"{page}.jpg"), np.full((80, 100, 3), 230, np.uint8))
    (tmp_path / "train.csv").write_text(QUIRKY)
    return tmp_path


def test_quirks_are_clipped_dropped_and_counted(quirky: Path, capsys: pytest.CaptureFixture) -> None:
    annotations = read_annotations(quirky / "train.csv", KNOWN, quirky / "train_images")
    assert annotations.image_ids == ["bk1-001", "bk1-002", "bk1-003"]
    assert annotations.boxes.to_numpy().tolist() == [
        ["bk1-001", "U+306B", 0, 10, 15, 30],  # clipped at the left edge
        ["bk1-001", "U+306B", 90, 70, 10, 10],  # clipped at the right and bottom edges
        ["bk1-001", "U+306B", 1, 2, 3, 4],  # its duplicate dropped
        ["bk1-001", "U+9999", 30, 30, 10, 10],  # not in the translation table, kept
        ["bk1-003", "U+9999", 5, 5, 5, 5],
        ["bk1-003", "U+9998", 6, 6, 6, 6],
    ]
    assert annotations.quirks == Quirks(
        clipped=2, dropped=3, duplicates=1, unknown=3, unknown_codes=2, empty_pages=1
    )
    assert annotations.page_boxes()["bk1-002"].empty
    report_quirks(annotations, "train.csv")
    assert capsys.readouterr().err == (
        "warning: train.csv: 2 boxes clipped to the page, 3 boxes dropped as empty or outside the page, "
        "1 duplicate box dropped, 3 boxes with 2 codes not in unicode_translation.csv kept, "
        "1 page without labels\n"
    )


def test_without_images_only_the_left_and_top_edges_clip(quirky: Path) -> None:
    annotations = read_annotations(quirky / "train.csv")
    assert annotations.boxes[["x", "y", "w", "h"]].to_numpy().tolist()[:3] == [
        [0, 10, 15, 30],
        [90, 70, 20, 20],
        [100, 10, 5, 5],
    ]
    assert annotations.quirks == Quirks(clipped=1, dropped=2, duplicates=1, empty_pages=1)
    assert annotations.quirks.summary() == (
        "1 box clipped to the page, 2 boxes dropped as empty or outside the page, "
        "1 duplicate box dropped, 1 page without labels"
    )


FATAL = {
    "token count": ("bk1-001,U+306B 1 2 3\n", 2, "4 tokens in labels"),
    "non-integer": ("bk1-002,\nbk1-001,U+306B 1 2 3 4.0\n", 3, "non-integer coordinate '4.0'"),
    "malformed code": ("bk1-001,U+306b 1 2 3 4\n", 2, "malformed unicode 'U+306b'"),
    "duplicate image_id": ("bk1-001,\nbk1-002,\nbk1-001,\n", 4, "duplicate image_id 'bk1-001'"),
    "missing image": ("bk1-004,\n", 2, "bk1-004.jpg: image file not found"),
}


@pytest.mark.parametrize("case", sorted(FATAL))
def test_fatal_problems_name_file_and_line(case: str, quirky: Path) -> None:
    body, line, problem = FATAL[case]
    path = quirky / "train.csv"
    path.write_text("image_id,labels\n" + body)
    with pytest.raises(DataError) as error:
        read_annotations(path, KNOWN, quirky / "train_images")
    assert str(error.value).startswith(f"{path}, line {line}: ")
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_missing_column_is_fatal(quirky: Path) -> None:
    path = quirky / "train.csv"
    path.write_text("image_id,label\nbk1-001,\n")
    with pytest.raises(DataError, match=r"train\.csv, line 1: missing column 'labels'"):
        read_annotations(path, KNOWN, quirky / "train_images")


@needs_real
def test_detector_and_pipeline_read_real_pages_of_real_size(
    offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    from detect.predict import Detector
    from submit.evaluation.evaluate import evaluate

    detector = Detector.load(offline_detector["model"], "cpu", conf=1e-3)
    page = cv2.imread(str(REAL / "train_images" / "100241706_00005_1.jpg"))
    assert page.shape[:2] == (3874, 2392)
    assert len(detector.tiling.windows(1937, 1196)) == 10 * 15  # scaled by 0.5, 160-px tiles every 128 px
    ((boxes, scores),) = detector.detect([page])
    assert len(boxes) == len(scores) > 0
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 0] + boxes[:, 2] <= 2392).all()
    assert (boxes[:, 1] >= 0).all() and (boxes[:, 1] + boxes[:, 3] <= 3874).all()
    result = evaluate(REAL, None, offline_detector["model"], tiny_recognizer, tmp_path, "cpu", pictures=1)
    assert (result["pages"], result["characters"]) == (8, 1130)
    assert len(list((tmp_path / "pictures").glob("*.png"))) == 1
    assert json.loads((tmp_path / "evaluate.json").read_text())["pages"] == 8
