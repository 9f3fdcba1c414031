"""The views of a box the recognizer reads (test-time augmentation), their probabilities averaged.

The detector's boxes miss the true ones by a few percent of their size (``detect.boxerrors``), so
besides the box as found the recognizer may read it 5 % larger and 5 % smaller on every side, and
moved by 5 % of its width or height left, right, up and down (``recipe.tta``; ``make ablation``
measures what the views are worth).
"""

from __future__ import annotations

import numpy as np

from data.crops import crop_page
from detect.boxerrors import jitter

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


def crop_views(gray: np.ndarray, boxes: np.ndarray, tta: bool) -> np.ndarray:
    """Crops of the (x, y, w, h) boxes of a gray page: (n, 32, 32), or with ``tta`` (views, n, 32, 32),
    the box as found first; ``recognize.predict.Recognizer.predict`` averages over the views."""
    crops = crop_page(gray, boxes)
    if not tta:
        return crops
    moved = [crop_page(gray, jitter(boxes, view)) for view in VIEWS]
    return np.stack([crops, *moved])
