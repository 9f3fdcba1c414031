"""Reading order of a page's characters: columns right to left, characters top to bottom.

Side readings first: a character much smaller than a neighbour and just right of it (furigana)
is left out of the text. The rest is cut into blocks (an XY cut): a gap in the boxes' horizontal
coverage much wider than the gaps between columns is a gutter (a two-page spread: the right page
is read first); a gap across a whole block, either crossed by several columns or much wider than
the gaps between characters, is a break between rows of a table (the top one first).
Each block's columns come from ``submit.reading.columns``, which copes with slanted, wavy and ragged
columns. Lengths are in units of the page's median character size ``s`` (the median of the
boxes' larger sides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from submit.reading.columns import LINK_GAP, block_columns, line_spacing

SIDE_SIZE = 0.6  # a side reading is smaller than this share of s and of the character beside it ...
SIDE_REACH = 0.5  # ... and starts within this share of that character's width past its right edge
GUTTER = 1.5  # a horizontal gap this many s wide, and ...
GUTTER_RATIO = 2.0  # ... this many times the median gap between columns, splits a spread
ROW_BREAK = 0.6  # a vertical gap this many s tall across a whole block splits rows where ...
ROW_COLUMNS = 3  # ... this many columns go on across it, or ...
ROW_RATIO = 2.0  # ... it is this many times the median gap between characters in a column


@dataclass
class PageOrder:
    """A page's characters in reading order: box indices column by column, and the side readings."""

    columns: list[np.ndarray]
    side: np.ndarray

    @property
    def sequence(self) -> np.ndarray:
        """Box indices in reading order (side readings left out)."""
        return np.concatenate(self.columns) if self.columns else np.zeros(0, np.int64)

    def column_of(self, n: int) -> np.ndarray:
        """Per box: its column (0 is read first), or -1 for a side reading."""
        column = np.full(n, -1, np.int64)
        for k, members in enumerate(self.columns):
            column[members] = k
        return column

    def text(self, chars: Sequence[str]) -> str:
        """The transcription: each column's characters top to bottom, a line break between columns."""
        return "\n".join("".join(chars[i] for i in members) for members in self.columns)


def reading_order(boxes: np.ndarray) -> PageOrder:
    """The reading order of a page's x, y, w, h boxes."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not len(boxes):
        return PageOrder([], np.zeros(0, np.int64))
    size = float(np.median(boxes[:, 2:].max(axis=1)))
    side = side_readings(boxes, size)
    columns: list[np.ndarray] = []
    for block in blocks(boxes, np.flatnonzero(~side), size):
        columns += block_columns(boxes, block, size)
    return PageOrder(columns, np.flatnonzero(side))


def side_readings(boxes: np.ndarray, size: float) -> np.ndarray:
    """Boxes much smaller than the page's characters and than a box whose right edge they sit on."""
    x, y, w, h = boxes.T
    big = boxes[:, 2:].max(axis=1)
    small = (big[:, None] < SIDE_SIZE * big[None, :]) & (big[:, None] < SIDE_SIZE * size)  # [i, j]
    right_edge = x + w
    beside = (x[:, None] >= right_edge[None, :] - 0.1 * w[None, :]) & (
        x[:, None] <= right_edge[None, :] + SIDE_REACH * w[None, :]
    )
    cy = y + h / 2
    level = (cy[:, None] >= y[None, :]) & (cy[:, None] <= (y + h)[None, :])
    return (small & beside & level).any(axis=1)


def gaps(starts: np.ndarray, ends: np.ndarray) -> list[tuple[float, float]]:
    """The uncovered intervals between the union of [start, end) intervals."""
    order = np.argsort(starts, kind="stable")
    found, reach = [], ends[order[0]]
    for k in order[1:]:
        if starts[k] > reach:
            found.append((float(reach), float(starts[k])))
        reach = max(reach, ends[k])
    return found


def split(members: np.ndarray, lo: np.ndarray, hi: np.ndarray, cuts: list[tuple]) -> list[np.ndarray]:
    """Members grouped by which of the cut intervals' sides their [lo, hi) lies on, in ascending order."""
    edges = np.array([(a + b) / 2 for a, b in cuts])
    part = np.searchsorted(edges, (lo[members] + hi[members]) / 2)
    return [members[part == k] for k in range(len(cuts) + 1)]


def blocks(boxes: np.ndarray, members: np.ndarray, size: float) -> list[np.ndarray]:
    """The members cut at gutters (right block first) and at row breaks (top first), recursively."""
    if len(members) < 2:
        return [members] if len(members) else []
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    between = gaps(x0[members], x1[members])
    widths = np.array([b - a for a, b in between])
    typical = float(np.median(widths)) if len(widths) else 0.0
    wide = max(GUTTER * size, GUTTER_RATIO * typical)
    cuts = [g for g, d in zip(between, widths, strict=True) if d >= wide]
    if cuts:
        return [b for part in split(members, x0, x1, cuts)[::-1] for b in blocks(boxes, part, size)]
    cuts = [g for g in gaps(y0[members], y1[members]) if g[1] - g[0] >= ROW_BREAK * size]
    if cuts:
        own, spacing = boxes[members], ROW_RATIO * line_spacing(boxes[members], size)
        cuts = [g for g in cuts if crossings(own, g, size) >= ROW_COLUMNS or g[1] - g[0] >= spacing]
    if not cuts:
        return [members]
    return [b for part in split(members, y0, y1, cuts) for b in blocks(boxes, part, size)]


def crossings(boxes: np.ndarray, gap: tuple[float, float], size: float) -> int:
    """How many columns go on across the gap: a box ends just above it and one starts just below, lined up."""
    y0, y1 = boxes[:, 1], boxes[:, 1] + boxes[:, 3]
    above = boxes[(y1 <= gap[0]) & (y1 >= gap[0] - LINK_GAP * size)]
    below = boxes[(y0 >= gap[1]) & (y0 <= gap[1] + LINK_GAP * size)]
    overlap = (above[:, None, 0] < below[None, :, 0] + below[None, :, 2]) & (
        below[None, :, 0] < above[:, None, 0] + above[:, None, 2]
    )
    going_on = above[overlap.any(axis=1)]
    return len(gaps(going_on[:, 0], going_on[:, 0] + going_on[:, 2])) + 1 if len(going_on) else 0
