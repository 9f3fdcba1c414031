"""What the pipeline does for the competition F1: tune-page validation, the detector's boxes as
training crops, the background class, thresholds chosen on the tune pages, and the class prior."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from data.annotations import load_train
from data.balance import prior_weights
from data.crops import CropSet
from data.formats import BACKGROUND
from detect.boxcrops import box_crops, label_boxes
from recognize.dataset import prepare
from submit.evaluation.tune import CONFS, GATES, PROBS, best, gate, grid_f1
from submit.pipeline import PageReading, Thresholds


def crop_set(pages: list[str], unicodes: list[str], sources: list[str] | None = None) -> CropSet:
    n = len(pages)
    return CropSet(
        images=np.zeros((n, 32, 32), np.uint8),
        unicodes=np.array(unicodes),
        pages=np.array(pages),
        samples=np.arange(n),
        sources=None if sources is None else np.array(sources),
    )


def test_tune_pages_validate_and_never_train() -> None:
    crops = crop_set(
        ["p1", "p1", "p2", "p3", "p3", "p3", "p3"],
        ["a", "b", "a", "a", "c", "b", "a"],
        ["real", "real", "real", "real", "real", "real", "extra"],
    )
    prep = prepare(crops, "sample", 0.3, 1.0, 0, "cpu", valid_pages=["p3"])
    assert prep.train.tolist() == [0, 1, 2]  # nothing of p3 trains, not even the extra source's crop
    assert prep.valid.tolist() == [3, 5]  # p3's real crops of trained classes ("c" is never trained)
    assert prep.classes == ["a", "b"]


def test_a_detected_box_takes_the_class_of_the_true_box_its_centre_is_strictly_inside() -> None:
    truth = np.array([[0, 0, 10, 10], [10, 0, 10, 10], [0, 0, 30, 30]])
    boxes = np.array(
        [
            [2, 2, 6, 6],  # centre (5, 5): in the first and the third: the first
            [12, 0, 6, 8],  # centre (15, 4): the second
            [5, 0, 10, 10],  # centre (10, 5): on the edge of the first two, inside the third
            [40, 40, 4, 4],  # centre (42, 42): in none
            [0, 30, 10, 10],  # centre (5, 35): below all of them
        ]
    )
    assert label_boxes(truth, boxes).tolist() == [0, 1, 2, -1, -1]
    assert label_boxes(truth[:0], boxes).tolist() == [-1] * 5


class ListedDetector:
    """Stands in for detect.predict.Detector: the given boxes for each page, in order."""

    def __init__(self, boxes: list[np.ndarray]) -> None:
        self.boxes = list(boxes)

    def detect(self, pages):
        for _ in pages:
            boxes = self.boxes.pop(0)
            yield boxes, np.ones(len(boxes))


def test_box_crops_are_labelled_by_the_truth_and_keep_their_sample_source_and_weight(
    tiny_data: Path, tmp_path: Path
) -> None:
    from data.crops import make_crops

    crops = make_crops(tiny_data)
    crops.weights = np.full(len(crops), 3.0, np.float32)
    pages = list(dict.fromkeys(crops.pages.tolist()))
    truth = load_train(tiny_data, report=False).page_boxes()
    corner = np.array([[0, 0, 4, 4]])  # centre (2, 2): the page's margin, no character
    detected = [np.concatenate([truth[p][["x", "y", "w", "h"]].to_numpy()[::-1], corner]) for p in pages]
    joined = box_crops(tiny_data, crops, ListedDetector(detected))
    assert joined.images[: len(crops)].tobytes() == crops.images.tobytes()
    added = slice(len(crops), None)
    n_true = len(crops)
    assert len(joined) == 2 * n_true + len(pages)
    expected_codes, expected_samples, expected_images, is_true_box = [], [], [], []
    for p, boxes in zip(pages, detected, strict=True):
        mine = np.flatnonzero(crops.pages == p)
        true = truth[p][["x", "y", "w", "h"]].to_numpy().tolist()
        for x, y, w, h in boxes.tolist():
            cx, cy = x + w // 2, y + h // 2  # the competition's point of a box
            owner = next(
                (j for j, (a, b, c, d) in enumerate(true) if a < cx < a + c and b < cy < b + d), None
            )
            expected_codes.append(BACKGROUND if owner is None else crops.unicodes[mine[owner]])
            expected_samples.append(-1 if owner is None else crops.samples[mine[owner]])
        expected_images += [*crops.images[mine[::-1]]]  # the true boxes, reversed as detected
        is_true_box += [True] * len(mine) + [False]
    assert expected_codes.count(BACKGROUND) >= len(pages)  # the corners at least
    assert joined.unicodes[added].tolist() == expected_codes
    samples = joined.samples[added]
    background = joined.unicodes[added] == BACKGROUND
    assert samples[~background].tolist() == [s for s in expected_samples if s >= 0]
    first = crops.samples.max() + 1
    assert samples[background].tolist() == list(range(first, first + int(background.sum())))
    kept = joined.images[added][np.array(is_true_box)]
    assert kept.tobytes() == np.array(expected_images).tobytes()  # the same box gives the same crop
    assert set(joined.weights[added].tolist()) == {3.0} and set(joined.sources[added].tolist()) == {"data"}


def reading(scores: list[float], probs: list[float], codes: list[str]) -> PageReading:
    n = len(scores)
    return PageReading(
        "p", (100, 100), np.arange(4 * n).reshape(n, 4), np.array(scores), np.array(codes), np.array(probs)
    )


def test_thresholds_keep_sure_boxes_and_classes_and_never_the_background(tmp_path: Path) -> None:
    r = reading(
        [0.3, 0.2, 0.9, 0.9, 0.25], [0.5, 0.9, 0.1, 0.99, 0.2], ["U+3042"] * 3 + [BACKGROUND, "U+3044"]
    )
    kept = Thresholds(conf=0.25, prob=0.2).keep(r)
    assert kept.scores.tolist() == [0.3, 0.25] and kept.unicodes.tolist() == ["U+3042", "U+3044"]
    assert kept.boxes.tolist() == [[0, 1, 2, 3], [16, 17, 18, 19]]
    assert Thresholds().keep(r).unicodes.tolist() == ["U+3042", "U+3042", "U+3044"]
    Thresholds(0.15, 0.4).save(tmp_path / "t.json", tune_f1=0.5)
    assert Thresholds.load(tmp_path / "t.json") == Thresholds(0.15, 0.4)
    assert json.loads((tmp_path / "t.json").read_text())["tune_f1"] == 0.5
    assert Thresholds.load(None) == Thresholds(0.25, 0.0)


def two_true_boxes():
    """Page p's truth: あ at x 0..10 and い at x 20..30, both y 0..10."""
    import pandas as pd

    return pd.DataFrame(
        {
            "image_id": ["p", "p"],
            "unicode": ["U+3042", "U+3044"],
            "x": [0, 20],
            "y": [0, 0],
            "w": [10, 10],
            "h": [10, 10],
        }
    )


def test_the_grid_scores_every_pair_and_the_best_is_the_lowest_of_the_highest_f1() -> None:
    truth = two_true_boxes()
    read = PageReading(
        "p",
        (40, 40),
        np.array([[4, 4, 2, 2], [24, 4, 2, 2], [23, 3, 2, 2]]),  # centres (5, 5), (25, 5), (24, 4)
        np.array([0.9, 0.9, 0.1]),
        np.array(["U+3042", "U+3042", "U+3044"]),
        np.array([0.9, 0.2, 0.8]),
    )
    read = replace(read, first_unicodes=read.unicodes, first_probs=read.probs)
    [f1] = grid_f1(truth, [read], GATES[:0])
    c, p = list(CONFS).index, list(PROBS).index
    assert f1[c(0.05), p(0.0)] == pytest.approx(0.8)  # 2 right, 1 wrong
    assert f1[c(0.05), p(0.25)] == 1.0  # the wrong one dropped
    assert f1[c(0.15), p(0.0)] == 0.5  # the unsure box dropped: 1 right, 1 wrong, 1 missed
    assert f1[c(0.15), p(0.25)] == pytest.approx(2 / 3)
    assert f1[c(0.05), p(0.8)] == 1.0 and f1[c(0.05), p(0.85)] == pytest.approx(2 / 3)
    assert best(f1) == Thresholds(0.05, 0.25)


def test_each_gate_reads_the_other_views_of_the_boxes_first_read_below_it() -> None:
    truth = two_true_boxes()
    read = PageReading(
        "p",
        (40, 40),
        np.array([[4, 4, 2, 2], [24, 4, 2, 2]]),
        np.array([0.9, 0.9]),
        np.array(["U+3042", "U+3044"]),  # every view: both right
        np.array([0.6, 0.9]),
        np.array(["U+3044", "U+3044"]),  # the first alone: the first box wrong, unsure
        np.array([0.3, 0.9]),
    )
    f1 = grid_f1(truth, [read], GATES)
    g, c, p = list(GATES).index, list(CONFS).index, list(PROBS).index
    assert f1.shape == (len(GATES) + 1, len(CONFS), len(PROBS))
    assert f1[g(0.0), c(0.05), p(0.0)] == 0.5 and f1[g(0.3), c(0.05), p(0.0)] == 0.5  # 0.3 is not below 0.3
    assert f1[g(0.35), c(0.05), p(0.0)] == 1.0 and f1[-1, c(0.05), p(0.0)] == 1.0
    assert f1[g(0.35), c(0.05), p(0.65)] == pytest.approx(2 / 3) and f1[
        g(0.0), c(0.05), p(0.35)
    ] == pytest.approx(2 / 3)
    assert gate(f1, 0.9) == g(0.35) and gate(f1, 1.0) == len(GATES) and gate(f1[::-1], 0.9) == 0


def test_tuning_reads_only_the_tune_pages_and_its_f1_is_the_pipelines(
    tiny_data: Path, tiny_split: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    from submit.evaluation.evaluate import evaluate
    from submit.evaluation.tune import tune

    result = tune(tiny_data, tiny_split, offline_detector["model"], tiny_recognizer, tmp_path / "tune", "cpu")
    split = json.loads(tiny_split.read_text())
    saved = json.loads((tmp_path / "tune" / "thresholds.json").read_text())
    assert saved["tune_pages"] == len(split["detector_valid"]) and (tmp_path / "tune" / "tune.png").is_file()
    assert (saved["conf"], saved["prob"]) == (result["conf"], result["prob"])
    assert saved["conf"] in CONFS and saved["prob"] in PROBS
    on_tune = tmp_path / "split.json"
    on_tune.write_text(json.dumps({**split, "holdout": split["detector_valid"]}))
    read = evaluate(
        tiny_data,
        on_tune,
        offline_detector["model"],
        tiny_recognizer,
        tmp_path / "e",
        "cpu",
        0,
        0,
        tmp_path / "tune" / "thresholds.json",
    )
    assert read["end_to_end"]["f1"] == pytest.approx(saved["tune_f1"])
    assert read["thresholds"]["conf"] == saved["conf"]


def test_the_class_prior_draws_a_class_by_its_count_to_one_minus_the_power() -> None:
    labels = np.array(["a", "a", "a", "a", "b"])
    p = prior_weights(labels, 0.5, None)
    assert p.tolist() == pytest.approx([1 / 6] * 4 + [1 / 3])  # a: 4 ** 0.5 = 2 shares, b: 1
    p = prior_weights(labels, 1.0, np.array([1, 1, 1, 1, 4.0]))
    assert p.tolist() == pytest.approx([1 / 8] * 4 + [1 / 2])  # weighted counts 4 and 4: alike
    assert prior_weights(labels, 0.0, None).tolist() == pytest.approx([0.2] * 5)


def test_the_final_split_fits_every_page_and_holds_none_out() -> None:
    from data.split import refit_split, tune_pages

    split = {
        "fit": ["a", "b", "t"],
        "holdout": ["h1", "h2"],
        "detector_train": ["a", "b"],
        "detector_valid": ["t"],
    }
    final = refit_split(split)
    assert final == {
        "fit": ["a", "b", "t", "h1", "h2"],
        "holdout": [],
        "detector_train": ["a", "b", "t", "h1", "h2"],
        "detector_valid": ["t"],
    }
    assert tune_pages(final) == tune_pages(split) == ["t"]


def test_a_refit_starts_from_the_split_recognizer_and_trains_on_every_crop(
    tiny_crops: Path, tiny_recognizer: Path, tmp_path: Path
) -> None:
    import csv

    import torch
    from tiny import TINY

    from data.infra.runs import input_path
    from recognize.train import main

    run = tmp_path / "final"
    flags = ["--profile", str(TINY), "--set", "recognizer.epochs=2 recognizer.valid=0"]
    argv = ["--crops", str(tiny_crops), "--run-dir", str(run), "--device", "cpu", *flags]
    assert main([*argv, "--init", str(tiny_recognizer), "--no-interpret"]) == 0
    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    split = np.load(run / "split.npz")
    assert len(split["valid"]) == 0 and len(split["train"]) == len(CropSet.load(tiny_crops))
    assert torch.load(run / "model.pt", weights_only=True)["epoch"] == 2  # the last epoch
    assert input_path(run, "init").resolve() == tiny_recognizer.resolve()


def test_confusions_count_found_characters_read_as_another_class() -> None:
    import pandas as pd

    from data.crops import crop_page
    from submit.evaluation.confusions import Confusions
    from submit.match import PageMatch

    page = pd.DataFrame(
        {
            "unicode": ["U+3042", "U+3044", "U+3042", "U+3046"],
            "x": [0, 20, 40, 60],
            "y": [0, 0, 0, 0],
            "w": [10, 10, 10, 10],
            "h": [10, 10, 10, 10],
        }
    )
    boxes = np.array([[2, 2, 6, 6], [22, 2, 6, 6], [42, 2, 6, 6], [90, 90, 4, 4]])
    read = PageReading(
        "p", (100, 100), boxes, np.ones(4), np.array(["U+3044", "U+3044", "U+3044", "U+3042"]), np.ones(4)
    )
    gray = np.random.default_rng(0).integers(0, 256, (100, 100), dtype=np.uint8)
    confusions = Confusions(examples=3)
    confusions.add(read, PageMatch.of(read, page), gray)
    assert confusions.pairs == {
        ("U+3042", "U+3044"): 2
    }  # the right one, the missed one and the stray box are none
    shown = np.array(confusions.crops[("U+3042", "U+3044")])
    assert np.array_equal(shown, crop_page(gray, boxes[[0, 2]]))
    confusions.add(read, PageMatch.of(read, page), gray)  # a second page: counted, one more example kept
    assert confusions.pairs == {("U+3042", "U+3044"): 4} and len(confusions.crops[("U+3042", "U+3044")]) == 3


def test_box_errors_are_edge_offsets_over_the_true_size_and_jitter_undoes_them() -> None:
    from detect.boxerrors import jitter, relative_errors

    truth = np.array([[10, 20, 10, 20], [0, 0, 4, 8]])
    detected = np.array([[8, 22, 14, 20], [1, 0, 4, 8]])
    errors = relative_errors(truth, detected)
    assert errors.tolist() == [[-0.2, 0.1, 0.2, 0.1], [0.25, 0.0, 0.25, 0.0]]
    assert jitter(truth, errors).tolist() == detected.tolist()
    assert jitter(truth, np.array([[0.0, 0.0, -2.0, -2.0]] * 2)).tolist() == [[10, 20, 1, 1], [0, 0, 1, 1]]


def test_jittered_true_boxes_join_the_box_crops_with_their_own_class_and_sample(tiny_data: Path) -> None:
    from data.crops import make_crops

    crops = make_crops(tiny_data)
    pages = list(dict.fromkeys(crops.pages.tolist()))
    none = [np.zeros((0, 4), np.int64) for _ in pages]  # the detector finds nothing: jitter only
    still = box_crops(tiny_data, crops, ListedDetector(none), errors=np.zeros((3, 4)))
    assert still.unicodes[len(crops) :].tolist() == crops.unicodes.tolist()
    assert still.samples[len(crops) :].tolist() == crops.samples.tolist()
    assert still.images[len(crops) :].tobytes() == crops.images.tobytes()  # no error: the same crops
    moved = box_crops(tiny_data, crops, ListedDetector(none), errors=np.array([[-0.5, -0.5, 0.5, 0.5]]))
    assert moved.unicodes[len(crops) :].tolist() == crops.unicodes.tolist()
    from data.crops import crop_page
    from data.infra.io import read_image

    first = pages[0]
    x, y, w, h = load_train(tiny_data, report=False).page_boxes()[first][["x", "y", "w", "h"]].to_numpy().T
    doubled = np.column_stack(
        [np.round(x - w / 2), np.round(y - h / 2), np.round(x + 1.5 * w), np.round(y + 1.5 * h)]
    )
    doubled[:, 2:] -= doubled[:, :2]  # each edge moved out by half the box: twice as wide and tall
    gray = read_image(tiny_data / "train_images" / f"{first}.jpg", gray=True)
    mine = len(crops) + np.flatnonzero(crops.pages == first)
    assert moved.images[mine].tobytes() == crop_page(gray, doubled).tobytes()


def test_no_measured_box_errors_means_no_jittered_crops(tiny_data: Path) -> None:
    from data.crops import make_crops

    crops = make_crops(tiny_data)
    none = [np.zeros((0, 4), np.int64) for _ in dict.fromkeys(crops.pages.tolist())]
    assert len(box_crops(tiny_data, crops, ListedDetector(none), errors=np.zeros((0, 4)))) == len(crops)
