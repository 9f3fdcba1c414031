"""The columns of one block of text (see ``submit.reading.order``): right to left, each top to bottom.

Characters are chained into pieces, each to the nearest one below it that lines up with it, so
slanted and wavy columns stay whole. The block's slant, the median slope of those links, is taken
out, and pieces whose centre lines are then close are one column: a column broken by a drawing,
a missed character or a wide gap, or one that is two characters wide for a while (a note in two
small lines, warichu: the right line is read before the left). Lengths are in units of ``size``,
the page's median character size.
"""

from __future__ import annotations

import itertools

import numpy as np

LINK_GAP = 1.5  # a character links to the next one below within this many sizes ...
LINK_SHIFT = 0.5  # ... if their centres are within this share of the wider (at least 0.8 size) across
JOIN_SHIFT = 0.45  # pieces side by side whose centre lines lie within this many sizes are one column


def links(cx: np.ndarray, boxes: np.ndarray, size: float, max_gap: float) -> np.ndarray:
    """Greedy one-to-one (above, below) links of lined-up boxes (centres ``cx``), the closest first."""
    top, height, width = boxes[:, 1], boxes[:, 3], boxes[:, 2]
    drop = top[None, :] - (top + height)[:, None]  # [i, j]: gap from the foot of i to the head of j
    wide = np.maximum(np.maximum(width[None, :], width[:, None]), 0.8 * size)
    shift = np.abs(cx[None, :] - cx[:, None]) / wide
    centre = top + height / 2
    ok = (centre[None, :] > centre[:, None]) & (drop < max_gap) & (shift < LINK_SHIFT)
    ok &= drop > -0.5 * np.minimum(height[None, :], height[:, None])
    above, below = np.nonzero(ok)
    cost = np.maximum(drop[above, below], 0) / size + shift[above, below]
    has_next, has_prev = np.zeros(len(cx), bool), np.zeros(len(cx), bool)
    chosen = []
    for k in np.argsort(cost, kind="stable"):
        i, j = above[k], below[k]
        if not has_next[i] and not has_prev[j]:
            has_next[i] = has_prev[j] = True
            chosen.append((i, j))
    return np.array(chosen, np.int64).reshape(-1, 2)


def line_spacing(boxes: np.ndarray, size: float) -> float:
    """The median gap between linked characters of a column (0 without links)."""
    pairs = links(boxes[:, 0] + boxes[:, 2] / 2, boxes, size, LINK_GAP * size)
    drops = boxes[pairs[:, 1], 1] - boxes[pairs[:, 0], 1] - boxes[pairs[:, 0], 3]
    return float(np.median(np.maximum(drops, 0))) if len(pairs) else 0.0


def slant(centre: np.ndarray, pairs: np.ndarray) -> float:
    """The median horizontal shift per pixel down along linked centres (0 without links)."""
    step = centre[pairs[:, 1]] - centre[pairs[:, 0]]
    steep = step[:, 1] > 0
    return float(np.clip(np.median(step[steep, 0] / step[steep, 1]), -0.5, 0.5)) if steep.any() else 0.0


def pieces(n: int, pairs: np.ndarray) -> np.ndarray:
    """Per box, the chain it belongs to (its lowest-numbered member), given the links."""
    root = np.arange(n)
    for i, j in pairs:
        a, b = root[i], root[j]
        root[root == b] = a if a < b else b
        root[root == a] = min(a, b)
    return root


def block_columns(boxes: np.ndarray, members: np.ndarray, size: float) -> list[np.ndarray]:
    """The columns of ``boxes[members]`` right to left, each in reading order (indices into boxes)."""
    own = boxes[members].astype(np.float64)
    cx, cy = own[:, 0] + own[:, 2] / 2, own[:, 1] + own[:, 3] / 2
    first = links(cx, own, size, LINK_GAP * size)
    upright = cx - slant(np.column_stack([cx, cy]), first) * (cy - cy.mean())  # the slant taken out
    piece = pieces(len(members), first)
    ids = np.unique(piece)
    lines = np.array([np.median(upright[piece == p]) for p in ids])
    order = np.argsort(-lines, kind="stable")  # right first
    column = np.arange(len(ids))
    for a, b in itertools.pairwise(order):
        if lines[a] - lines[b] < JOIN_SHIFT * size:
            column[b] = column[a]
    of_box = column[np.searchsorted(ids, piece)]
    right_first = dict.fromkeys(column[order].tolist())
    return [members[in_order(own, np.flatnonzero(of_box == c), size)] for c in right_first]


def in_order(boxes: np.ndarray, column: np.ndarray, size: float) -> np.ndarray:
    """A column's boxes top to bottom; where it is two boxes wide, the right line before the left."""
    x, y, w, h = boxes[column].T
    cx, cy = x + w / 2, y + h / 2
    overlap = np.minimum(y + h, (y + h)[:, None]) - np.maximum(y, y[:, None])
    apart = (cx[None, :] > x[:, None] + w[:, None]) | (cx[None, :] < x[:, None])
    split = (overlap > 0.3 * np.minimum(h, h[:, None])) & apart  # [i, j]: i and j are side by side
    spans = sorted(
        (min(y[i], y[j]), max(y[i] + h[i], y[j] + h[j])) for i, j in zip(*np.nonzero(split), strict=True)
    )
    key = np.column_stack([cy, np.zeros(len(column)), cy])  # (segment start, 0 right / 1 left, y)
    for start, end in merge_spans(spans, 0.5 * size):
        inside = (cy >= start) & (cy <= end)
        middle = (cx[inside].min() + cx[inside].max()) / 2
        if min((cx[inside] >= middle).sum(), (cx[inside] < middle).sum()) < 2:
            continue  # two characters askew, not two lines
        lines = cx[inside & (cx >= middle)].mean(), cx[inside & (cx < middle)].mean()
        for k in np.argsort(cy, kind="stable"):  # boxes below that go on either line, not the middle
            if cy[k] > end:
                if min(abs(cx[k] - line) for line in lines) >= abs(cx[k] - middle):
                    break
                inside[k] = True
        key[inside, 0], key[inside, 1] = start, cx[inside] < middle
    return column[np.lexsort((-cx, key[:, 2], key[:, 1], key[:, 0]))]


def merge_spans(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """Sorted (start, end) intervals merged where they overlap or are less than ``gap`` apart."""
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
