"""The recognizer's commonest confusions on read pages: which true character it read as which, with
the crops it read (cut from the detector's boxes, binarized as the recognizer saw them)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from data.crops import SIZE, crop_page
from data.formats import char_of
from data.geometry import centre_owner
from data.infra.io import read_image
from recognize.plots import crop_grid
from submit.pipeline import PageReading


def confusion_pairs(
    readings: list[PageReading], pages: Mapping[str, pd.DataFrame]
) -> tuple[Counter, dict[tuple[str, str], list[tuple[str, np.ndarray]]]]:
    """(true, read) counts over the found characters read wrong, and the (page, box) of each."""
    pairs: Counter = Counter()
    where: dict[tuple[str, str], list[tuple[str, np.ndarray]]] = defaultdict(list)
    for reading in readings:
        page = pages[reading.image_id]
        owner = centre_owner(reading.boxes, page[["x", "y", "w", "h"]].to_numpy())
        for k in np.flatnonzero(owner >= 0):
            pair = (str(page["unicode"].iloc[k]), str(reading.unicodes[owner[k]]))
            if pair[0] != pair[1]:
                pairs[pair] += 1
                where[pair].append((reading.image_id, reading.boxes[owner[k]]))
    return pairs, where


def draw_confusions(
    readings: list[PageReading],
    pages: Mapping[str, pd.DataFrame],
    images: Path,
    path: Path,
    top: int = 12,
    examples: int = 4,
) -> list[dict]:
    """confusions.png: a row per commonest pair, its first crops titled "true→read ×count"; the pairs."""
    pairs, where = confusion_pairs(readings, pages)
    common = pairs.most_common(top)
    if not common:
        return []
    shown = [(pair, where[pair][:examples]) for pair, _ in common]
    wanted: dict[str, list[np.ndarray]] = defaultdict(list)
    for _, found in shown:
        for image_id, box in found:
            wanted[image_id].append(box)
    crops = {}
    for image_id, boxes in wanted.items():
        cut = crop_page(read_image(images / f"{image_id}.jpg", gray=True), np.array(boxes))
        crops.update({(image_id, tuple(box)): crop for box, crop in zip(boxes, cut, strict=True)})
    cells, titles = [], []
    for (true, read), found in shown:
        title = f"{char_of(true)}→{char_of(read)} ×{pairs[(true, read)]}"
        for k in range(examples):
            cells.append(
                crops[found[k][0], tuple(found[k][1])] if k < len(found) else np.zeros((SIZE, SIZE), np.uint8)
            )
            titles.append(title if k == 0 else "")
    crop_grid(np.array(cells), titles, path, columns=examples)
    return [{"true": t, "read": r, "count": n} for (t, r), n in common]
