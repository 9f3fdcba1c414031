"""The competition's F1.

For each page, ground-truth boxes are taken in file order; each claims the first prediction (in
submission order) of the same unicode whose point lies strictly inside it (``x < px < x + w``,
``y < py < y + h``) and that no earlier box has claimed. Claimed predictions are true positives,
the rest false positives; boxes that claim none are false negatives. Counts are pooled over all
pages of the ground truth (a page missing from the submission predicts nothing) before
precision, recall and F1 are computed. This is the rule of Kaggle's published reference metric.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from data.annotations import read_annotations
from data.formats import read_points
from data.geometry import points_inside
from data.infra.errors import run_cli


@dataclass(frozen=True)
class Score:
    """Pooled true positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def claimable(
    truth_codes: np.ndarray,
    truth_boxes: np.ndarray,
    pred_codes: np.ndarray,
    pred_points: np.ndarray,
    inside: np.ndarray | None = None,
) -> np.ndarray:
    """(truth, predictions): which predictions each ground-truth box may claim, those of its class
    with their point inside it; ``inside``: ``points_inside(truth_boxes, pred_points)`` at hand."""
    candidates = points_inside(truth_boxes, pred_points) if inside is None else inside.copy()
    candidates &= np.asarray(truth_codes)[:, None] == np.asarray(pred_codes)[None, :]
    return candidates


def claimed(
    truth_codes: np.ndarray,
    truth_boxes: np.ndarray,
    pred_codes: np.ndarray,
    pred_points: np.ndarray,
    inside: np.ndarray | None = None,
) -> np.ndarray:
    """For one page: which predictions a ground-truth box claims (the true positives); ``inside``
    as for ``claimable``."""
    taken = np.zeros(len(pred_codes), dtype=bool)
    if len(truth_codes) == 0 or len(pred_codes) == 0:
        return taken
    candidates = claimable(truth_codes, truth_boxes, pred_codes, pred_points, inside)
    for row in np.flatnonzero(candidates.any(axis=1)):
        free = np.flatnonzero(candidates[row] & ~taken)
        if free.size:
            taken[free[0]] = True
    return taken


def true_positives(
    truth_codes: np.ndarray,
    truth_boxes: np.ndarray,
    pred_codes: np.ndarray,
    pred_points: np.ndarray,
    keep: np.ndarray,
) -> np.ndarray:
    """For one page: the true positives of ``claimed`` when only the predictions a row of ``keep``
    (k, n) marks are made, for every row at once.

    A box whose one candidate no other box can claim claims it wherever it is kept; the boxes that
    share candidates claim in file order, all rows of ``keep`` side by side."""
    tp = np.zeros(len(keep), np.int64)
    if len(truth_codes) == 0 or len(pred_codes) == 0:
        return tp
    candidates = claimable(truth_codes, truth_boxes, pred_codes, pred_points)
    per_box, per_pred = candidates.sum(1), candidates.sum(0)
    alone = (per_box == 1) & (per_pred[candidates.argmax(1)] == 1)
    tp += keep[:, candidates[alone].argmax(1)].sum(1)
    taken = np.zeros_like(keep)
    for row in np.flatnonzero(~alone & (per_box > 0)):
        cols = np.flatnonzero(candidates[row])
        free = keep[:, cols] & ~taken[:, cols]
        hit = free.any(1)
        taken[np.flatnonzero(hit), cols[free[hit].argmax(1)]] = True
        tp += hit
    return tp


def score_page(
    truth_codes: np.ndarray, truth_boxes: np.ndarray, pred_codes: np.ndarray, pred_points: np.ndarray
) -> Score:
    """Score one page: truth (codes, x/y/w/h boxes) against predictions (codes, x/y points)."""
    tp = int(claimed(truth_codes, truth_boxes, pred_codes, pred_points).sum())
    return Score(tp, len(pred_codes) - tp, len(truth_codes) - tp)


def score(truth: pd.DataFrame, truth_ids: list[str], predictions: pd.DataFrame) -> Score:
    """Pool page scores over ``truth_ids``: truth rows are boxes, prediction rows are points."""
    truth_groups = dict(tuple(truth.groupby("image_id", sort=False)))
    pred_groups = dict(tuple(predictions.groupby("image_id", sort=False)))
    total = Score()
    for image_id in truth_ids:
        t = truth_groups.get(image_id, truth.iloc[:0])
        p = pred_groups.get(image_id, predictions.iloc[:0])
        total += score_page(
            t["unicode"].to_numpy(),
            t[["x", "y", "w", "h"]].to_numpy(),
            p["unicode"].to_numpy(),
            p[["x", "y"]].to_numpy(),
        )
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Score a submission CSV against a train.csv-format answer file."
    )
    parser.add_argument(
        "--truth", required=True, help="answers in train.csv format (image_id,labels with boxes)"
    )
    parser.add_argument("--submission", required=True, help="submission CSV (image_id,labels with points)")
    args = parser.parse_args(argv)
    truth = read_annotations(args.truth)
    _, predictions = read_points(args.submission)
    result = score(truth.boxes, truth.image_ids, predictions)
    print(
        f"F1 {result.f1:.4f}  precision {result.precision:.4f}  recall {result.recall:.4f}  "
        f"(tp {result.tp}, fp {result.fp}, fn {result.fn}, {len(truth.image_ids)} pages)"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
