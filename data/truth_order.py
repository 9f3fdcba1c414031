"""The true reading order of generated pages: ``reading_order.csv`` beside train.csv.

One row per page (train pages, then test pages): ``image_id,columns,positions``, where the two
fields list, for every box of the page in the order train.csv (or test_answers.csv) lists them,
its column (0 is read first) and its position in that column (0 is the top). Columns are numbered
in reading order: the right page first, rows of a table top to bottom, columns right to left.
Kaggle's own files have no such file; their train.csv lists boxes column by column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from data.formats import read_rows, write_rows
from data.infra.errors import DataError, warn

READING_ORDER = "reading_order.csv"


def column_numbers(lengths: Sequence[int]) -> tuple[list[int], list[int]]:
    """Column and position of each box of a page whose columns hold ``lengths`` boxes, in order."""
    columns = [c for c, n in enumerate(lengths) for _ in range(n)]
    positions = [p for n in lengths for p in range(n)]
    return columns, positions


def write_reading_order(pages: Iterable[tuple[str, Sequence[int]]], path: str | Path) -> None:
    """Write reading_order.csv from (image_id, boxes per column in reading order) pairs."""
    rows = []
    for image_id, lengths in pages:
        columns, positions = column_numbers(lengths)
        rows.append((image_id, " ".join(map(str, columns)), " ".join(map(str, positions))))
    write_rows(path, ["image_id", "columns", "positions"], rows)


def read_reading_order(path: str | Path) -> dict[str, np.ndarray]:
    """reading_order.csv → {image_id: (n, 2) int array of column, position per box}."""
    order = {}
    for line, row in read_rows(path, ["image_id", "columns", "positions"]):
        try:
            columns, positions = (np.array(row[k].split(), dtype=np.int64) for k in ("columns", "positions"))
        except ValueError:
            raise DataError(path, "non-integer column or position", line) from None
        if len(columns) != len(positions):
            raise DataError(path, f"{len(columns)} columns but {len(positions)} positions", line)
        order[row["image_id"]] = np.column_stack([columns, positions])
    return order


def true_order(data: str | Path, pages: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Per page: row indices of its boxes in reading order, and the column of each, as (n, 2).

    From ``data``/reading_order.csv where there is one, else the order of the annotation file
    (column unknown: -1). A page whose box count disagrees with the file falls back, with a warning.
    """
    path = Path(data) / READING_ORDER
    recorded = read_reading_order(path) if path.is_file() else {}
    result = {}
    for image_id, boxes in pages.items():
        order = recorded.get(image_id)
        if order is not None and len(order) != len(boxes):
            warn(f"{path}: {image_id} has {len(order)} boxes, its annotations {len(boxes)}; file order used")
            order = None
        if order is None:
            result[image_id] = np.column_stack([np.arange(len(boxes)), np.full(len(boxes), -1)])
        else:
            rank = np.lexsort((order[:, 1], order[:, 0]))
            result[image_id] = np.column_stack([rank, order[rank, 0]])
    return result
