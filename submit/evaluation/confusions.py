"""The recognizer's commonest confusions on read pages: which true character it read as which, with
the crops it read (cut from the detector's boxes, binarized as the recognizer saw them)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from data.crops import SIZE, crop_page
from data.formats import char_of
from recognize.plots import crop_grid
from submit.match import PageMatch
from submit.pipeline import PageReading


class Confusions:
    """(true, read) counts over the found characters read wrong, gathered page by page with the
    first ``examples`` crops of each pair."""

    def __init__(self, examples: int = 4) -> None:
        self.examples = examples
        self.pairs: Counter = Counter()
        self.crops: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)

    def add(self, reading: PageReading, match: PageMatch, gray: np.ndarray) -> None:
        """The wrong readings of one page, its gray image at hand for their crops."""
        wanted, boxes = [], []
        for k in np.flatnonzero(match.hits):
            pair = (str(match.codes[k]), str(reading.unicodes[match.owner[k]]))
            if pair[0] != pair[1]:
                self.pairs[pair] += 1
                if len(self.crops[pair]) + wanted.count(pair) < self.examples:
                    wanted.append(pair)
                    boxes.append(reading.boxes[match.owner[k]])
        for pair, crop in zip(wanted, crop_page(gray, np.array(boxes).reshape(-1, 4)), strict=True):
            self.crops[pair].append(crop)

    def draw(self, path: Path, top: int = 12) -> list[dict]:
        """confusions.png: a row per commonest pair, its first crops titled "true→read ×count"; the pairs."""
        common = self.pairs.most_common(top)
        if not common:
            return []
        cells, titles = [], []
        for (true, read), count in common:
            found = self.crops[(true, read)]
            for k in range(self.examples):
                cells.append(found[k] if k < len(found) else np.zeros((SIZE, SIZE), np.uint8))
                titles.append(f"{char_of(true)}→{char_of(read)} ×{count}" if k == 0 else "")
        crop_grid(np.array(cells), titles, path, columns=self.examples)
        return [{"true": t, "read": r, "count": n} for (t, r), n in common]
