"""Where the F1 is lost on held-out pages: missed characters, spurious boxes, and wrong classes by
how often the class was in the training pages; and the recognizer on the true boxes beside the
boxes the detector found (a gap between the two is the boxes' fault, not the books').
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from data.geometry import centre_owner, centres, points_inside
from data.infra.io import read_image
from recognize.predict import Recognizer
from submit.pipeline import PageReading
from submit.views import crop_views

BUCKETS = ((0, "never"), (1, "once"), (9, "2-9"), (99, "10-99"), (None, "100+"))  # (most, name)


def bucket(count: int) -> str:
    """The training-count bucket of a class seen ``count`` times."""
    return next(name for most, name in BUCKETS if most is None or count <= most)


def page_losses(reading: PageReading, page: pd.DataFrame, counts: Mapping[str, int]) -> Counter:
    """Counts for one page: ``missed`` true boxes (no single detected centre inside), ``spurious``
    detections (centre in no true box), and per bucket the ``found`` and ``wrong`` characters."""
    boxes, codes = page[["x", "y", "w", "h"]].to_numpy(), page["unicode"].to_numpy()
    owner = centre_owner(reading.boxes, boxes)
    lost = Counter(missed=int((owner < 0).sum()))
    lost["spurious"] = int((~points_inside(boxes, centres(reading.boxes)).any(axis=0)).sum())
    for k in np.flatnonzero(owner >= 0):
        name = bucket(counts.get(codes[k], 0))
        lost[f"found {name}"] += 1
        lost[f"wrong {name}"] += int(reading.unicodes[owner[k]] != codes[k])
    return lost


def shortfall(
    readings: list[PageReading], pages: Mapping[str, pd.DataFrame], counts: Mapping[str, int]
) -> dict:
    """The losses of all pages, with the recognizer's accuracy on found characters per bucket."""
    lost = sum((page_losses(r, pages[r.image_id], counts) for r in readings), Counter())
    by_bucket = {
        name: {
            "found": lost[f"found {name}"],
            "wrong": lost[f"wrong {name}"],
            "accuracy": 1 - lost[f"wrong {name}"] / lost[f"found {name}"] if lost[f"found {name}"] else None,
        }
        for _, name in BUCKETS
    }
    return {"missed": lost["missed"], "spurious": lost["spurious"], "by_training_count": by_bucket}


def accuracy_on_true_boxes(
    recognizer: Recognizer,
    images: Path,
    pages: Mapping[str, pd.DataFrame],
    found: Mapping[str, np.ndarray] | None = None,
    tta: bool = False,
) -> tuple[float, float]:
    """The recognizer's accuracy on crops cut from the true boxes of these pages (read one at a
    time, as the pipeline reads its boxes: with ``tta``, several views of each): on all of them,
    and on those ``found`` marks (per page, e.g. the detector's centre hits), which compares with
    its accuracy on the detected boxes of the same characters."""
    right = total = right_found = total_found = 0
    for image_id, page in pages.items():
        if len(page):
            gray = read_image(images / f"{image_id}.jpg", gray=True)
            codes, _ = recognizer.predict(crop_views(gray, page[["x", "y", "w", "h"]].to_numpy(), tta))
            correct = codes == page["unicode"].to_numpy()
            hit = np.zeros(len(page), bool) if found is None else found[image_id]
            right, total = right + int(correct.sum()), total + len(page)
            right_found, total_found = right_found + int(correct[hit].sum()), total_found + int(hit.sum())
    return right / max(total, 1), right_found / max(total_found, 1)
