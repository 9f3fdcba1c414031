"""A page viewer for researchers: one static HTML file, no server, no network, nothing outside it.

Each page is shown shrunk (a JPEG inside the file) with its boxes on top; hovering a box or a
character of the transcription beside the page shows the character, its code point and the
recognizer's probability, and lights up the other. With the truth, boxes are coloured as on the
pictures (``submit.picture``): right, wrong (the true character named), nothing there, missed;
the true text sits beside ours.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from data.formats import char_of
from data.infra.io import write_text
from submit.picture import COLORS, LEGEND, statuses
from submit.pipeline import PageReading
from submit.reading.order import PageOrder

HEIGHT = 900  # pixels: a page's height in the viewer and in the file
STYLE = """
body{font-family:sans-serif;margin:16px;background:#f4f4f0;color:#222}
.page{background:#fff;margin:0 0 24px;padding:12px;border:1px solid #ccc}
.row{display:flex;gap:16px;align-items:flex-start}
.sheet{position:relative;flex:none}
.sheet img{display:block;width:100%;height:auto}
.box{position:absolute;box-sizing:border-box;border:2px solid}
.box:hover,.box.on{background:rgba(255,230,0,.35);z-index:2}
.box:hover::after{content:attr(data-tip);position:absolute;left:100%;top:0;white-space:pre;
 background:#222;color:#fff;font-size:14px;padding:2px 6px;z-index:3}
.text{writing-mode:vertical-rl;font-size:22px;line-height:1.5;max-height:85vh;overflow:auto;
 border:1px solid #ddd;padding:8px;white-space:pre}
.text span.on{background:#ffe600}
.legend span{margin-right:14px}
"""
SCRIPT = """
document.addEventListener('mouseover', e => {
  const k = e.target.dataset && e.target.dataset.k; if (!k) return;
  document.querySelectorAll('.on').forEach(n => n.classList.remove('on'));
  document.querySelectorAll('[data-k="' + k + '"]').forEach(n => n.classList.add('on'));
});
"""


@dataclass
class ViewerPage:
    """One page for the viewer: its image, what was read in which order and, for evaluations, the truth."""

    picture: str  # the page as a data URL (embedded_jpeg)
    reading: PageReading
    order: PageOrder
    truth: pd.DataFrame | None = None
    truth_text: str | None = None
    note: str = ""  # a line shown under the page's name, such as its CER


def rgb(state: str) -> str:
    """The CSS colour of a box's state (the pictures' colours)."""
    return "rgb({},{},{})".format(*COLORS[state])


def embedded_jpeg(image: np.ndarray, height: int = HEIGHT) -> str:
    """The BGR image shrunk to ``height`` pixels (never enlarged) as a JPEG data URL."""
    scale = min(1.0, height / image.shape[0])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def box_div(box: np.ndarray, shape: tuple[int, int], state: str, tip: str, key: str) -> str:
    """An absolutely placed box, in percent of the page so it scales with the picture."""
    x, y, w, h = (float(v) for v in box)
    height, width = shape
    place = (
        f"left:{100 * x / width:.3f}%;top:{100 * y / height:.3f}%;"
        f"width:{100 * w / width:.3f}%;height:{100 * h / height:.3f}%;border-color:{rgb(state)}"
    )
    tip = html.escape(tip)
    return f'<div class="box {state}" style="{place}" data-k="{key}" data-tip="{tip}" title="{tip}"></div>'


def tips(page: ViewerPage, true_chars: list[str]) -> list[str]:
    """Per box: its character, code point, probability, place in the reading order, true character."""
    reading, columns = page.reading, page.order.columns
    place = {i: f"column {c + 1}, character {k + 1}" for c, m in enumerate(columns) for k, i in enumerate(m)}
    return [
        f"{char_of(code)}  {code}  p={prob:.2f}\n{place.get(i, 'side reading')}"
        + (f"\ntrue: {true_chars[i]}" if true_chars[i] else "")
        for i, (code, prob) in enumerate(zip(reading.unicodes, reading.probs, strict=True))
    ]


def page_html(n: int, page: ViewerPage) -> str:
    """One page's section: the picture with its boxes, and the transcription beside it."""
    reading = page.reading
    count = len(reading.boxes)
    if page.truth is not None:
        state, true_chars, missed = statuses(reading, page.truth)
    else:
        state, true_chars, missed = ["predicted"] * count, [""] * count, np.zeros((0, 4))
    tip = tips(page, true_chars)
    boxes = [box_div(reading.boxes[i], reading.shape, state[i], tip[i], f"{n}-{i}") for i in range(count)]
    if len(missed):
        truth = zip(page.truth[["x", "y", "w", "h"]].to_numpy().tolist(), page.truth["unicode"], strict=True)
        tip_of = {tuple(b): f"missed: {char_of(c)}  {c}" for b, c in truth}
        boxes += [box_div(box, reading.shape, "missed", tip_of[tuple(box)], "") for box in missed.tolist()]
    lines = [
        "".join(
            f'<span data-k="{n}-{i}" style="color:{rgb(state[i])}" title="{html.escape(tip[i])}">'
            f"{html.escape(char_of(reading.unicodes[i]))}</span>"
            for i in members
        )
        for members in page.order.columns
    ]
    width = round(HEIGHT * reading.shape[1] / max(reading.shape[0], 1))
    name = html.escape(reading.image_id)
    parts = [
        f'<section class="page" id="page-{n}"><h2>{name}</h2>',
        f"<p>{html.escape(page.note)}</p>" if page.note else "",
        f'<div class="row"><div class="sheet" style="width:{width}px">',
        f'<img alt="{name}" src="{page.picture}">',
        *boxes,
        '</div><div><h3>transcription</h3><div class="text">',
        "\n".join(lines) or "(no characters)",
        "</div></div>",
    ]
    if page.truth_text is not None:
        text = html.escape(page.truth_text) or "(no characters)"
        parts += ['<div><h3>ground truth</h3><div class="text">', text, "</div></div>"]
    return "".join([*parts, "</div></section>"])


def write_viewer(path: str | Path, title: str, pages: list[ViewerPage], summary: str = "") -> None:
    """Write the viewer of these pages as one self-contained HTML file (atomically)."""
    truth = any(p.truth is not None for p in pages)
    shown = (
        {**LEGEND, "wrong": "wrong character (hover: the true one)"} if truth else {"predicted": "predicted"}
    )
    legend = "".join(f'<span style="color:{rgb(k)}">&#9633; {v}</span>' for k, v in shown.items())
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style>'
    body = "\n".join(page_html(n, page) for n, page in enumerate(pages))
    write_text(
        path,
        f'<!doctype html>\n<html lang="ja"><head>{head}</head><body><h1>{html.escape(title)}</h1>'
        f'<pre>{html.escape(summary)}</pre><p class="legend">{legend}</p>\n{body}\n'
        f"<script>{SCRIPT}</script></body></html>\n",
    )
