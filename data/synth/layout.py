"""One generated page: a photographed book page with ruled frames and columns of brush characters.

A page is photographed on a dark background: the sheet (or a two-page spread with a gutter)
is slightly turned, the stacked edges of the other leaves show on one side, and a ruled frame
(single or double, sometimes with column rules) holds vertical columns read right to left.
Characters are drawn in the book's faces and hand; kana are often written as the cursive form
of their source kanji (hentaigana) under the kana's label; tall repetition marks span two
characters; small unlabelled readings (furigana) sit right of kanji; strokes connect
neighbours; the other side of the sheet bleeds through, mirrored.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from data.synth.book import BookStyle, Writer
from data.synth.glyphs import ink_box, smooth_field
from data.synth.paper import illustration, lay_ink, paper

Box = tuple[int, int, int, int, int]  # class index, x, y, w, h
Column = list[Box]  # the labelled boxes of one column, top to bottom


def stamp(canvas: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Max-composite an alpha patch into the canvas at (x, y), clipped to the canvas."""
    h, w = alpha.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, alpha[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def connect(canvas: np.ndarray, start: tuple, end: tuple, size: float, rng: np.random.Generator) -> None:
    """A thin flowing stroke from the foot of one character to the head of the next."""
    mid = ((start[0] + end[0]) / 2 + rng.normal(0, size * 0.15), (start[1] + end[1]) / 2)
    t = np.linspace(0, 1, 12)[:, None]
    curve = (1 - t) ** 2 * np.array(start) + 2 * (1 - t) * t * np.array(mid) + t**2 * np.array(end)
    cv2.polylines(canvas, [curve.astype(np.int32)], False, 0.9, max(1, int(size / 25)), cv2.LINE_AA)


def columns(
    writer: Writer,
    style: BookStyle,
    canvas: np.ndarray,
    area: tuple[int, int, int, int],
    em: float,
    rng: np.random.Generator,
    labelled: bool,
    keep_out: tuple[int, int, int, int] | None = None,
) -> list[Column]:
    """Write columns right to left inside ``area`` (x0, y0, x1, y1); return the labelled boxes by column."""
    left, top, right, bottom = area
    pitch = em * style.column_pitch
    lines: list[Column] = []
    cx = right - pitch / 2
    n_columns = 0
    while cx - em / 2 > left:
        if style.column_rules and labelled and n_columns:
            rule_x = int(cx + pitch / 2)
            cv2.line(canvas, (rule_x, top), (rule_x, bottom), 0.85, max(1, int(em / 30)), cv2.LINE_AA)
        n_columns += 1
        boxes: Column = []
        drift = rng.normal(0, 0.012)
        y = top + em * 0.25 + (rng.uniform(0.5, 2.5) * em if rng.random() < 0.15 else 0)
        end = bottom if rng.random() > 0.2 else top + rng.uniform(0.2, 1) * (bottom - top)
        previous = None
        while True:
            k = writer.sample(rng)
            alpha = writer.glyph(style, k, em * rng.uniform(0.85, 1.12), rng)
            box = ink_box(alpha)
            if box is None:
                continue
            bx, by, bw, bh = box
            x = int(cx + drift * (y - top) + rng.normal(0, 0.04 * em) - bx - bw / 2)
            if y + bh > end - em * 0.1:
                break
            inside = keep_out and x + bx < keep_out[2] and x + bx + bw > keep_out[0]
            if inside and y + bh > keep_out[1] and y < keep_out[3]:
                y, previous = keep_out[3] + em * 0.3, None
                continue
            py = int(y) - by
            stamp(canvas, alpha, x, py)
            if previous is not None and rng.random() < style.connect:
                connect(canvas, previous, (x + bx + bw // 2, py + by), em, rng)
            if labelled and writer.chars[k] >= "\u4e00" and rng.random() < style.furigana:
                reading_y = py + by
                for _ in range(int(rng.integers(1, 4))):
                    note = writer.glyph(style, int(rng.integers(min(40, len(writer.chars)))), em * 0.42, rng)
                    stamp(canvas, note, int(x + bx + bw + em * 0.08), reading_y)
                    reading_y += int(note.shape[0] * 0.8)
            if labelled:
                boxes.append((k, x + bx, py + by, bw, bh))
            previous = (x + bx + bw // 2, py + by + bh)
            y += bh + em * style.line_gap * rng.uniform(0.4, 1.6)
        if boxes:
            lines.append(boxes)
        cx -= pitch * rng.uniform(0.97, 1.03)
    return lines


def rule_frame(canvas: np.ndarray, area: tuple[int, int, int, int], em: float, kind: int) -> None:
    """A ruled frame around the text block: one rule, or a heavy rule outside a thin one."""
    x0, y0, x1, y1 = area
    heavy = max(2, int(em / 12))
    cv2.rectangle(canvas, (x0, y0), (x1, y1), 0.9, heavy if kind == 2 else max(1, heavy // 2), cv2.LINE_AA)
    if kind == 2:
        gap = int(em / 7)
        cv2.rectangle(canvas, (x0 + gap, y0 + gap), (x1 - gap, y1 - gap), 0.9, max(1, heavy // 3))


def bands(
    style: BookStyle, canvas: np.ndarray, area: tuple[int, int, int, int], em: float, rng: np.random.Generator
) -> list[tuple[int, int, int, int]]:
    """The text block, or for a table its rows: 2-5 bands of short columns between horizontal rules."""
    if not style.table:
        return [area]
    x0, y0, x1, y1 = area
    edges = [y0]
    for cut in np.sort(rng.uniform(y0, y1, int(rng.integers(1, 5)))):
        if cut - edges[-1] > 3 * em and y1 - cut > 3 * em:
            edges.append(int(cut))
    edges.append(y1)
    for y in edges[1:-1]:
        cv2.line(canvas, (x0, y), (x1, y), 0.85, max(1, int(em / 30)), cv2.LINE_AA)
    return [(x0, top + int(em * 0.15), x1, bottom) for top, bottom in itertools.pairwise(edges)]


def sheets(style: BookStyle, height: int, width: int, rng: np.random.Generator) -> list[tuple]:
    """The sheet rectangle(s) (x0, y0, x1, y1) inside the photograph: one page, or two with a gutter."""
    mx, my = (int(width * rng.uniform(0.01, 0.05)), int(height * rng.uniform(0.01, 0.04)))
    x0, y0, x1, y1 = mx, my, width - int(width * rng.uniform(0.01, 0.05)), height - my
    if not style.spread:
        return [(x0, y0, x1, y1)]
    middle = (x0 + x1) // 2 + int(rng.normal(0, width * 0.01))
    return [(middle, y0, x1, y1), (x0, y0, middle, y1)]  # right page first: read right to left


def render(writer: Writer, style: BookStyle, seed: int, scale: float) -> tuple[np.ndarray, list[Column]]:
    """One photographed page (uint8 BGR) and its labelled boxes by column, in the order of writing.

    That is the reading order: the right page first, a table's rows top to bottom, columns right to left.
    """
    rng = np.random.default_rng(seed)
    height = int(style.height * scale * rng.uniform(0.98, 1.02))
    width = int(height * style.aspect * rng.uniform(0.98, 1.02))
    em = style.em * scale
    blank, only_drawing = rng.random() < 0.035, rng.random() < 0.035
    photo = np.full((height, width, 3), style.background, np.float32)
    photo += 6 * smooth_field((height, width), 3, rng)[..., None]
    front = np.zeros((height, width), np.float32)
    back = np.zeros((height // 2, width // 2), np.float32)
    lines: list[Column] = []
    for sx0, sy0, sx1, sy1 in sheets(style, height, width, rng):
        sheet = paper(sy1 - sy0, sx1 - sx0, style.paper_rgb, style.stains, rng)
        photo[sy0:sy1, sx0:sx1] = sheet
        edge = int(rng.integers(3, 9))  # the stacked edges of the other leaves, on the outer side
        for k in range(edge):
            x = sx1 + k * max(2, int(em / 25)) if sx1 < width - edge * 3 else sx0 - k * max(2, int(em / 25))
            cv2.line(front, (x, sy0 + k * 2), (x, sy1 - k * 2), 0.25 + 0.05 * k, 1)
        w, h = sx1 - sx0, sy1 - sy0
        area = (
            sx0 + int(w * rng.uniform(0.07, 0.12)),
            sy0 + int(h * rng.uniform(0.08, 0.12)),
            sx1 - int(w * rng.uniform(0.07, 0.12)),
            sy1 - int(h * rng.uniform(0.06, 0.1)),
        )
        if style.frame:
            rule_frame(front, area, em, style.frame)
        inner = (area[0] + int(em * 0.3), area[1] + int(em * 0.2), area[2] - int(em * 0.3), area[3])
        keep_out = None
        if only_drawing or rng.random() < style.drawing:
            full = only_drawing or (style.spread and rng.random() < 0.5)
            dw = inner[2] - inner[0] if full else int((inner[2] - inner[0]) * rng.uniform(0.35, 0.6))
            dh = inner[3] - inner[1] if full else int((inner[3] - inner[1]) * rng.uniform(0.25, 0.45))
            dx = inner[0] + int(rng.uniform(0, 1) * (inner[2] - inner[0] - dw))
            dy = inner[1] + int(rng.uniform(0, 1) * (inner[3] - inner[1] - dh))
            stamp(front, illustration(dh, dw, rng), dx, dy)
            keep_out = (dx, dy, dx + dw, dy + dh)
            if full:
                continue
        if not blank:
            for band in bands(style, front, inner, em, rng):
                lines += columns(
                    writer, style, front, band, em * (0.75 if style.table else 1), rng, True, keep_out
                )
        half = tuple(v // 2 for v in inner)
        columns(writer, style, back, half, em / 2, rng, False)

    back = cv2.GaussianBlur(cv2.resize(back[:, ::-1], (width, height)), (0, 0), rng.uniform(0.8, 2.0))
    ink = np.asarray(style.ink_rgb, np.float32)[::-1]
    photo = lay_ink(photo, back * style.bleed, ink * 0.5 + np.asarray(style.paper_rgb[::-1]) * 0.5)
    density = style.ink_density * (1 - 0.12 * (smooth_field((height, width), 9, rng) + 1) / 2)
    photo = lay_ink(photo, front * density, ink)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 0.9) * max(1.0, em / 130))
    noise = cv2.resize(rng.normal(0, 3, (height // 2, width // 2)).astype(np.float32), (width, height))
    photo += noise[..., None]
    return np.clip(photo, 0, 255).astype(np.uint8), lines
