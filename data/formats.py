"""The competition's CSV formats: train.csv, unicode_translation.csv and submissions.

train.csv rows are ``image_id,labels`` where labels repeat ``U+XXXX x y w h`` (a box in original-page
pixels); a submission's labels repeat ``U+XXXX x y`` (a point). Empty labels mean a page with no
characters. Everything here reads and writes byte-identically and raises DataError on bad input;
read_annotations tolerates, and counts, the quirks of real train.csv files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataError, warn
from data.io import image_size, write_text

UNICODE_PATTERN = re.compile(r"U\+[0-9A-F]{4,6}")
BOX_COLUMNS = ["image_id", "unicode", "x", "y", "w", "h"]
POINT_COLUMNS = ["image_id", "unicode", "x", "y"]


def read_rows(path: str | Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Read a CSV with a header into (line number, row) pairs; check the columns are there."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(path, "empty file (no header)") from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(path, f"missing column {missing[0]!r} (header is {','.join(header)!r})", 1)
    index = [header.index(c) for c in columns]
    rows = []
    for record in reader:
        line = reader.line_num
        if not record:
            continue
        if len(record) != len(header):
            raise DataError(path, f"expected {len(header)} fields, found {len(record)}", line)
        rows.append((line, {c: record[i] for c, i in zip(columns, index, strict=True)}))
    return rows


def check_unique_ids(rows: list[tuple[int, dict[str, str]]], path: str | Path) -> None:
    """Raise DataError on the first image_id that occurs twice."""
    seen: dict[str, int] = {}
    for line, row in rows:
        image_id = row["image_id"]
        if not image_id:
            raise DataError(path, "empty image_id", line)
        if image_id in seen:
            raise DataError(path, f"duplicate image_id {image_id!r} (first on line {seen[image_id]})", line)
        seen[image_id] = line


def write_rows(path: str | Path, header: list[str], rows: Iterable[Iterable[str]]) -> None:
    """Write a CSV atomically, quoting only where needed, with ``\\n`` line ends."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


# --- unicode_translation.csv -------------------------------------------------------------------


def char_of(code: str) -> str:
    """The character a ``U+XXXX`` code stands for."""
    return chr(int(code[2:], 16))


def read_translation(path: str | Path) -> dict[str, str]:
    """unicode_translation.csv → {"U+XXXX": character}, in file order."""
    table: dict[str, str] = {}
    for line, row in read_rows(path, ["Unicode", "char"]):
        code = row["Unicode"]
        if not UNICODE_PATTERN.fullmatch(code):
            raise DataError(path, f"malformed unicode {code!r} (expected U+ and 4-6 hex digits)", line)
        if code in table:
            raise DataError(path, f"duplicate unicode {code}", line)
        table[code] = row["char"]
    return table


def write_translation(table: Mapping[str, str], path: str | Path) -> None:
    """Write {"U+XXXX": character} as unicode_translation.csv."""
    write_rows(path, ["Unicode", "char"], table.items())


# --- labels ------------------------------------------------------------------------------------


def parse_labels(
    labels: str, width: int, path: str | Path, line: int, known: Collection[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Split a labels string into unicodes and an int array of ``width - 1`` coordinates each.

    ``width`` is 5 for train boxes (unicode x y w h) and 3 for submission points (unicode x y).
    """
    tokens = labels.split()
    if len(tokens) % width:
        what = "U+XXXX x y w h" if width == 5 else "U+XXXX x y"
        raise DataError(path, f"{len(tokens)} tokens in labels, not a multiple of {width} ({what})", line)
    codes = tokens[0::width]
    for code in codes:
        if not UNICODE_PATTERN.fullmatch(code):
            raise DataError(path, f"malformed unicode {code!r} in labels", line)
        if known is not None and code not in known:
            raise DataError(path, f"unknown unicode {code} (not in unicode_translation.csv)", line)
    numbers = [t for i, t in enumerate(tokens) if i % width]
    try:
        values = np.array([int(t) for t in numbers], dtype=np.int64).reshape(-1, width - 1)
    except ValueError:
        bad = next(t for t in numbers if not t.lstrip("-").isdigit())
        raise DataError(path, f"non-integer coordinate {bad!r} in labels", line) from None
    return codes, values


def format_labels(codes: Iterable[str], values: np.ndarray) -> str:
    """Inverse of parse_labels: ``U+XXXX v1 v2 ...`` joined by single spaces."""
    return " ".join(
        " ".join([code, *map(str, row)]) for code, row in zip(codes, np.asarray(values).tolist(), strict=True)
    )


# --- train.csv ---------------------------------------------------------------------------------


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


def clip_boxes(values: np.ndarray, limits: np.ndarray | None = None) -> np.ndarray:
    """Clip (x, y, w, h) boxes at 0 and, given each box's page (width, height), at the far edges.

    A box that is empty or wholly outside the page comes back with w <= 0 or h <= 0.
    """
    x0, y0 = np.maximum(values[:, 0], 0), np.maximum(values[:, 1], 0)
    x1, y1 = values[:, 0] + values[:, 2], values[:, 1] + values[:, 3]
    if limits is not None:
        x1, y1 = np.minimum(x1, limits[:, 0]), np.minimum(y1, limits[:, 1])
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)


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


# --- submissions -------------------------------------------------------------------------------


def read_sample_submission(path: str | Path) -> list[str]:
    """The image_ids a submission must cover, in order."""
    rows = read_rows(path, ["image_id", "labels"])
    check_unique_ids(rows, path)
    return [row["image_id"] for _, row in rows]


def read_points(path: str | Path, known: Collection[str] | None = None) -> tuple[list[str], pd.DataFrame]:
    """Read a submission CSV: its image_ids in order and one row per point (POINT_COLUMNS)."""
    rows = read_rows(path, ["image_id", "labels"])
    check_unique_ids(rows, path)
    ids, owners, codes, values = [], [], [], []
    for line, row in rows:
        page_codes, page_values = parse_labels(row["labels"], 3, path, line, known)
        ids.append(row["image_id"])
        owners.extend([row["image_id"]] * len(page_codes))
        codes.extend(page_codes)
        values.append(page_values)
    stacked = np.concatenate(values) if values else np.zeros((0, 2), np.int64)
    frame = pd.DataFrame({"image_id": owners, "unicode": codes, "x": stacked[:, 0], "y": stacked[:, 1]})
    return ids, frame
