"""Several views of each box (test-time augmentation): which crops, how they are averaged, and
that every reading chosen with them (tune, evaluate, predict) reads them."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from data.annotations import load_train
from data.crops import CropSet, crop_page
from recognize.dataset import to_input
from recognize.predict import Recognizer
from submit.pipeline import Pipeline, Thresholds
from submit.views import VIEWS, crop_views


def page() -> np.ndarray:
    gray = np.full((400, 300), 230, np.uint8)
    gray[210:250, 105:130] = 20  # ink in the first box, off centre
    gray[25:55, 15:40] = 40
    return gray


def test_the_views_are_the_box_as_found_then_larger_smaller_and_moved() -> None:
    gray, boxes = page(), np.array([[100, 200, 40, 60], [10, 20, 40, 40]])
    plain = crop_page(gray, boxes)
    assert np.array_equal(crop_views(gray, boxes, False), plain)
    views = crop_views(gray, boxes, True)
    assert views.shape == (1 + len(VIEWS), 2, 32, 32) and np.array_equal(views[0], plain)
    larger = crop_page(gray, np.array([[98, 197, 44, 66], [8, 18, 44, 44]]))  # 5 % more on every side
    right = crop_page(gray, np.array([[102, 200, 40, 60], [12, 20, 40, 40]]))  # moved 5 % of w right
    up = crop_page(gray, np.array([[100, 197, 40, 60], [10, 18, 40, 40]]))
    assert np.array_equal(views[1], larger) and np.array_equal(views[3], right)
    assert np.array_equal(views[6], up)
    assert len({v.tobytes() for v in views}) == len(views)  # seven different crops


def test_the_recognizer_averages_the_class_probabilities_of_the_views(
    tiny_recognizer: Path, tiny_crops: Path
) -> None:
    recognizer = Recognizer.load(tiny_recognizer, "cpu")
    images = CropSet.load(tiny_crops).images[:6]
    a, b = images[:3], images[3:]
    with torch.inference_mode():
        mean = sum(F.softmax(recognizer.model(to_input(torch.from_numpy(v))), 1) for v in (a, b)) / 2
    codes, probs = recognizer.predict(np.stack([a, b]), batch=4)  # batches of 2 characters, 2 views each
    assert codes.tolist() == [recognizer.classes[k] for k in mean.argmax(1).tolist()]
    assert probs == pytest.approx(mean.max(1).values.numpy(), rel=1e-5)
    same_codes, same_probs = recognizer.predict(np.stack([a, a]))
    alone_codes, alone_probs = recognizer.predict(a)
    assert same_codes.tolist() == alone_codes.tolist() and same_probs == pytest.approx(alone_probs, rel=1e-5)
    none = recognizer.predict(np.zeros((7, 0, 32, 32), np.uint8))
    assert len(none[0]) == len(none[1]) == 0


def test_the_pipeline_reads_the_views_when_the_thresholds_say_so(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), cv2.cvtColor(page(), cv2.COLOR_GRAY2BGR))
    boxes = np.array([[100, 200, 40, 60], [10, 20, 40, 40]])
    seen = []

    class Found:
        def detect(self, pages):
            return [(boxes, np.ones(len(boxes)))]

    class Reader:
        def predict(self, crops):
            seen.append(crops)
            return np.array(["U+3042"] * 2, object), np.ones(2)

    for tta in (False, True):
        [reading] = Pipeline(Found(), Reader(), thresholds=Thresholds(tta=tta)).read([path])
        assert reading.unicodes.tolist() == ["U+3042"] * 2
    gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
    assert np.array_equal(seen[0], crop_page(gray, boxes))
    assert np.array_equal(seen[1], crop_views(gray, boxes, True))


def test_the_views_are_saved_with_the_thresholds(tmp_path: Path) -> None:
    Thresholds(0.2, 0.4, True).save(tmp_path / "t.json")
    assert Thresholds.load(tmp_path / "t.json") == Thresholds(0.2, 0.4, True)
    (tmp_path / "old.json").write_text(json.dumps({"conf": 0.2, "prob": 0.4}))  # written before the views
    assert Thresholds.load(tmp_path / "old.json") == Thresholds(0.2, 0.4, False)


def test_true_boxes_are_read_in_the_same_views_as_the_detected(tiny_data: Path) -> None:
    from submit.evaluation.losses import accuracy_on_true_boxes

    page_id, boxes = next(iter(load_train(tiny_data, report=False).page_boxes().items()))
    boxes = boxes.iloc[:4]
    shapes = []

    class Reader:
        def predict(self, crops):
            shapes.append(crops.shape)
            return boxes["unicode"].to_numpy(), np.ones(4)

    images = tiny_data / "train_images"
    for tta in (False, True):
        assert accuracy_on_true_boxes(Reader(), images, {page_id: boxes}, None, tta) == (1, 0)
    assert shapes == [(4, 32, 32), (1 + len(VIEWS), 4, 32, 32)]


def test_tuning_with_views_saves_them_and_evaluation_reads_with_them(
    tiny_data: Path, tiny_split: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    from submit.evaluation.evaluate import evaluate
    from submit.evaluation.tune import tune

    detector = offline_detector["model"]
    result = tune(tiny_data, tiny_split, detector, tiny_recognizer, tmp_path / "tune", "cpu", tta=True)
    saved = json.loads((tmp_path / "tune" / "thresholds.json").read_text())
    assert saved["tta"] is True and result["tta"] is True
    split = json.loads(tiny_split.read_text())
    on_tune = tmp_path / "split.json"
    on_tune.write_text(json.dumps({**split, "holdout": split["detector_valid"]}))
    thresholds = tmp_path / "tune" / "thresholds.json"
    read = evaluate(tiny_data, on_tune, detector, tiny_recognizer, tmp_path / "e", "cpu", 0, 0, thresholds)
    assert read["thresholds"]["tta"] is True and read["end_to_end"]["f1"] == pytest.approx(saved["tune_f1"])
