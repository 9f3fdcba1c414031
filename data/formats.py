"""The competition's CSV formats: rows, labels, unicode_translation.csv and submissions.

train.csv rows are ``image_id,labels`` where labels repeat ``U+XXXX x y w h`` (a box in original-page
pixels); a submission's labels repeat ``U+XXXX x y`` (a point). Empty labels mean a page with no
characters. Everything here reads and writes byte-identically and raises DataError on bad input.
train.csv as a whole (pages, boxes and their quirks) is ``data.annotations``.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from data.infra.errors import DataError
from data.infra.io import write_text

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
    """Write a CSV atomically, quoting only where needed, with ``\\n`` line ends.

    Rows are formatted with ``\\r\\n`` ends, which makes csv quote a field holding a lone ``\\r``
    as well as one holding ``\\n`` (with ``\\n`` ends it leaves ``\\r`` bare and the file does not
    read back), then each row's end becomes ``\\n``.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in itertools.chain([header], rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        lines.append(buffer.getvalue()[:-2] + "\n")
    write_text(path, "".join(lines))


# --- unicode_translation.csv -------------------------------------------------------------------


BACKGROUND = "none"  # the recognizer's class for a detected box with no character in it
BACKGROUND_MARK = "∅"  # how that class is drawn


def char_of(code: str) -> str:
    """The character a ``U+XXXX`` code stands for (BACKGROUND_MARK for the background class)."""
    return BACKGROUND_MARK if code == BACKGROUND else chr(int(code[2:], 16))


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
