"""Glyph masks rendered from fonts, and their random distortion into unique character instances."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

EM = 96  # glyphs are rendered once at this size and warped to their page size


@dataclass(frozen=True)
class Hand:
    """How a scribe writes: stroke weight and how freely shapes are bent."""

    weight: float = 0.5  # 0 thin … 1 heavy strokes
    warp: float = 0.04  # elastic displacement, as a fraction of the character size
    slant: float = 3.0  # standard deviation of rotation, degrees
    shear: float = 0.08  # standard deviation of shear
    squash: float = 0.08  # standard deviation of the log aspect change
    stretch: float = 0.0  # mean log aspect change: > 0 writes taller, narrower characters


def random_hand(rng: np.random.Generator) -> Hand:
    """A scribe's hand drawn with the spread the generator gives its books."""
    return Hand(
        weight=float(rng.uniform(0.35, 0.85)),
        warp=float(rng.uniform(0.03, 0.08)),
        slant=float(rng.uniform(1, 5)),
        shear=float(rng.uniform(0.03, 0.15)),
        squash=float(rng.uniform(0.05, 0.15)),
        stretch=float(rng.uniform(0.0, 0.3)),
    )


class GlyphBank:
    """Renders each (font, character) once and caches its tight ink mask (uint8, ink = 255)."""

    def __init__(self, fonts: list[Path]) -> None:
        self.fonts = [ImageFont.truetype(str(path), int(EM * 0.9)) for path in fonts]
        self.cache: dict[tuple[int, str], np.ndarray] = {}

    def mask(self, font: int, char: str) -> np.ndarray:
        key = (font, char)
        if key not in self.cache:
            canvas = Image.new("L", (EM * 2, EM * 2), 0)
            ImageDraw.Draw(canvas).text((EM // 2, EM // 2), char, font=self.fonts[font], fill=255)
            ink = np.asarray(canvas)
            ys, xs = np.nonzero(ink > 32)
            if ys.size == 0:
                raise ValueError(f"font {font} has no glyph for {char!r}")
            self.cache[key] = np.ascontiguousarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
        return self.cache[key]


def repeat_mark(rng: np.random.Generator) -> np.ndarray:
    """The tall kana repetition mark 〱 as a mask: a long brush stroke bent once, two ems tall."""
    height, width = 2 * EM, int(EM * rng.uniform(0.35, 0.55))
    canvas = np.zeros((height + 16, width + 16), np.uint8)
    bend = (8 + int(width * rng.uniform(0.0, 0.2)), 8 + int(height * rng.uniform(0.4, 0.55)))
    top, foot = (8 + width, 8), (8 + int(width * rng.uniform(0.7, 1.0)), 8 + height)
    thick = max(3, int(EM * rng.uniform(0.06, 0.1)))
    for a, b in ((top, bend), (bend, foot)):
        cv2.line(canvas, a, b, 255, thick, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas)
    return np.ascontiguousarray(canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def smooth_field(shape: tuple[int, int], cells: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field in [-1, 1] of ``shape``, from a ``cells``×``cells`` grid."""
    coarse = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def write(mask: np.ndarray, size: float, hand: Hand, rng: np.random.Generator) -> np.ndarray:
    """Distort a glyph mask into one unique instance whose em is ``size`` px; returns alpha in [0, 1]."""
    h0, w0 = mask.shape
    scale = size / EM
    aspect = np.exp(rng.normal(-hand.stretch, hand.squash))
    sx, sy = scale * aspect**0.5, scale / aspect**0.5
    angle = np.deg2rad(rng.normal(0, hand.slant))
    shear = rng.normal(0, hand.shear)
    cos, sin = np.cos(angle), np.sin(angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    corners = np.array([[0, 0], [w0, 0], [0, h0], [w0, h0]], dtype=np.float64) - [w0 / 2, h0 / 2]
    extent = np.abs(corners @ linear.T).max(axis=0)
    pad = 3 + int(size * hand.warp * 2)
    out_w, out_h = int(2 * extent[0]) + 2 * pad, int(2 * extent[1]) + 2 * pad
    shift = np.array([out_w / 2, out_h / 2]) - linear @ np.array([w0 / 2, h0 / 2])
    matrix = np.hstack([linear, shift[:, None]]).astype(np.float32)
    alpha = cv2.warpAffine(mask.astype(np.float32) / 255, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)

    amplitude = size * hand.warp
    grid_x, grid_y = np.meshgrid(np.arange(out_w, dtype=np.float32), np.arange(out_h, dtype=np.float32))
    map_x = grid_x + amplitude * smooth_field((out_h, out_w), 4, rng)
    map_y = grid_y + amplitude * smooth_field((out_h, out_w), 4, rng)
    alpha = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR)

    # Stroke weight: blur, then cut at a level; a low cut thickens strokes, a high one thins them.
    sigma = max(0.6, size / 40)
    alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
    level = float(np.clip(0.62 - 0.4 * hand.weight + rng.normal(0, 0.05), 0.12, 0.8))
    return np.clip((alpha - level) / 0.18 + 0.5, 0, 1)


def ink_box(alpha: np.ndarray, threshold: float = 0.35) -> tuple[int, int, int, int] | None:
    """Tight (x, y, w, h) of the ink in an alpha patch, or None when it is blank."""
    ys, xs = np.nonzero(alpha > threshold)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
