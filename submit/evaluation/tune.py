"""Choose the pipeline's thresholds for the competition F1 on the tune pages, which neither model trained on.

The pipeline reads the tune pages (``data.split.tune_pages``) once at the lowest detector
confidence, with views every box in every view (``submit.views``). Every pair of a detector
confidence and a recognizer probability on a grid then keeps its readings, and the pair with the
highest F1 wins (ties: the lower thresholds). With views, each gate on a grid of first-view
probabilities mixes the readings as if only the boxes first read below it got the other views,
and the lowest gate that keeps the asked share of the views' gain is chosen. Writes
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
from data.formats import BACKGROUND
from data.infra.cli import reading_options
from data.infra.errors import run_cli, warn
from data.split import tune_pages
from recognize.plots import plt, save
from submit.metric import true_positives
from submit.pipeline import PageReading, Pipeline, Thresholds

CONFS = np.round(np.arange(0.05, 0.751, 0.05), 2)
PROBS = np.round(np.arange(0.0, 0.951, 0.05), 2)
GATES = np.round(np.arange(0.0, 0.951, 0.05), 2)  # the other views below this first probability


def grid_f1(truth: pd.DataFrame, readings: list[PageReading], gates: np.ndarray = GATES[:1]) -> np.ndarray:
    """F1 over the tune pages of every (gate, CONFS[i], PROBS[j]): (len(gates) + 1, len(CONFS),
    len(PROBS)). A gate reads the other views of the boxes whose first probability is below it
    (the readings have every box in every view); the last row reads every box in every view.
    All pairs are scored in one pass over each page (``submit.metric.true_positives``)."""
    pages = dict(tuple(truth.groupby("image_id", sort=False)))
    tp = np.zeros((len(gates) + 1, len(CONFS) * len(PROBS)), np.int64)
    kept = np.zeros_like(tp)
    pairs = np.array([(c, p) for c in CONFS for p in PROBS])
    for r in readings:
        page = pages.get(r.image_id, truth.iloc[:0])
        codes, boxes = page["unicode"].to_numpy(), page[["x", "y", "w", "h"]].to_numpy()
        for g, gate in enumerate([*gates, np.inf]):
            viewed = r.first_probs < gate
            unicodes = np.where(viewed, r.unicodes, r.first_unicodes)
            probs = np.where(viewed, r.probs, r.first_probs)
            keep = (
                (r.scores[None] >= pairs[:, :1])
                & (probs[None] >= pairs[:, 1:])
                & (unicodes != BACKGROUND)[None]
            )
            tp[g] += true_positives(codes, boxes, unicodes, r.points, keep)
            kept[g] += keep.sum(1)
    fp, fn = kept - tp, len(truth) - tp
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return f1.reshape(len(gates) + 1, len(CONFS), len(PROBS))


def best(f1: np.ndarray) -> Thresholds:
    """The pair of the highest F1 on a (CONFS, PROBS) grid; of equals, the lowest confidence, then
    probability."""
    i, j = np.unravel_index(int(np.argmax(f1)), f1.shape)
    return Thresholds(float(CONFS[i]), float(PROBS[j]))


def gate(f1: np.ndarray, share: float) -> int:
    """The row of ``grid_f1`` to read with: the lowest gate whose best F1 keeps ``share`` of the
    gain of every view over none (``share`` 1 or more: every box in every view; no gain: no
    views)."""
    if share >= 1:
        return len(f1) - 1
    peaks = f1.reshape(len(f1), -1).max(1)
    gain = peaks[-1] - peaks[0]
    if gain <= 0:
        return 0
    return int(np.flatnonzero(peaks >= peaks[0] + share * gain)[0])


def tune(
    data: str | Path,
    split: str | Path,
    detector: str | Path,
    recognizer: str | Path,
    out: str | Path,
    device: str,
    tta: bool = False,
    share: float = 1.0,
) -> dict:
    """Read the tune pages (with ``tta``, every box in several views: ``submit.views``), choose the
    thresholds and, keeping ``share`` of the views' gain, the boxes that get the other views
    (``gate``); write thresholds.json and tune.png in ``out``."""
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
    f1 = grid_f1(truth.boxes, readings, GATES if tta else GATES[:0])
    row = gate(f1, share) if tta else 0
    unsure = None if not tta or row == len(f1) - 1 else float(GATES[row])
    chosen = replace(best(f1[row]), tta=tta, unsure=unsure)
    i, j = list(CONFS).index(chosen.conf), list(PROBS).index(chosen.prob)
    first = np.concatenate([r.first_probs for r in readings])
    details = {
        "tune_pages": len(truth.image_ids),
        "tune_characters": len(truth.boxes),
        "tune_f1": float(f1[row, i, j]),
        "tune_f1_at_defaults": float(f1[-1, list(CONFS).index(Thresholds().conf), 0]),
        "tune_f1_no_views": float(f1[0].max()),
        "tune_f1_every_view": float(f1[-1].max()),
        "viewed_share": below(first, np.inf if unsure is None else unsure) if tta else 0.0,
    }
    chosen.save(out / "thresholds.json", **details)
    plot(f1, row, chosen, first if tta else None, out / "tune.png")
    return {**asdict(chosen), **details}


def below(first: np.ndarray, gate: float) -> float:
    """The share of boxes whose first probability is below the gate (0 of none)."""
    return float((first < gate).mean()) if len(first) else 0.0


def plot(f1: np.ndarray, row: int, chosen: Thresholds, first: np.ndarray | None, path: Path) -> None:
    """The F1 over the (confidence, probability) grid at the chosen gate as a heat map, the chosen
    pair marked; with views, beside it the best F1 and the share of boxes viewed per gate."""
    fig, axes = plt.subplots(1, 2 if first is not None else 1, figsize=(14 if first is not None else 8, 5))
    ax = axes[0] if first is not None else axes
    shown = ax.imshow(f1[row], origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(PROBS)), [f"{p:.2f}" for p in PROBS], rotation=90)
    ax.set_yticks(range(len(CONFS)), [f"{c:.2f}" for c in CONFS])
    ax.set_xlabel("recognizer probability at least")
    ax.set_ylabel("detector confidence at least")
    ax.plot(list(PROBS).index(chosen.prob), list(CONFS).index(chosen.conf), "r*", markersize=14)
    ax.set_title(
        f"F1 on the tune pages: {f1[row].max():.4f} at confidence {chosen.conf}, probability {chosen.prob}"
    )
    fig.colorbar(shown, ax=ax, label="F1")
    if first is not None:
        gates = [*GATES, 1.0]
        side = axes[1]
        side.plot(gates, f1.reshape(len(f1), -1).max(1), "o-", label="best F1")
        side.plot(
            gates, [below(first, g if g < 1 else np.inf) for g in gates], "s--", label="share of boxes viewed"
        )
        side.axvline(
            gates[row], color="r", label=f"chosen: {'every box' if chosen.unsure is None else chosen.unsure}"
        )
        side.set_xlabel("other views for boxes whose first probability is below")
        side.legend()
    save(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], parents=[reading_options(thresholds=False)]
    )
    parser.add_argument("--split", required=True, help="split.json from data.split")
    parser.add_argument("--out", required=True, help="folder for thresholds.json and tune.png")
    parser.add_argument("--tta", action="store_true", help="read several views of each box (submit.views)")
    parser.add_argument(
        "--share",
        type=float,
        default=1.0,
        help="with --tta, the other views only for unsure boxes, keeping this share of their F1 gain",
    )
    args = parser.parse_args(argv)
    result = tune(
        args.data, args.split, args.detector, args.recognizer, args.out, args.device, args.tta, args.share
    )
    print(
        f"thresholds: detector confidence {result['conf']}, recognizer probability {result['prob']}"
        + (
            (
                ", several views of each box"
                if result["unsure"] is None
                else f", several views of the boxes first read below {result['unsure']}"
            )
            if result["tta"]
            else ""
        )
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
