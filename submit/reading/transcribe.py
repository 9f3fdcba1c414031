"""A page's reading as text in reading order, as a record of every character, and scored against the truth.

The transcription holds each column's characters top to bottom, columns right to left with a
line break between them; side readings are left out (``submit.reading.order``). Its character error rate
(``submit.cer``) is measured against the true text in its true order: the generator's
reading_order.csv, or the annotation file's own order where there is none (``data.truth_order``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from data.formats import char_of
from submit.cer import cer
from submit.pipeline import PageReading
from submit.reading.order import PageOrder, reading_order


def chars_of(codes: Iterable[str]) -> list[str]:
    """The characters of ``U+XXXX`` codes."""
    return [char_of(code) for code in codes]


def page_record(
    reading: PageReading,
    order: PageOrder | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Everything read on a page: its text and every character (reading order, then side readings);
    with ``candidates`` ((n, k) codes and probabilities, ``submit.reading.read.candidates``) each
    character's ``candidates`` too, best first."""
    order = reading_order(reading.boxes) if order is None else order
    n = len(reading.boxes)
    column = order.column_of(n)
    position = np.full(n, -1, np.int64)
    for members in order.columns:
        position[members] = np.arange(len(members))
    chars = chars_of(reading.unicodes)
    characters = [
        {
            "char": chars[i],
            "unicode": str(reading.unicodes[i]),
            "x": int(reading.boxes[i, 0]),
            "y": int(reading.boxes[i, 1]),
            "w": int(reading.boxes[i, 2]),
            "h": int(reading.boxes[i, 3]),
            "probability": round(float(reading.probs[i]), 4),
            "detector_score": round(float(reading.scores[i]), 4),
            "column": int(column[i]) if column[i] >= 0 else None,
            "position": int(position[i]) if column[i] >= 0 else None,
            "side_reading": bool(column[i] < 0),
        }
        for i in [*order.sequence.tolist(), *order.side.tolist()]
    ]
    if candidates is not None:
        codes, probs = candidates
        for character, i in zip(characters, [*order.sequence.tolist(), *order.side.tolist()], strict=True):
            character["candidates"] = [
                {"char": char_of(c), "unicode": str(c), "probability": round(float(p), 4)}
                for c, p in zip(codes[i], probs[i], strict=True)
            ]
    return {
        "image_id": reading.image_id,
        "height": int(reading.shape[0]),
        "width": int(reading.shape[1]),
        "columns": len(order.columns),
        "text": order.text(chars),
        "characters": characters,
    }


def truth_text(page: pd.DataFrame, order: np.ndarray) -> str:
    """A page's true text: its boxes' characters in ``order`` (row, column per box, ``data.truth_order``).

    A line break separates columns where they are known (column ≥ 0).
    """
    codes, columns = page["unicode"].to_numpy()[order[:, 0]], order[:, 1]
    text = []
    for k, code in enumerate(codes):
        if k and columns[k] >= 0 and columns[k] != columns[k - 1]:
            text.append("\n")
        text.append(char_of(code))
    return "".join(text)


def ordered_truth(page: pd.DataFrame) -> str:
    """The page's true boxes and characters put in order by our code: the ordering alone, with no reading."""
    order = reading_order(page[["x", "y", "w", "h"]].to_numpy())
    return order.text(chars_of(page["unicode"]))


def reading_scores(
    texts: dict[str, str], pages: dict[str, pd.DataFrame], orders: dict[str, np.ndarray]
) -> dict:
    """CER of the pages' transcriptions (``texts``), and of their true boxes ordered by our code.

    Both against the true text in its true order; ``orders`` as ``data.truth_order.true_order``.
    """
    truths = {i: truth_text(pages[i], orders[i]) for i in texts}
    return {
        "transcription": cer((texts[i], truths[i]) for i in texts),
        "ordering_only": cer((ordered_truth(pages[i]), truths[i]) for i in texts),
    }
