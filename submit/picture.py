"""The picture a user looks at first: a page with every predicted character drawn beside its box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from data.fonts import label_font
from data.formats import char_of
from data.infra.io import atomic_path
from submit.match import PageMatch
from submit.pipeline import PageReading

COLORS = {
    "correct": (30, 150, 50),
    "wrong": (220, 30, 30),
    "nothing": (235, 140, 0),
    "missed": (120, 120, 120),
    "predicted": (40, 80, 220),
}
LEGEND = {
    "correct": "correct",
    "wrong": "wrong character (true one in brackets)",
    "nothing": "no character there",
    "missed": "missed character",
}


def statuses(reading: PageReading, match: PageMatch) -> tuple[list[str], list[str], np.ndarray]:
    """Per prediction: correct / wrong / nothing, and the true character where it is wrong; missed boxes."""
    status, true_chars = [], []
    for k in range(len(match.claimed)):
        boxes = np.flatnonzero(match.inside[:, k])
        status.append("correct" if match.claimed[k] else "wrong" if boxes.size else "nothing")
        true_chars.append(char_of(match.codes[boxes[0]]) if boxes.size and not match.claimed[k] else "")
    found = match.inside[:, match.claimed].any(axis=1) if len(match.boxes) else np.zeros(0, bool)
    return status, true_chars, match.boxes[~found]


def draw_page(page: np.ndarray, reading: PageReading, match: PageMatch | None, path: str | Path) -> None:
    """Write a PNG of the page with boxes and characters; with its ``match`` to the truth,
    mistakes are marked."""
    image = Image.fromarray(page[..., ::-1]).convert("RGB")
    draw = ImageDraw.Draw(image)
    heights = reading.boxes[:, 3] if len(reading.boxes) else np.array([24])
    font = ImageFont.truetype(str(label_font()), max(12, int(np.median(heights) * 0.7)))
    if match is not None:
        status, true_chars, missed = statuses(reading, match)
        for x, y, w, h in missed:
            draw.rectangle((x, y, x + w, y + h), outline=COLORS["missed"], width=2)
    else:
        status, true_chars = ["predicted"] * len(reading.boxes), [""] * len(reading.boxes)
    for (x, y, w, h), code, state, true in zip(
        reading.boxes, reading.unicodes, status, true_chars, strict=True
    ):
        color = COLORS[state]
        draw.rectangle((x, y, x + w, y + h), outline=color, width=2)
        label = char_of(code) + (f"({true})" if true else "")
        draw.text((x + w + 2, y), label, font=font, fill=color, stroke_width=2, stroke_fill=(255, 255, 255))
    legend = ImageFont.truetype(str(label_font()), 18)
    shown = LEGEND if match is not None else {"predicted": "predicted character"}
    for k, (state, text) in enumerate(shown.items()):
        draw.rectangle((8, 8 + 24 * k, 26, 26 + 24 * k), outline=COLORS[state], width=3)
        draw.text(
            (32, 6 + 24 * k),
            text,
            font=legend,
            fill=COLORS[state],
            stroke_width=2,
            stroke_fill=(255, 255, 255),
        )
    with atomic_path(path) as tmp:
        image.save(
            tmp, format="PNG", compress_level=1
        )  # a photo of a page: 3-4x faster than 6, a fifth larger
