"""The views of a box the recognizer reads (test-time augmentation), their probabilities averaged.

The detector's boxes miss the true ones by a few percent of their size (``detect.boxerrors``), so
besides the box as found the recognizer may read it 5 % larger and 5 % smaller on every side, and
moved by 5 % of its width or height left, right, up and down (``recipe.tta``; ``make ablation``
measures what the views are worth). The other views may be read only for the boxes whose first
reading is unsure: below a probability chosen on the tune pages (``submit.evaluation.tune``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from data.crops import crop_pages
from detect.boxerrors import jitter
from recognize.predict import Recognizer

# Edge offsets (x0, y0, x1, y1) over the box's (w, h, w, h), after the box as found.
VIEWS = np.array(
    [
        (-0.05, -0.05, 0.05, 0.05),
        (0.05, 0.05, -0.05, -0.05),
        (0.05, 0.0, 0.05, 0.0),
        (-0.05, 0.0, -0.05, 0.0),
        (0.0, 0.05, 0.0, 0.05),
        (0.0, -0.05, 0.0, -0.05),
    ]
)


def other_views(boxes: np.ndarray) -> np.ndarray:
    """(len(VIEWS), n, 4) boxes: each of the (n, 4) boxes in every view but the box as found."""
    return np.stack([jitter(boxes, view) for view in VIEWS]).reshape(len(VIEWS), -1, 4)


@dataclass
class Characters:
    """What the recognizer read in the boxes of one page."""

    unicodes: np.ndarray  # (n,) the likeliest class of each box
    probs: np.ndarray  # (n,)
    first_unicodes: np.ndarray  # (n,) the reading of the box as found alone
    first_probs: np.ndarray  # (n,)
    candidates: np.ndarray | None = None  # (n, top) likeliest classes, best first
    candidate_probs: np.ndarray | None = None


@torch.inference_mode()
def read_characters(
    recognizer: Recognizer,
    grays: list[np.ndarray],
    boxes: list[np.ndarray],
    tta: bool = False,
    unsure: float | None = None,
    top: int = 1,
    seconds: Counter[str] | None = None,
) -> list[Characters]:
    """Read the (n, 4) boxes of each gray page, batched across the pages: each box as found and,
    with ``tta``, in the other views too, its probabilities averaged over all of them; ``unsure``:
    only the boxes whose first reading's probability is below it get the other views. ``top`` > 1:
    the candidates too. ``seconds`` adds up the time spent cutting crops and classifying them."""
    clock, seconds = time.perf_counter(), Counter() if seconds is None else seconds

    def lap(stage: str) -> None:
        nonlocal clock
        seconds[stage] += time.perf_counter() - clock
        clock = time.perf_counter()

    crops = crop_pages(grays, boxes)
    lap("crop+binarize")
    probs = recognizer.probabilities(np.concatenate([np.zeros((0, 32, 32), np.uint8), *crops]))
    first_codes, first_probs = recognizer.decode(probs)
    viewed = tta & (first_probs < (np.inf if unsure is None else unsure))
    offsets = np.cumsum([0, *map(len, boxes)])
    parts = [slice(offsets[k], offsets[k + 1]) for k in range(len(boxes))]
    lap("classify")
    if viewed.any():
        more = crop_pages(
            grays, [other_views(np.asarray(b)[viewed[p]]) for b, p in zip(boxes, parts, strict=True)]
        )
        lap("crop+binarize")
        rows = torch.from_numpy(np.flatnonzero(viewed)).to(probs.device)
        mean = recognizer.probabilities(np.concatenate(more, axis=1))
        probs[rows] = (probs[rows] + len(VIEWS) * mean) / (len(VIEWS) + 1)
    codes, best = recognizer.decode(probs)
    ranked = recognizer.decode(probs, top) if top > 1 else (None, None)
    lap("classify")
    return [
        Characters(
            codes[p],
            best[p],
            first_codes[p],
            first_probs[p],
            *(None if r is None else r[p] for r in ranked),
        )
        for p in parts
    ]
