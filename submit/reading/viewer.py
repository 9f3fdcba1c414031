"""A page viewer for researchers: one static HTML file, no server, no network, nothing outside it.

Each page is shown shrunk (a JPEG inside the file) with its boxes on top; hovering a box or a
character of the transcription beside the page shows the character, its code point and the
recognizer's probability, and lights up the other. With the truth, boxes are coloured as on the
pictures (``submit.picture``): right, wrong (the true character named), nothing there, missed;
the true text sits beside ours.

Edit mode (the Edit button, or ``e``) turns the viewer into a correction tool, still in the one
file: select a box and type its character or pick one of the recognizer's candidates, delete,
draw, move or resize boxes, mark pages checked, undo, and export the checked pages as a
``train.csv`` in the competition's layout (exact page-pixel boxes; a browser download), or import
one back. ``data.corrections`` turns that file into a book to train on. Characters are drawn in a
subset of the project's Japanese face, embedded; nothing loads from outside the file (its
Content-Security-Policy forbids it).
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from data.fonts import label_font
from data.formats import char_of
from data.infra.io import write_text
from submit.match import PageMatch
from submit.picture import COLORS, LEGEND, statuses
from submit.pipeline import PageReading
from submit.reading.order import PageOrder

HEIGHT = 900  # pixels: a page's height in the viewer and in the file
KANA = [*range(0x3041, 0x3097), *range(0x30A1, 0x30FB), 0x3005, 0x30FC]  # always in the embedded font
FONT = (  # the embedded face, then the system's Japanese faces where a typed character is not in it
    "font-family:kz,'Noto Serif CJK JP','Noto Sans CJK JP','IPAexGothic','Hiragino Mincho ProN',"
    "'Yu Mincho',serif"
)
# Nothing may load from outside the file: data: images and fonts, and the inline style and script.
POLICY = (
    "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
)
SCRIPT_FILE = Path(__file__).with_name("viewer.js")
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
 border:1px solid #ddd;padding:8px;white-space:pre;FONT}
.text span.on{background:#ffe600}
.text span.gone{text-decoration:line-through;color:#aaa!important}
.legend span{margin-right:14px}
#kz-bar{position:fixed;top:8px;right:8px;width:300px;background:#fff;border:1px solid #999;padding:8px;
 font-size:13px;z-index:10;box-shadow:0 2px 6px rgba(0,0,0,.2)}
#kz-bar button{margin:2px}
#kz-panel,.kz-check{display:none}
body.edit #kz-panel,body.edit .kz-check{display:block}
body.edit .box{display:none}
.layer{display:none;position:absolute;inset:0;cursor:crosshair;z-index:4}
body.edit .layer{display:block}
.ebox{position:absolute;box-sizing:border-box;border:2px solid #1565c0;cursor:move}
.ebox.blank{border-color:#8e24aa;border-style:dashed}
.ebox.sel{border-color:#ff6d00;background:rgba(255,109,0,.15)}
.lab{position:absolute;left:100%;top:-2px;font-size:16px;line-height:1;color:#1565c0;
 background:rgba(255,255,255,.85);padding:0 1px;pointer-events:none;FONT}
.handle{position:absolute;right:-6px;bottom:-6px;width:10px;height:10px;background:#ff6d00;cursor:nwse-resize}
#kz-char{font-size:48px;line-height:1.2;text-align:center;min-height:58px;FONT}
#kz-cands button{font-size:14px;FONT}
#kz-type{width:80px;font-size:18px;FONT}
section.checked{border:2px solid #2e7d32}
#kz-keys{color:#555;font-size:12px;margin-top:6px}
""".replace("FONT", FONT)


@dataclass
class ViewerPage:
    """One page for the viewer: its image, what was read in which order and, for evaluations, its
    match to the truth."""

    picture: str  # the page as a data URL (embedded_jpeg)
    reading: PageReading
    order: PageOrder
    match: PageMatch | None = None
    truth_text: str | None = None
    note: str = ""  # a line shown under the page's name, such as its CER
    candidates: tuple[np.ndarray, np.ndarray] | None = None  # (n, 5) codes and probabilities, best first


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
    if page.match is not None:
        state, true_chars, missed = statuses(reading, page.match)
    else:
        state, true_chars, missed = ["predicted"] * count, [""] * count, np.zeros((0, 4))
    tip = tips(page, true_chars)
    boxes = [box_div(reading.boxes[i], reading.shape, state[i], tip[i], f"{n}-{i}") for i in range(count)]
    if len(missed):
        truth = zip(page.match.boxes.tolist(), page.match.codes, strict=True)
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
        f'<label class="kz-check"><input type="checkbox" data-check="{n}"> checked (c)</label>',
        f"<p>{html.escape(page.note)}</p>" if page.note else "",
        f'<div class="row"><div class="sheet" data-n="{n}" style="width:{width}px">',
        f'<img alt="{name}" src="{page.picture}">',
        *boxes,
        '<div class="layer"></div></div><div><h3>transcription</h3><div class="text">',
        "\n".join(lines) or "(no characters)",
        "</div></div>",
    ]
    if page.truth_text is not None:
        text = html.escape(page.truth_text) or "(no characters)"
        parts += ['<div><h3>ground truth</h3><div class="text">', text, "</div></div>"]
    return "".join([*parts, "</div></section>"])


def page_data(page: ViewerPage) -> dict:
    """What edit mode needs of a page: its id, size and boxes, each with its candidates."""
    reading = page.reading
    if page.candidates is None:
        codes, probs = reading.unicodes[:, None], reading.probs[:, None]
    else:
        codes, probs = page.candidates
    boxes = [
        [
            *(int(v) for v in box),
            str(code),
            [[str(c), round(float(p), 4)] for c, p in zip(cs, ps, strict=True)],
        ]
        for box, code, cs, ps in zip(reading.boxes, reading.unicodes, codes, probs, strict=True)
    ]
    return {"id": reading.image_id, "w": int(reading.shape[1]), "h": int(reading.shape[0]), "b": boxes}


def embedded_font(codes: set[str]) -> str:
    """A CSS @font-face of the project's Japanese face (``data.fonts.label_font``), cut down to the
    characters of ``codes`` and the kana, as a WOFF data URL; empty when the face is missing, and
    the browser's own Japanese fonts draw the characters."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from data.infra.errors import DataError

    try:
        path = label_font()
    except DataError:
        return ""
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    font = TTFont(path)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["vert", "vrt2"]  # vertical forms for the transcription
    cutter = subset.Subsetter(options)
    points = {int(c[2:], 16) for c in codes if c.startswith("U+")}
    cutter.populate(unicodes=sorted(points | set(KANA)))
    cutter.subset(font)
    data = io.BytesIO()
    font.save(data)
    url = "data:font/woff;base64," + base64.b64encode(data.getvalue()).decode("ascii")
    return f"@font-face{{font-family:kz;src:url({url}) format('woff')}}"


TOOLBAR = """<div id="kz-bar"><button id="kz-edit">Edit (e)</button>
<button id="kz-undo">Undo (u)</button><button id="kz-export">Export checked (x)</button>
<label>Import <input id="kz-import" type="file" accept=".csv"></label><div id="kz-status"></div>
<div id="kz-panel"><div id="kz-where"></div><div id="kz-char"></div><div id="kz-cands"></div>
<input id="kz-type" placeholder="type"> <button id="kz-delete">Delete (Del)</button>
<div id="kz-keys">1–5 candidate · t type · Enter apply · Del delete · drag: move, corner: resize ·
arrows move, shift+arrows resize · n/p next/previous box · c page checked · u or Ctrl+Z undo ·
x export · Esc deselect</div></div></div>"""


def write_viewer(path: str | Path, title: str, pages: list[ViewerPage], summary: str = "") -> None:
    """Write the viewer of these pages as one self-contained HTML file (atomically)."""
    truth = any(p.match is not None for p in pages)
    shown = (
        {**LEGEND, "wrong": "wrong character (hover: the true one)"} if truth else {"predicted": "predicted"}
    )
    legend = "".join(f'<span style="color:{rgb(k)}">&#9633; {v}</span>' for k, v in shown.items())
    data = {"pages": [page_data(page) for page in pages]}
    codes = {b[4] for p in data["pages"] for b in p["b"]} | {
        c for p in data["pages"] for b in p["b"] for c, _ in b[5]
    }
    codes |= {str(c) for p in pages if p.match is not None for c in p.match.codes}
    style = embedded_font(codes) + STYLE
    head = (
        f'<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        f"<title>{html.escape(title)}</title><style>{style}</style>"
    )
    body = "\n".join(page_html(n, page) for n, page in enumerate(pages))
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    write_text(
        path,
        f'<!doctype html>\n<html lang="ja"><head>{head}</head><body>{TOOLBAR}<h1>{html.escape(title)}</h1>'
        f'<pre>{html.escape(summary)}</pre><p class="legend">{legend}</p>\n{body}\n'
        f'<script type="application/json" id="kz-data">{blob}</script>'
        f"<script>{SCRIPT_FILE.read_text(encoding='utf-8')}</script></body></html>\n",
    )
