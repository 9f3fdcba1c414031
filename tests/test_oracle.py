"""Oracles through the real code paths: perfect networks must give perfect, exactly known results.

The stand-in networks of known_cases read drawn pages perfectly, so every loss between them and
the score (tiling, merging, scaling back, cropping, the class list, points, the CSV, the metric)
is a bug in the code between.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from known_cases import (
    CLASSES,
    PAGES,
    ROWS,
    SIDE,
    certain_probability,
    code_recognizer,
    draw_page,
    find_ink,
    stub_detector,
    truth_boxes,
    write_kaggle_folder,
)

from data.annotations import read_annotations
from data.crops import crop_page
from data.formats import read_points, read_translation, write_rows
from data.infra.device import ReadingSizes
from data.infra.errors import DataError
from data.infra.io import read_image
from recognize.predict import Recognizer
from submit.evaluation.evaluate import evaluate
from submit.merge import merge
from submit.metric import Score, score
from submit.pipeline import Pipeline, Thresholds, points_frame
from submit.predict import predict
from submit.submission import write_submission

N_CHARACTERS = sum(len(characters) for _, characters in PAGES.values())  # 14 + 11


def drawn_pages() -> list[np.ndarray]:
    return [draw_page(width, height, characters) for (width, height), characters in PAGES.values()]


def as_rows(boxes: np.ndarray) -> list[list[int]]:
    return sorted(np.asarray(boxes).tolist())


def test_drawn_pages_come_back_from_the_detector_in_page_pixels() -> None:
    # Tiles are queued until there are 24: both pages (20 + 15 tiles) go to the network together,
    # in batches of 24 and 11.
    detector = stub_detector(batch=24)
    found = list(detector.detect(drawn_pages()))
    for (_, characters), (boxes, scores) in zip(PAGES.values(), found, strict=True):
        assert as_rows(boxes) == as_rows(truth_boxes(characters))
        assert scores.tolist() == pytest.approx([0.9] * len(characters))
    # 20 tiles of the 180 x 130 scaled page, 15 of the 125 x 165 one, showing the characters
    # whole in several tiles and cut in others: merging had duplicates and cut boxes to drop.
    assert len(detector.model.seen) == 20 + 15
    assert sum(len(find_ink(tile)) for tile in detector.model.seen) > 2 * N_CHARACTERS


def test_the_stub_network_answers_in_the_real_network_s_layout() -> None:
    """The real detector network in eval mode returns (output, features) with output (batch, 5, anchors)."""
    from detect.offline import configure

    configure()
    from tiny import detector_config
    from ultralytics.nn.tasks import DetectionModel

    model = DetectionModel(detector_config().model, nc=1, verbose=False).eval()
    with torch.no_grad():
        real, _ = model(torch.zeros(2, 3, 64, 64))
    assert real.shape == (2, 5, 8 * 8 + 4 * 4)  # strides 8 and 16 on a 64 px tile
    stub, _ = stub_detector().model(torch.zeros(2, 3, 64, 64))
    assert stub.shape[:2] == real.shape[:2] and stub.shape[2] != 6  # 6 would read as end-to-end


def test_crops_of_drawn_characters_read_as_their_class() -> None:
    right, shifted = code_recognizer(), code_recognizer(shift=1)  # shifted: class k read as k + 1
    for (_, characters), page in zip(PAGES.values(), drawn_pages(), strict=True):
        gray, boxes = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), truth_boxes(characters)
        codes, probs = right.predict(crop_page(gray, boxes))
        assert codes.tolist() == [CLASSES[k] for k, _, _ in characters]
        assert probs.tolist() == pytest.approx([certain_probability()] * len(characters))
        codes, _ = shifted.predict(
            crop_page(gray, boxes)
        )  # the last class has no next: all logits 0, class 0
        assert codes.tolist() == [CLASSES[(k + 1) % len(CLASSES)] for k, _, _ in characters]


def test_training_labels_index_the_sorted_class_list() -> None:
    """The class list a recognizer is trained (and saved) with is sorted; label k names class k."""
    from data.crops import CropSet
    from recognize.dataset import prepare

    unicodes = np.array(["U+306E", "U+3042", "U+306E", "U+304B", "U+3042", "U+306E"])
    crops = CropSet(np.zeros((6, 32, 32), np.uint8), unicodes, np.array(["bk1-001"] * 6), np.arange(6))
    prep = prepare(crops, "sample", 0.0, 1.0, 0, torch.device("cpu"))  # nothing held out
    assert prep.classes == ["U+3042", "U+304B", "U+306E"]
    assert prep.labels.tolist() == prep.targets.tolist() == [2, 0, 2, 1, 0, 2]
    assert sorted(prep.train.tolist()) == list(range(6)) and len(prep.valid) == 0


@pytest.fixture()
def kaggle(tmp_path: Path) -> Path:
    return write_kaggle_folder(tmp_path / "data")


@pytest.fixture()
def oracle(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Pipeline.load gives the stand-in networks (``shift`` set in the dict shifts the recognizer,
    ``find`` replaces the detector's)."""
    settings = {"shift": 0, "find": find_ink}

    def load(cls, detector: object, recognizer: object, device: str = "auto", thresholds=None) -> Pipeline:
        return cls(
            stub_detector(settings["find"]),
            code_recognizer(settings["shift"]),
            thresholds=thresholds or Thresholds(),
            sizes=ReadingSizes(chunk=1, threads=2, tiles=16),
        )

    monkeypatch.setattr(Pipeline, "load", classmethod(load))
    return settings


def expected_points() -> list[tuple[str, str, int, int]]:
    """Each drawn character's class at its box's centre."""
    half = SIDE // 2
    return sorted(
        (image_id, CLASSES[k], x + half, y + half)
        for image_id, (_, characters) in PAGES.items()
        for k, x, y in characters
    )


def test_true_boxes_and_classes_score_one_through_submit(kaggle: Path, oracle: dict, tmp_path: Path) -> None:
    out = tmp_path / "submission.csv"
    summary = predict(kaggle, "detector.pt", "recognizer.pt", out, "cpu", pictures=0)
    assert summary["points"] == N_CHARACTERS
    assert summary["test"] == Score(N_CHARACTERS, 0, 0).as_dict()
    assert summary["test"]["f1"] == 1.0
    ids, points = read_points(out)
    assert ids == list(PAGES)
    assert sorted(points.itertuples(index=False, name=None)) == expected_points()

    parts = [tmp_path / f"part-{i}.csv" for i in range(2)]  # sharded: one page each, then merged
    for i, part in enumerate(parts):
        assert predict(kaggle, "detector.pt", "recognizer.pt", part, "cpu", 0, (i, 2))["pages"] == 1
    merge(parts, kaggle, tmp_path / "merged.csv")
    assert (tmp_path / "merged.csv").read_bytes() == out.read_bytes()
    with pytest.raises(DataError, match="is in no part"):
        merge(parts[:1], kaggle, tmp_path / "half.csv")
    with pytest.raises(DataError, match="is also in"):
        merge([parts[0], *parts], kaggle, tmp_path / "twice.csv")


def test_evaluation_of_oracle_networks_is_exact(kaggle: Path, oracle: dict, tmp_path: Path) -> None:
    result = evaluate(kaggle, None, "detector.pt", "recognizer.pt", tmp_path / "all", "cpu", pictures=1)
    assert (result["pages"], result["characters"]) == (2, N_CHARACTERS)
    assert result["detector"] == {
        "centre_hit_recall": 1.0,
        "precision_iou50": 1.0,
        "recall_iou50": 1.0,
        "predicted_boxes": N_CHARACTERS,
    }
    assert result["recognizer"] == {
        "accuracy_on_detected": 1.0,
        "detected_characters": N_CHARACTERS,
        "known_class_share": 1.0,
        "accuracy_on_true_boxes": 1.0,
        "accuracy_on_true_boxes_of_detected": 1.0,
    }
    assert result["end_to_end"] == Score(N_CHARACTERS, 0, 0).as_dict()
    assert (result["lost"]["missed"], result["lost"]["spurious"]) == (0, 0)

    oracle["shift"] = 1  # every class read as the next one
    result = evaluate(kaggle, None, "detector.pt", "recognizer.pt", tmp_path / "shifted", "cpu", pictures=0)
    assert result["recognizer"]["accuracy_on_detected"] == 0.0
    assert result["recognizer"]["accuracy_on_true_boxes"] == 0.0
    assert result["recognizer"]["accuracy_on_true_boxes_of_detected"] == 0.0
    assert result["detector"]["centre_hit_recall"] == 1.0
    assert result["end_to_end"] == Score(0, N_CHARACTERS, N_CHARACTERS).as_dict()


def test_accuracy_on_the_true_boxes_of_the_detected_is_over_the_detected_only(
    kaggle: Path, oracle: dict, tmp_path: Path
) -> None:
    oracle["find"] = lambda tile: find_ink(tile)[::2]  # the detector misses every other blob of a tile
    result = evaluate(kaggle, None, "detector.pt", "recognizer.pt", tmp_path / "half", "cpu", pictures=0)
    found = result["recognizer"]["detected_characters"]
    assert 0 < found < N_CHARACTERS and result["detector"]["centre_hit_recall"] == found / N_CHARACTERS
    assert result["recognizer"]["accuracy_on_true_boxes"] == 1.0  # every true box read right ...
    assert result["recognizer"]["accuracy_on_true_boxes_of_detected"] == 1.0  # ... and so the detected ones
    assert result["end_to_end"] == Score(found, 0, N_CHARACTERS - found).as_dict()


def test_evaluation_counts_characters_missing_from_the_answers(
    kaggle: Path, oracle: dict, tmp_path: Path
) -> None:
    """Only the top row of each page annotated: 12 of the 25 found characters are right."""
    rows = [
        (image_id, " ".join(f"{CLASSES[k]} {x} {y} {SIDE} {SIDE}" for k, x, y in lines[0]))
        for image_id, (_, lines) in ROWS.items()
    ]
    write_rows(kaggle / "train.csv", ["image_id", "labels"], rows)
    result = evaluate(kaggle, None, "detector.pt", "recognizer.pt", tmp_path, "cpu", pictures=0)
    annotated = 6 + 6
    assert result["characters"] == annotated
    assert result["detector"] == {
        "centre_hit_recall": 1.0,
        "precision_iou50": annotated / N_CHARACTERS,
        "recall_iou50": 1.0,
        "predicted_boxes": N_CHARACTERS,
    }
    assert result["end_to_end"] == Score(annotated, N_CHARACTERS - annotated, 0).as_dict()


# --- ground-truth boxes on generated pages ---------------------------------------------------------


class TruthDetector:
    """Stands in for Detector: yields the ground-truth boxes of the pages, in the order they come."""

    def __init__(self, boxes: list[np.ndarray]) -> None:
        self.boxes = iter(boxes)

    def detect(self, pages: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for _ in pages:
            boxes = next(self.boxes)
            yield boxes, np.ones(len(boxes))


class TrueClasses(torch.nn.Module):
    """Stands in for CharNet: checks it is shown the expected crops, in order, and answers their classes."""

    def __init__(self, crops: np.ndarray, labels: np.ndarray, classes: int) -> None:
        super().__init__()
        self.crops, self.labels, self.classes, self.done = crops, labels, classes, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        part = slice(self.done, self.done + len(x))
        self.done += len(x)
        assert ((x[:, 0] * 255).round().to(torch.uint8).numpy() == self.crops[part]).all(), "other crops"
        logits = torch.zeros(len(x), self.classes)
        logits[torch.arange(len(x)), torch.from_numpy(self.labels[part])] = 1.0
        return logits


def test_ground_truth_boxes_with_true_classes_score_every_scoreable_character(
    tiny_data: Path, tmp_path: Path
) -> None:
    """On generated pages: F1 1.0 on every box at least 2 px each way. The tiny preset also draws a
    few boxes 1 px wide or high; no integer point lies strictly inside those, so their points are
    false positives and they are missed."""
    truth = read_annotations(tiny_data / "test_answers.csv")
    pages = truth.page_boxes()
    paths = [tiny_data / "test_images" / f"{i}.jpg" for i in truth.image_ids]
    boxes = [pages[i][["x", "y", "w", "h"]].to_numpy() for i in truth.image_ids]
    classes = sorted(set(truth.boxes["unicode"]))
    crops = np.concatenate(
        [crop_page(read_image(p, gray=True), b) for p, b in zip(paths, boxes, strict=True)]
    )
    labels = np.searchsorted(
        classes, np.concatenate([pages[i]["unicode"].to_numpy() for i in truth.image_ids])
    )
    recognizer = Recognizer(TrueClasses(crops, labels, len(classes)), classes, torch.device("cpu"))
    readings = list(
        Pipeline(TruthDetector(boxes), recognizer, sizes=ReadingSizes(chunk=2, threads=2, tiles=16)).read(
            paths
        )
    )
    out = tmp_path / "submission.csv"
    known = read_translation(tiny_data / "unicode_translation.csv")
    write_submission(points_frame(readings), truth.image_ids, out, known, tiny_data / "test_images")
    _, points = read_points(out, known)
    values = truth.boxes[["x", "y", "w", "h"]].to_numpy()
    assert points[["x", "y"]].to_numpy().tolist() == (values[:, :2] + values[:, 2:] // 2).tolist()
    assert points["unicode"].tolist() == truth.boxes["unicode"].tolist()
    scoreable = (values[:, 2] >= 2) & (values[:, 3] >= 2)
    assert score(truth.boxes[scoreable], truth.image_ids, points[scoreable]) == Score(
        int(scoreable.sum()), 0, 0
    )
    thin = int((~scoreable).sum())
    assert score(truth.boxes, truth.image_ids, points) == Score(len(values) - thin, thin, thin)
