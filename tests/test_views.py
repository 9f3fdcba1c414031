"""Several views of each box (test-time augmentation): which crops, how they are averaged, which
boxes get them, and that every reading chosen with them (tune, evaluate, predict) reads them."""

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
from submit.views import VIEWS, other_views, read_characters


def page() -> np.ndarray:
    gray = np.full((400, 300), 230, np.uint8)
    gray[210:250, 105:130] = 20  # ink in the first box, off centre
    gray[25:55, 15:40] = 40
    gray[300:340, 200:215] = 60
    return gray


BOXES = np.array([[100, 200, 40, 60], [10, 20, 40, 40], [190, 290, 40, 60]])


def every_view(boxes: np.ndarray) -> np.ndarray:
    return np.concatenate([boxes[None], other_views(boxes)])


def test_the_views_are_the_box_as_found_then_larger_smaller_and_moved() -> None:
    gray, boxes = page(), BOXES[:2]
    views = crop_page(gray, every_view(boxes))
    assert views.shape == (1 + len(VIEWS), 2, 32, 32) and np.array_equal(views[0], crop_page(gray, boxes))
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


def test_only_the_unsure_boxes_get_the_other_views(tiny_recognizer: Path) -> None:
    recognizer = Recognizer.load(tiny_recognizer, "cpu")
    gray = page()
    alone = recognizer.probabilities(crop_page(gray, BOXES))
    viewed = recognizer.probabilities(crop_page(gray, every_view(BOXES)))
    first = alone.max(1).values.numpy()
    gate = float(np.sort(first)[1])  # the box read least sure alone gets the views, the others not
    unsure = first < gate
    assert unsure.sum() == 1
    [none], [every], [some] = (
        read_characters(recognizer, [gray], [BOXES], tta, below)
        for tta, below in ((False, None), (True, None), (True, gate))
    )
    assert none.probs == pytest.approx(first, rel=1e-6)
    assert every.probs == pytest.approx(viewed.max(1).values.numpy(), rel=1e-5)
    assert some.probs == pytest.approx(np.where(unsure, every.probs, none.probs), rel=1e-5)
    assert some.unicodes.tolist() == np.where(unsure, every.unicodes, none.unicodes).tolist()
    for read in (none, every, some):  # the box as found alone, whatever was read after
        assert read.first_probs == pytest.approx(first, rel=1e-6)
        assert read.first_unicodes.tolist() == none.unicodes.tolist()
    [ranked] = read_characters(recognizer, [gray], [BOXES], True, gate, top=3)
    assert ranked.candidates[:, 0].tolist() == some.unicodes.tolist()
    assert ranked.candidate_probs[:, 0] == pytest.approx(some.probs, rel=1e-6)
    assert (np.diff(ranked.candidate_probs, axis=1) <= 0).all()


def test_boxes_of_several_pages_are_read_as_each_page_alone(tiny_recognizer: Path) -> None:
    recognizer = Recognizer.load(tiny_recognizer, "cpu")
    gray, other = page(), np.flipud(page()).copy()
    both = read_characters(recognizer, [gray, other, gray], [BOXES, BOXES[:1], BOXES[:0]], True, 0.9)
    for read, g, b in zip(both, (gray, other, gray), (BOXES, BOXES[:1], BOXES[:0]), strict=True):
        [alone] = read_characters(recognizer, [g], [b], True, 0.9)
        assert read.unicodes.tolist() == alone.unicodes.tolist()
        assert read.probs == pytest.approx(alone.probs, rel=1e-5)
    assert len(both[2].unicodes) == 0


def test_the_views_are_saved_with_the_thresholds(tmp_path: Path) -> None:
    Thresholds(0.2, 0.4, True, 0.65).save(tmp_path / "t.json")
    assert Thresholds.load(tmp_path / "t.json") == Thresholds(0.2, 0.4, True, 0.65)
    (tmp_path / "old.json").write_text(json.dumps({"conf": 0.2, "prob": 0.4, "tta": True}))
    assert Thresholds.load(tmp_path / "old.json") == Thresholds(0.2, 0.4, True, None)  # every box
    (tmp_path / "older.json").write_text(json.dumps({"conf": 0.2, "prob": 0.4}))  # written before the views
    assert Thresholds.load(tmp_path / "older.json") == Thresholds(0.2, 0.4, False)


class TrueBoxes:
    """Stands in for Detector: the true boxes of each page (by its size and pixels, in order)."""

    def __init__(self, boxes: dict[bytes, np.ndarray]) -> None:
        self.boxes = boxes

    def detect(self, pages):
        for page in pages:
            boxes = self.boxes[page.tobytes()]
            yield boxes, np.ones(len(boxes))


def test_the_pipeline_reads_the_views_the_thresholds_ask_for(tiny_recognizer: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), cv2.cvtColor(page(), cv2.COLOR_GRAY2BGR))
    recognizer = Recognizer.load(tiny_recognizer, "cpu")
    bgr = cv2.imread(str(path))
    detector = TrueBoxes({bgr.tobytes(): BOXES})
    gate = float(np.sort(recognizer.probabilities(crop_page(page(), BOXES)).max(1).values.numpy())[1])
    for tta, unsure in ((False, None), (True, None), (True, gate)):
        pipeline = Pipeline(detector, recognizer, Thresholds(0.0, 0.0, tta, unsure))
        [reading] = pipeline.read([path])
        [chars] = read_characters(recognizer, [page()], [BOXES], tta, unsure)
        kept = chars.unicodes != "none"
        assert reading.unicodes.tolist() == chars.unicodes[kept].tolist()
        assert reading.probs == pytest.approx(chars.probs[kept], rel=1e-6)
        assert reading.first_probs == pytest.approx(chars.first_probs[kept], rel=1e-6)
    assert pipeline.seconds["crop+binarize"] > 0 and pipeline.seconds["classify"] > 0


@pytest.fixture()
def true_boxes(tiny_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipeline.load's detector finds the true boxes of the tiny train pages."""
    from submit.pipeline import Pipeline

    truth = load_train(tiny_data, report=False).page_boxes()
    found = {
        cv2.imread(str(tiny_data / "train_images" / f"{i}.jpg")).tobytes(): b[["x", "y", "w", "h"]].to_numpy()
        for i, b in truth.items()
    }
    load = Pipeline.load.__func__

    def with_true_boxes(cls, detector, recognizer, device="auto", thresholds=None, top=1, **options):
        pipeline = load(cls, detector, recognizer, device, thresholds or Thresholds(), top, **options)
        pipeline.detector = TrueBoxes(found)
        return pipeline

    monkeypatch.setattr(Pipeline, "load", classmethod(with_true_boxes))


def test_tuning_chooses_the_unsure_boxes_and_evaluation_reads_as_it_chose(
    tiny_data: Path,
    tiny_split: Path,
    offline_detector: dict,
    tiny_recognizer: Path,
    tmp_path: Path,
    true_boxes,
) -> None:
    from submit.evaluation.evaluate import evaluate
    from submit.evaluation.tune import CONFS, GATES, gate, grid_f1, tune
    from submit.pipeline import Pipeline

    detector = offline_detector["model"]
    split = json.loads(tiny_split.read_text())
    tune_ids = split["detector_valid"]
    truth = load_train(tiny_data, report=False).subset(tune_ids)
    reader = Pipeline.load(detector, tiny_recognizer, "cpu", Thresholds(float(CONFS[0]), 0.0, True))
    readings = list(reader.read([tiny_data / "train_images" / f"{i}.jpg" for i in tune_ids]))
    assert sum(len(r.boxes) for r in readings) > 0
    f1 = grid_f1(truth.boxes, readings, GATES)
    for share in (0.5, 1.0):
        out = tmp_path / f"share{share}"
        result = tune(tiny_data, tiny_split, detector, tiny_recognizer, out / "tune", "cpu", True, share)
        saved = json.loads((out / "tune" / "thresholds.json").read_text())
        row = gate(f1, share)
        assert saved["tta"] is True and result["tta"] is True
        assert saved["unsure"] == (None if row == len(GATES) else float(GATES[row]))
        assert saved["tune_f1"] == pytest.approx(f1[row].max())
        on_tune = out / "split.json"
        on_tune.write_text(json.dumps({**split, "holdout": tune_ids}))
        thresholds = out / "tune" / "thresholds.json"
        read = evaluate(tiny_data, on_tune, detector, tiny_recognizer, out / "e", "cpu", 0, 0, thresholds)
        assert read["thresholds"]["unsure"] == saved["unsure"]
        assert read["end_to_end"]["f1"] == pytest.approx(saved["tune_f1"])
    # with every box in every view, the true boxes are read in the views too
    pipeline = Pipeline.load(detector, tiny_recognizer, "cpu", Thresholds.load(thresholds))
    alone = Pipeline.load(detector, tiny_recognizer, "cpu", Thresholds())
    right = {"views": 0, "alone": 0}
    for image_id, boxes in truth.page_boxes().items():
        gray = cv2.imread(str(tiny_data / "train_images" / f"{image_id}.jpg"), cv2.IMREAD_GRAYSCALE)
        for name, reader in (("views", pipeline), ("alone", alone)):
            [chars] = reader.classify([gray], [boxes[["x", "y", "w", "h"]].to_numpy()])
            right[name] += int((chars.unicodes == boxes["unicode"].to_numpy()).sum())
    assert right["views"] != right["alone"]  # the views change what is read here
    assert read["recognizer"]["accuracy_on_true_boxes"] == right["views"] / len(truth.boxes)
