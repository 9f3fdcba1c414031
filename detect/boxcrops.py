"""More training crops for the recognizer: the detector's own boxes on the pages it was cropped from.

The recognizer reads crops of the detector's boxes, which are looser, tighter or shifted against
the true ones; trained on true boxes only, it reads them far worse. Every box the detector finds on
a page of a crop cache is cut like a true box and labelled with the class of the true box its centre
lies in (the competition's rule: what a point there scores as), or ``data.formats.BACKGROUND`` when
it lies in none, so the pipeline can drop such boxes. A labelled crop shares the sample id of its
true box; a background crop gets a new one. Each keeps its page's source and weight. With box
errors measured on the tune pages (``detect.boxerrors``), each true box is also cut once moved by
an error drawn from them, as a box of a book the detector never saw would be.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from data.annotations import load_train
from data.crops import RENDERS, CropSet, crop_page
from data.formats import BACKGROUND
from data.geometry import centres, points_inside
from data.infra.cli import reading_options
from data.infra.errors import DataError, run_cli
from data.infra.io import read_ahead
from detect.boxerrors import jitter
from detect.predict import Detector


def label_boxes(truth: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """For each detected (x, y, w, h) box: the index of the first true box its centre lies strictly
    inside, else -1."""
    inside = points_inside(truth, centres(boxes))
    return np.where(inside.any(axis=0), inside.argmax(axis=0), -1) if len(truth) else np.full(len(boxes), -1)


def box_crops(
    data: str | Path,
    crops: CropSet,
    detector: Detector,
    errors: np.ndarray | None = None,
    seed: int = 0,
    chunk: int = 8,
) -> CropSet:
    """Crops of the detector's boxes on the pages of ``crops`` (not its renders), labelled by the
    truth; with ``errors`` also each true box jittered by one of them (``detect.boxerrors``)."""
    data = Path(data)
    cut = np.flatnonzero(crops.sources != RENDERS)
    by_page = pd.Series(cut).groupby(crops.pages[cut], sort=False).apply(np.asarray).to_dict()
    pages = list(by_page)
    truth = load_train(data, report=False).subset(pages).page_boxes()
    images = read_ahead([data / "train_images" / f"{p}.jpg" for p in pages], ahead=2 * chunk)
    fresh = int(crops.samples.max(initial=-1)) + 1
    rng = np.random.default_rng(seed)
    parts: list[CropSet] = []
    for start in tqdm(range(0, len(pages), chunk), desc="cropping the detector's boxes", unit="chunk"):
        names = pages[start : start + chunk]
        batch = [next(images) for _ in names]
        for image_id, page, (boxes, _) in zip(names, batch, detector.detect(batch), strict=True):
            mine, known = by_page[image_id], truth[image_id]
            codes = known["unicode"].to_numpy(str)
            if not np.array_equal(codes, crops.unicodes[mine]):
                raise DataError(
                    data / "train.csv", f"page {image_id} no longer matches the crop cache; rebuild it"
                )
            true = known[["x", "y", "w", "h"]].to_numpy()
            owner = label_boxes(true, boxes)
            if errors is not None and len(errors) and len(true):
                boxes = np.concatenate(
                    [boxes, jitter(true, errors[rng.integers(len(errors), size=len(true))])]
                )
                owner = np.concatenate([owner, np.arange(len(true))])
            hit = owner >= 0
            samples = np.where(hit, crops.samples[mine][np.maximum(owner, 0)], fresh + np.cumsum(~hit) - 1)
            fresh += int((~hit).sum())
            parts.append(
                CropSet(
                    images=crop_page(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), boxes),
                    unicodes=np.array([codes[k] if k >= 0 else BACKGROUND for k in owner], dtype=str),
                    pages=np.full(len(boxes), image_id),
                    samples=samples.astype(np.int64),
                    sources=np.full(len(boxes), crops.sources[mine[0]]),
                    weights=np.full(len(boxes), crops.weights[mine[0]], np.float32),
                    source_names=crops.source_names,
                )
            )
    return CropSet.join([crops, *parts])


def main(argv: list[str] | None = None) -> int:
    options = reading_options(recognizer=False, thresholds=False)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[options])
    parser.add_argument("--crops", required=True, help="crop cache (.npz) from data.crops")
    parser.add_argument("--out", required=True, help="the cache's crops and the detector's, .npz")
    parser.add_argument(
        "--jitter", help="box errors .npy (detect.boxerrors): cut every true box once more, moved"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    crops = CropSet.load(args.crops)
    errors = np.load(args.jitter) if args.jitter else None
    joined = box_crops(args.data, crops, Detector.load(args.detector, args.device), errors, args.seed)
    joined.save(args.out)
    added = joined.unicodes[len(crops) :]
    print(
        f"wrote {args.out}: {len(crops)} crops and {len(added)} more: the detector's boxes"
        f"{' and jittered true boxes' if errors is not None else ''} "
        f"({int((added == BACKGROUND).sum())} of them on no character: {BACKGROUND})"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
