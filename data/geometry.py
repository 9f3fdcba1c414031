"""Box geometry shared by every stage: boxes are x, y, w, h in page pixels, points are x, y.

The rule for "a point is in a box" is the competition's: strictly inside (``x < px < x + w``).
"""

from __future__ import annotations

import numpy as np


def xyxy(boxes: np.ndarray) -> np.ndarray:
    """x, y, w, h boxes as float x0, y0, x1, y1 corners."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]])


def centres(boxes: np.ndarray) -> np.ndarray:
    """Integer centre points (x + w // 2, y + h // 2) of x/y/w/h boxes: the points a submission holds."""
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    return np.column_stack([boxes[:, 0] + boxes[:, 2] // 2, boxes[:, 1] + boxes[:, 3] // 2])


def clip_boxes(values: np.ndarray, limits: np.ndarray | None = None) -> np.ndarray:
    """Clip (x, y, w, h) boxes at 0 and, given each box's page (width, height), at the far edges.

    A box that is empty or wholly outside the page comes back with w <= 0 or h <= 0.
    """
    x0, y0 = np.maximum(values[:, 0], 0), np.maximum(values[:, 1], 0)
    x1, y1 = values[:, 0] + values[:, 2], values[:, 1] + values[:, 3]
    if limits is not None:
        x1, y1 = np.minimum(x1, limits[:, 0]), np.minimum(y1, limits[:, 1])
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)


def points_inside(boxes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(n boxes x, y, w, h) × (m points x, y) → n×m bool: the point lies strictly inside the box."""
    boxes = np.asarray(boxes).reshape(-1, 4)
    points = np.asarray(points).reshape(-1, 2)
    x0, y0 = boxes[:, 0:1], boxes[:, 1:2]
    x1, y1 = x0 + boxes[:, 2:3], y0 + boxes[:, 3:4]
    px, py = points[None, :, 0], points[None, :, 1]
    return (x0 < px) & (px < x1) & (y0 < py) & (py < y1)


def iou_matches(pred: np.ndarray, scores: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> int:
    """Greedy one-to-one matches (highest score first) of x/y/w/h boxes with IoU ≥ threshold."""
    if not len(pred) or not len(truth):
        return 0
    import torch  # here, so that reading train.csv (data.annotations) does not load torch
    from torchvision.ops import box_iou

    iou = box_iou(torch.from_numpy(xyxy(pred)), torch.from_numpy(xyxy(truth))).numpy()
    free = np.ones(len(truth), bool)
    matched = 0
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        candidates = np.where(free & (iou[k] >= threshold), iou[k], -1)
        best = int(candidates.argmax())
        if candidates[best] >= threshold:
            free[best] = False
            matched += 1
    return matched


def centre_owner(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per true box: the one predicted box whose centre lies strictly inside it, else -1 (none or several)."""
    return single_owner(points_inside(truth, centres(pred)))


def single_owner(inside: np.ndarray) -> np.ndarray:
    """Per row of a (boxes, points) inside-matrix: the one point inside, else -1 (none or several)."""
    owner = np.full(len(inside), -1, np.int64)
    single = inside.sum(axis=1) == 1
    if single.any():
        owner[single] = inside[single].argmax(axis=1)
    return owner
