"""Detector quality on held-out pages: precision and recall at IoU 0.5, and centre-hit recall.

Centre-hit recall is the fraction of true boxes that contain the centre of exactly one predicted
box: the most the recognizer can score under the competition metric.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torchvision.ops import box_iou

from data.errors import run_cli
from data.formats import read_annotations, read_translation
from data.io import atomic_path, read_image, write_json
from detect.predict import Detector
from submit.metric import hits


def xyxy(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]])


def iou_matches(pred: np.ndarray, scores: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> int:
    """Greedy one-to-one matches (highest score first) of x/y/w/h boxes with IoU ≥ threshold."""
    if not len(pred) or not len(truth):
        return 0
    iou = box_iou(torch.from_numpy(xyxy(pred)), torch.from_numpy(xyxy(truth))).numpy()
    free = np.ones(len(truth), bool)
    matched = 0
    for k in np.argsort(-scores, kind="stable"):
        candidates = np.where(free & (iou[k] >= threshold), iou[k], -1)
        best = int(candidates.argmax())
        if candidates[best] >= threshold:
            free[best] = False
            matched += 1
    return matched


def centres(boxes: np.ndarray) -> np.ndarray:
    """Integer centre points (x + w // 2, y + h // 2) of x/y/w/h boxes."""
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    return np.column_stack([boxes[:, 0] + boxes[:, 2] // 2, boxes[:, 1] + boxes[:, 3] // 2])


def centre_owner(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per true box: the one predicted box whose centre lies strictly inside it, else -1 (none or several)."""
    owner = np.full(len(truth), -1, np.int64)
    if not len(truth) or not len(pred):
        return owner
    inside = hits(np.asarray(truth).reshape(-1, 4), centres(pred))
    single = inside.sum(axis=1) == 1
    owner[single] = inside[single].argmax(axis=1)
    return owner


def centre_hits(pred: np.ndarray, truth: np.ndarray) -> int:
    """True boxes containing the centre of exactly one predicted box."""
    return int((centre_owner(pred, truth) >= 0).sum())


def draw_boxes(page: np.ndarray, truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The page with true boxes in green and predicted boxes in red."""
    canvas = page.copy()
    for color, boxes in (((40, 170, 40), truth), ((30, 30, 220), pred)):
        for x, y, w, h in np.asarray(boxes, dtype=np.int64).reshape(-1, 4):
            cv2.rectangle(canvas, (int(x), int(y)), (int(x + w), int(y + h)), color, 2)
    return canvas


def save_png(path: str | Path, image: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        _, encoded = cv2.imencode(".png", image)
        tmp.write_bytes(encoded.tobytes())


def evaluate(detector: Detector, data: str | Path, image_ids: list[str], out: str | Path) -> dict:
    """Score the detector on these train pages; write detector.json and detector_page.png into ``out``."""
    data, out = Path(data), Path(out)
    annotations = read_annotations(data / "train.csv", read_translation(data / "unicode_translation.csv"))
    truth = {
        k: g[["x", "y", "w", "h"]].to_numpy() for k, g in annotations.subset(image_ids).page_boxes().items()
    }
    paths = [data / "train_images" / f"{i}.jpg" for i in image_ids]
    n_true = n_pred = matched = hits = 0
    busiest = (None, -1)
    for image_id, (boxes, scores) in zip(
        image_ids, detector.detect_files(paths, "detector on held-out"), strict=True
    ):
        n_true += len(truth[image_id])
        n_pred += len(boxes)
        matched += iou_matches(boxes, scores, truth[image_id])
        hits += centre_hits(boxes, truth[image_id])
        if len(truth[image_id]) > busiest[1]:
            busiest = (image_id, len(truth[image_id]), boxes)
    result = {
        "pages": len(image_ids),
        "true_boxes": n_true,
        "predicted_boxes": n_pred,
        "precision_iou50": matched / n_pred if n_pred else 0.0,
        "recall_iou50": matched / n_true if n_true else 0.0,
        "centre_hit_recall": hits / n_true if n_true else 0.0,
    }
    write_json(out / "detector.json", result)
    if busiest[0] is not None:
        page = read_image(data / "train_images" / f"{busiest[0]}.jpg")
        save_png(out / "detector_page.png", draw_boxes(page, truth[busiest[0]], busiest[2]))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="detector model.pt")
    parser.add_argument("--data", required=True, help="Kaggle-layout folder")
    parser.add_argument("--split", required=True, help="split.json: its 'holdout' pages are scored")
    parser.add_argument("--out", required=True, help="folder for detector.json and detector_page.png")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    pages = json.loads(Path(args.split).read_text())["holdout"]
    result = evaluate(Detector.load(args.model, args.device), args.data, pages, args.out)
    print(
        f"{result['pages']} held-out pages: precision {result['precision_iou50']:.4f}, recall "
        f"{result['recall_iou50']:.4f} at IoU 0.5; centre-hit recall {result['centre_hit_recall']:.4f}"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
