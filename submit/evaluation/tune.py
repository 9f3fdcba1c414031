"""Choose the pipeline's thresholds for the competition F1 on the tune pages, which neither model trained on.

The pipeline reads the tune pages (``data.split.tune_pages``) once at the lowest detector
confidence; every pair of a detector confidence and a recognizer probability on a grid then keeps
its readings, and the pair with the highest F1 wins (ties: the lower thresholds). Writes
thresholds.json, which ``submit.evaluation.evaluate``, ``submit.predict`` and ``submit.reading.read``
take, and tune.png, the F1 over the grid. The held-out books play no part.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from data.annotations import load_train
from data.infra.cli import reading_options
from data.infra.errors import run_cli, warn
from data.split import tune_pages
from recognize.plots import plt, save
from submit.metric import score
from submit.pipeline import Pipeline, Thresholds, points_frame

CONFS = np.round(np.arange(0.05, 0.751, 0.05), 2)
PROBS = np.round(np.arange(0.0, 0.951, 0.05), 2)


def grid_f1(truth: pd.DataFrame, pages: list[str], points: pd.DataFrame) -> np.ndarray:
    """F1 of the points kept by each (CONFS[i], PROBS[j]) pair: (len(CONFS), len(PROBS))."""
    f1 = np.zeros((len(CONFS), len(PROBS)))
    for i, conf in enumerate(CONFS):
        for j, prob in enumerate(PROBS):
            f1[i, j] = score(truth, pages, points[(points["conf"] >= conf) & (points["prob"] >= prob)]).f1
    return f1


def best(f1: np.ndarray) -> Thresholds:
    """The pair of the highest F1 on the grid; of equals, the lowest confidence, then probability."""
    i, j = np.unravel_index(int(np.argmax(f1)), f1.shape)
    return Thresholds(float(CONFS[i]), float(PROBS[j]))


def tune(
    data: str | Path,
    split: str | Path,
    detector: str | Path,
    recognizer: str | Path,
    out: str | Path,
    device: str,
    tta: bool = False,
) -> dict:
    """Read the tune pages (with ``tta``, several views of each box: ``submit.views``), choose the
    thresholds, write thresholds.json and tune.png in ``out``."""
    data, out = Path(data), Path(out)
    pages = tune_pages(json.loads(Path(split).read_text()))
    truth = load_train(data, report=False).subset(pages)
    if not truth.image_ids or truth.boxes.empty:
        warn(f"{split}: no annotated tune pages, so the thresholds stay at their defaults")
        chosen = Thresholds(tta=tta)
        chosen.save(out / "thresholds.json", tune_pages=0)
        return {**asdict(chosen), "tune_pages": 0}
    pipeline = Pipeline.load(detector, recognizer, device, Thresholds(conf=float(CONFS[0]), tta=tta))
    readings = list(
        pipeline.read([data / "train_images" / f"{i}.jpg" for i in truth.image_ids], "reading tune pages")
    )
    f1 = grid_f1(truth.boxes, truth.image_ids, points_frame(readings))
    chosen = replace(best(f1), tta=tta)
    i, j = list(CONFS).index(chosen.conf), list(PROBS).index(chosen.prob)
    default = f1[list(CONFS).index(Thresholds().conf), 0]
    details = {
        "tune_pages": len(truth.image_ids),
        "tune_characters": len(truth.boxes),
        "tune_f1": float(f1[i, j]),
        "tune_f1_at_defaults": float(default),
    }
    chosen.save(out / "thresholds.json", **details)
    plot(f1, chosen, out / "tune.png")
    return {**asdict(chosen), **details}


def plot(f1: np.ndarray, chosen: Thresholds, path: Path) -> None:
    """The F1 over the grid as a heat map, the chosen pair marked."""
    fig, ax = plt.subplots(figsize=(8, 5))
    shown = ax.imshow(f1, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(PROBS)), [f"{p:.2f}" for p in PROBS], rotation=90)
    ax.set_yticks(range(len(CONFS)), [f"{c:.2f}" for c in CONFS])
    ax.set_xlabel("recognizer probability at least")
    ax.set_ylabel("detector confidence at least")
    ax.plot(list(PROBS).index(chosen.prob), list(CONFS).index(chosen.conf), "r*", markersize=14)
    ax.set_title(
        f"F1 on the tune pages: {f1.max():.4f} at confidence {chosen.conf}, probability {chosen.prob}"
    )
    fig.colorbar(shown, ax=ax, label="F1")
    save(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], parents=[reading_options(thresholds=False)]
    )
    parser.add_argument("--split", required=True, help="split.json from data.split")
    parser.add_argument("--out", required=True, help="folder for thresholds.json and tune.png")
    parser.add_argument("--tta", action="store_true", help="read several views of each box (submit.views)")
    args = parser.parse_args(argv)
    result = tune(args.data, args.split, args.detector, args.recognizer, args.out, args.device, args.tta)
    print(
        f"thresholds: detector confidence {result['conf']}, recognizer probability {result['prob']}"
        + (", several views of each box" if result["tta"] else "")
        + (
            f"; F1 on {result['tune_pages']} tune pages {result['tune_f1']:.4f} "
            f"(at the defaults {result['tune_f1_at_defaults']:.4f})"
            if result["tune_pages"]
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
