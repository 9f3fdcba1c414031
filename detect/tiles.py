"""How a page meets the network: a page scaled so characters have one size, cut into tiles.

Real pages are ~2,400 x 3,900 px with characters 45-200 px tall (median 88), and books differ:
one book's median is 140 px. A network sees characters best at one size, so ``derive_tiling``
scales pages to bring the median character in train.csv to ``char_px`` pixels, and cuts the
scaled page into ``imgsz`` tiles that overlap by more than the largest character, so every
character is whole in at least one tile; the tiles' boxes are merged back with NMS. The same
rule serves the embedded data and real data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
import torch
from torchvision.ops import nms


@dataclass(frozen=True)
class Tiling:
    """Network input size, page scale and tile overlap in scaled pixels."""

    imgsz: int
    scale: float
    overlap: int

    def windows(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """Tiles (x0, y0, x1, y1) covering a page already scaled to ``height`` x ``width``."""

        def starts(length: int) -> list[int]:
            if length <= self.imgsz:
                return [0]
            step = self.imgsz - self.overlap
            points = list(range(0, length - self.imgsz, step))
            return [*points, length - self.imgsz]

        return [
            (x, y, min(x + self.imgsz, width), min(y + self.imgsz, height))
            for y in starts(height)
            for x in starts(width)
        ]

    def as_dict(self) -> dict:
        return asdict(self)


def derive_tiling(widths: np.ndarray, heights: np.ndarray, imgsz: int, char_px: float) -> Tiling:
    """The tiling that brings the median box height to ``char_px`` pixels.

    The overlap covers the 99th-percentile box side (scaled) with a quarter to spare, in steps
    of 8 px, at least 16 px and at most half a tile.
    """
    if not len(heights):
        raise ValueError("no boxes to measure character size from")
    scale = round(float(char_px / np.median(heights)), 4)
    longest = float(np.percentile(np.maximum(widths, heights), 99)) * scale * 1.25
    overlap = int(min(max(16, 8 * np.ceil(longest / 8)), imgsz // 2))
    return Tiling(imgsz, scale, overlap)


def scaled(page: np.ndarray, scale: float) -> np.ndarray:
    """The page resized by ``scale`` (area interpolation when shrinking)."""
    if scale == 1:
        return page
    size = (max(1, round(page.shape[1] * scale)), max(1, round(page.shape[0] * scale)))
    return cv2.resize(page, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def boxes_in_window(
    boxes: np.ndarray, window: tuple[int, int, int, int], min_visible: float = 0.5
) -> np.ndarray:
    """(x0, y0, x1, y1) boxes clipped to a window, in its coordinates; boxes mostly outside are dropped."""
    x0, y0, x1, y1 = window
    clipped = np.stack(
        [
            np.clip(boxes[:, 0], x0, x1),
            np.clip(boxes[:, 1], y0, y1),
            np.clip(boxes[:, 2], x0, x1),
            np.clip(boxes[:, 3], y0, y1),
        ],
        axis=1,
    )
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    visible = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = (visible >= min_visible * np.maximum(area, 1e-6)) & (visible > 0)
    return clipped[keep] - [x0, y0, x0, y0]


def merge_tiles(
    parts: list[tuple[np.ndarray, np.ndarray]],
    windows: list[tuple[int, int, int, int]],
    width: int,
    height: int,
    iou: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Tile detections → page detections: drop boxes cut by an inner tile edge, then NMS.

    Overlap exceeds the largest character, so a character cut by one tile's inner edge is whole
    in a neighbouring tile.
    """
    all_boxes, all_scores = [], []
    for (boxes, scores), (x0, y0, x1, y1) in zip(parts, windows, strict=True):
        margin = 2
        cut = (
            ((boxes[:, 0] <= margin) & (x0 > 0))
            | ((boxes[:, 1] <= margin) & (y0 > 0))
            | ((boxes[:, 2] >= x1 - x0 - margin) & (x1 < width))
            | ((boxes[:, 3] >= y1 - y0 - margin) & (y1 < height))
        )
        all_boxes.append(boxes[~cut] + [x0, y0, x0, y0])
        all_scores.append(scores[~cut])
    boxes = np.concatenate(all_boxes) if all_boxes else np.zeros((0, 4), np.float32)
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0, np.float32)
    if len(windows) > 1 and len(boxes):
        keep = nms(torch.from_numpy(boxes).float(), torch.from_numpy(scores).float(), iou).numpy()
        keep.sort()
        boxes, scores = boxes[keep], scores[keep]
    return boxes, scores
