"""A page's reading matched to its truth once, for every figure of an evaluation: the detector's
centre hits, the competition's true positives, and which true boxes hold which read points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.geometry import points_inside, single_owner
from submit.metric import Score, claimed
from submit.pipeline import PageReading


@dataclass(frozen=True)
class PageMatch:
    """One page's reading against its true boxes (in file order)."""

    codes: np.ndarray  # (t,) true unicodes
    boxes: np.ndarray  # (t, 4) true x, y, w, h
    owner: np.ndarray  # (t,) the one read box whose centre lies in each true box, else -1
    inside: np.ndarray  # (t, n) the read box's centre lies in the true box
    claimed: np.ndarray  # (n,) true positives by the competition's rule (``submit.metric``)

    @classmethod
    def of(cls, reading: PageReading, truth: pd.DataFrame) -> PageMatch:
        codes, boxes = truth["unicode"].to_numpy(), truth[["x", "y", "w", "h"]].to_numpy()
        inside = points_inside(boxes, reading.points)
        hits = claimed(codes, boxes, reading.unicodes, reading.points, inside)
        return cls(codes, boxes, single_owner(inside), inside, hits)

    @property
    def hits(self) -> np.ndarray:
        """(t,) the true boxes the detector found: exactly one read centre inside."""
        return self.owner >= 0

    @property
    def score(self) -> Score:
        tp = int(self.claimed.sum())
        return Score(tp, len(self.claimed) - tp, len(self.codes) - tp)
