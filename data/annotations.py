"""train.csv as pages and boxes: reading it with the quirks of real files tolerated and counted.

``load_train(data)`` is the one loader of a Kaggle-layout folder's train.csv, with its
unicode_translation.csv and page images.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.formats import (
    BOX_COLUMNS,
    check_unique_ids,
    format_labels,
    parse_labels,
    read_rows,
    read_translation,
    write_rows,
)
from data.geometry import clip_boxes
from data.infra.errors import DataError, warn
from data.infra.io import image_size


def plural(n: int, noun: str) -> str:
    """``1 box``, ``3 boxes``, ``2 codes``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('x') else 's'}"


@dataclass
class Quirks:
    """What reading a train.csv tolerated in real data, counted (see read_annotations)."""

    clipped: int = 0  # boxes partly outside the page, clipped to it
    dropped: int = 0  # boxes empty or wholly outside the page after clipping
    duplicates: int = 0  # exact repeats (unicode, x, y, w, h) of a box on the same page
    unknown: int = 0  # boxes kept whose code is not in unicode_translation.csv ...
    unknown_codes: int = 0  # ... and how many distinct codes those are
    empty_pages: int = 0  # pages whose labels are empty

    def summary(self) -> str:
        """The non-zero counts as one comma-separated phrase; empty when there was nothing to tolerate."""
        items = [
            (self.clipped, f"{plural(self.clipped, 'box')} clipped to the page"),
            (self.dropped, f"{plural(self.dropped, 'box')} dropped as empty or outside the page"),
            (self.duplicates, f"{plural(self.duplicates, 'duplicate box')} dropped"),
            (
                self.unknown,
                f"{plural(self.unknown, 'box')} with {plural(self.unknown_codes, 'code')} "
                "not in unicode_translation.csv kept",
            ),
            (self.empty_pages, f"{plural(self.empty_pages, 'page')} without labels"),
        ]
        return ", ".join(text for n, text in items if n)


@dataclass
class Annotations:
    """A train.csv: every page in file order, and one row per character box (BOX_COLUMNS).

    ``quirks`` counts what reading the file tolerated; a subset starts with none.
    """

    image_ids: list[str]
    boxes: pd.DataFrame
    quirks: Quirks = field(default_factory=Quirks)

    def page_boxes(self) -> dict[str, pd.DataFrame]:
        """Boxes grouped by page; pages without characters map to an empty frame."""
        groups = {k: g for k, g in self.boxes.groupby("image_id", sort=False)}
        empty = self.boxes.iloc[:0]
        return {image_id: groups.get(image_id, empty) for image_id in self.image_ids}

    def subset(self, image_ids: Iterable[str]) -> Annotations:
        """The annotations of these pages only, in this object's order."""
        keep = set(image_ids)
        ids = [i for i in self.image_ids if i in keep]
        boxes = self.boxes[self.boxes["image_id"].isin(keep)].reset_index(drop=True)
        return Annotations(ids, boxes)


def boxes_frame(image_ids: list[str], codes: list[str], values: np.ndarray) -> pd.DataFrame:
    """Build a BOX_COLUMNS frame from parallel lists and an (n, 4) int array."""
    values = np.asarray(values, dtype=np.int64).reshape(-1, 4)
    frame = pd.DataFrame({"image_id": image_ids, "unicode": codes})
    for i, column in enumerate(["x", "y", "w", "h"]):
        frame[column] = values[:, i]
    return frame


def read_annotations(
    path: str | Path, known: Collection[str] | None = None, image_dir: str | Path | None = None
) -> Annotations:
    """Read and check a train.csv (or an answer file in the same format).

    Fatal, as a DataError naming the file and line: a missing column, a duplicate image_id, labels
    that do not parse, a malformed code, and with ``image_dir`` a missing or unreadable page image
    ``<image_id>.jpg`` (only its header is read). Tolerated and counted in ``quirks``: pages with
    empty labels; exact duplicate boxes of a page (dropped); boxes partly outside the page (clipped
    to it; at the right and bottom edges only with ``image_dir``), empty or wholly outside (dropped);
    codes not in ``known`` (kept).
    """
    rows = read_rows(path, ["image_id", "labels"])
    check_unique_ids(rows, path)
    ids, codes, values, owners, sizes, counts = [], [], [], [], [], []
    for line, row in rows:
        image_id = row["image_id"]
        page_codes, page_values = parse_labels(row["labels"], 5, path, line)
        if image_dir is not None:
            sizes.append(page_size(Path(image_dir) / f"{image_id}.jpg", path, line))
        ids.append(image_id)
        codes.extend(page_codes)
        values.append(page_values)
        owners.extend([image_id] * len(page_codes))
        counts.append(len(page_codes))
    stacked = np.concatenate(values) if values else np.zeros((0, 4), np.int64)
    limits = None  # each box's page (width, height), known from the image headers
    if image_dir is not None:
        limits = np.repeat(np.array(sizes, np.int64).reshape(-1, 2), counts, axis=0)
    boxes, quirks = tidy_boxes(boxes_frame(owners, codes, stacked), limits, known)
    quirks.empty_pages = counts.count(0)
    return Annotations(ids, boxes, quirks)


def page_size(image: Path, path: str | Path, line: int) -> tuple[int, int]:
    """(width, height) of a page image from its header; DataError naming the row if it is unreadable."""
    try:
        return image_size(image)
    except DataError as error:
        raise DataError(path, f"page image {image}: {error.problem}", line) from None


def tidy_boxes(
    boxes: pd.DataFrame, limits: np.ndarray | None, known: Collection[str] | None
) -> tuple[pd.DataFrame, Quirks]:
    """Drop exact duplicates, clip to the page, drop what is left empty; count it all and unknown codes."""
    duplicate = boxes.duplicated(BOX_COLUMNS).to_numpy()
    boxes = boxes[~duplicate].reset_index(drop=True)
    limits = None if limits is None else limits[~duplicate]
    values = boxes[["x", "y", "w", "h"]].to_numpy()
    clipped = clip_boxes(values, limits)
    kept = (clipped[:, 2] > 0) & (clipped[:, 3] > 0)
    changed = kept & (clipped != values).any(axis=1)
    boxes[["x", "y", "w", "h"]] = clipped
    boxes = boxes[kept].reset_index(drop=True)
    unknown = np.zeros(len(boxes), bool) if known is None else ~boxes["unicode"].isin(known).to_numpy()
    quirks = Quirks(
        clipped=int(changed.sum()),
        dropped=int((~kept).sum()),
        duplicates=int(duplicate.sum()),
        unknown=int(unknown.sum()),
        unknown_codes=boxes["unicode"][unknown].nunique(),
    )
    return boxes, quirks


def report_quirks(annotations: Annotations, path: str | Path) -> None:
    """Warn on stderr, in one line, of what reading ``path`` tolerated; print nothing if it was clean."""
    summary = annotations.quirks.summary()
    if summary:
        warn(f"{path}: {summary}")


def write_annotations(annotations: Annotations, path: str | Path) -> None:
    """Write annotations as train.csv, pages in order, boxes in order within each page."""
    pages = annotations.page_boxes()
    write_rows(
        path,
        ["image_id", "labels"],
        (
            (image_id, format_labels(group["unicode"], group[["x", "y", "w", "h"]].to_numpy()))
            for image_id, group in pages.items()
        ),
    )


def load_train(data: str | Path, report: bool = True) -> Annotations:
    """The train.csv of a Kaggle-layout folder, checked against unicode_translation.csv and train_images/.

    With ``report`` the quirks it tolerated are one warning line.
    """
    data = Path(data)
    annotations = read_annotations(
        data / "train.csv", read_translation(data / "unicode_translation.csv"), data / "train_images"
    )
    if report:
        report_quirks(annotations, data / "train.csv")
    return annotations
