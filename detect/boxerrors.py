"""The detector's box errors on pages it never trained on, to jitter training crops by.

On the tune pages (``data.split.tune_pages``) every true box that owns exactly one detected centre
gives the detected box's four edge offsets, relative to the true box's width and height:
(x0, y0, x1, y1) of the detected box minus those of the true one, over w, h, w, h. On its own
training pages the detector's boxes fit far better than on new books, so crops of those alone
would not teach the recognizer the loose and merged boxes it meets on held-out pages;
``jitter`` cuts true boxes moved by offsets drawn from these (none when the detector found nothing).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from data.annotations import load_train
from data.geometry import centre_owner, xyxy
from data.infra.cli import reading_options
from data.infra.errors import run_cli, warn
from data.infra.io import atomic_path, read_ahead
from data.split import tune_pages
from detect.predict import Detector


def relative_errors(truth: np.ndarray, detected: np.ndarray) -> np.ndarray:
    """Edge offsets (n, 4) of matched (x, y, w, h) box pairs over the true box's w, h, w, h."""
    return (xyxy(detected) - xyxy(truth)) / sides(truth)


def jitter(boxes: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """(x, y, w, h) boxes with each edge moved by its relative offset; at least 1 px wide and tall."""
    ends = np.round(xyxy(boxes) + np.asarray(errors) * sides(boxes))
    x0, y0 = ends[:, 0], ends[:, 1]
    x1, y1 = np.maximum(ends[:, 2], x0 + 1), np.maximum(ends[:, 3], y0 + 1)
    return np.column_stack([x0, y0, x1 - x0, y1 - y0]).astype(np.int64)


def sides(boxes: np.ndarray) -> np.ndarray:
    """(w, h, w, h) of (x, y, w, h) boxes: the scale of each corner coordinate."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return boxes[:, [2, 3, 2, 3]]


def measure(data: str | Path, split: str | Path, detector: Detector) -> np.ndarray:
    """The detector's relative box errors on the split's tune pages."""
    data = Path(data)
    truth = load_train(data, report=False).subset(tune_pages(json.loads(Path(split).read_text())))
    pages = truth.page_boxes()
    images = read_ahead([data / "train_images" / f"{i}.jpg" for i in truth.image_ids])
    found = []
    for image_id, (boxes, _) in zip(truth.image_ids, detector.detect(images), strict=True):
        true = pages[image_id][["x", "y", "w", "h"]].to_numpy()
        owner = centre_owner(boxes, true)
        found.append(relative_errors(true[owner >= 0], boxes[owner[owner >= 0]]))
    return np.concatenate(found) if found else np.zeros((0, 4))


def main(argv: list[str] | None = None) -> int:
    options = reading_options(recognizer=False, thresholds=False)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[options])
    parser.add_argument("--split", required=True, help="split.json: its tune pages are measured")
    parser.add_argument("--out", required=True, help=".npy of (n, 4) relative edge offsets")
    args = parser.parse_args(argv)
    errors = measure(args.data, args.split, Detector.load(args.detector, args.device))
    with atomic_path(args.out) as tmp, tmp.open("wb") as f:
        np.save(f, errors)
    if not len(errors):
        warn(f"{args.split}: the detector found no character of the tune pages, so no true box is jittered")
        return 0
    off = np.abs(errors).max(axis=1) > 0.25
    print(
        f"wrote {args.out}: box errors of {len(errors)} detected characters on the tune pages; "
        f"{off.mean():.1%} have an edge off by more than a quarter of the box"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
