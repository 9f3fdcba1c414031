"""Paper, stains, illustrations and bleed-through for generated pages (float images, 0–255)."""

from __future__ import annotations

import cv2
import numpy as np

from data.synth.glyphs import smooth_field


def paper(
    height: int, width: int, rgb: tuple[float, float, float], stains: float, rng: np.random.Generator
) -> np.ndarray:
    """Cream paper: uneven tone, vertical fibres, darker edges, water stains and foxing spots."""
    tone = 1 + 0.035 * smooth_field((height, width), 5, rng)
    fibres = rng.normal(0, 1, (max(height // 6, 2), max(width // 24, 2))).astype(np.float32)
    tone += 0.012 * cv2.resize(fibres, (width, height), interpolation=cv2.INTER_LINEAR)
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    tone -= 0.05 * np.clip(np.maximum(np.abs(xs), np.abs(ys)) - 0.85, 0, None) / 0.15
    page = tone[..., None] * np.asarray(rgb, dtype=np.float32)[::-1]  # BGR

    stain = np.zeros((height // 8 + 1, width // 8 + 1), np.float32)
    for _ in range(rng.poisson(3 * stains)):
        center = (int(rng.integers(0, stain.shape[1])), int(rng.integers(0, stain.shape[0])))
        axes = (int(rng.integers(3, 30)), int(rng.integers(3, 30)))
        cv2.ellipse(stain, center, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.3, 1)), -1)
    for _ in range(rng.poisson(25 * stains)):
        center = (int(rng.integers(0, stain.shape[1])), int(rng.integers(0, stain.shape[0])))
        cv2.circle(stain, center, int(rng.integers(0, 2)), float(rng.uniform(0.5, 1.5)), -1)
    stain = cv2.resize(cv2.GaussianBlur(stain, (0, 0), 1.5), (width, height), interpolation=cv2.INTER_LINEAR)
    brown = np.array([40, 90, 140], np.float32)  # BGR
    return page * (1 - 0.18 * stain[..., None]) + brown * 0.18 * stain[..., None]


def illustration(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An ink drawing with no characters (alpha in [0, 1]): curves, hatching and washed areas."""
    canvas = np.zeros((height, width), np.float32)
    for _ in range(rng.integers(3, 9)):  # washed areas
        points = rng.uniform([0, 0], [width, height], (rng.integers(3, 7), 2)).astype(np.int32)
        cv2.fillPoly(canvas, [cv2.convexHull(points)], float(rng.uniform(0.1, 0.35)))
    for _ in range(rng.integers(4, 14)):  # flowing strokes
        steps = rng.normal(0, 1, (60, 2)).cumsum(axis=0)
        steps = cv2.GaussianBlur(steps.astype(np.float32), (1, 0), 4).reshape(-1, 2)
        span = steps.max(axis=0) - steps.min(axis=0) + 1e-6
        curve = (steps - steps.min(axis=0)) / span * rng.uniform(0.3, 1, 2) * [width, height]
        curve += rng.uniform(0, 1, 2) * ([width, height] - curve.max(axis=0))
        cv2.polylines(canvas, [curve.astype(np.int32)], False, 1.0, int(rng.integers(1, 4)), cv2.LINE_AA)
    for _ in range(rng.integers(0, 3)):  # hatching
        x0, y0 = rng.uniform(0, 0.7, 2) * [width, height]
        gap = int(rng.integers(5, 12))
        for k in range(int(rng.integers(5, 20))):
            p1 = (int(x0 + k * gap), int(y0))
            p2 = (int(x0 + k * gap + rng.uniform(-20, 20)), int(y0 + rng.uniform(30, 120)))
            cv2.line(canvas, p1, p2, 0.8, 1, cv2.LINE_AA)
    return np.clip(canvas, 0, 1)


def lay_ink(page: np.ndarray, alpha: np.ndarray, bgr: np.ndarray) -> np.ndarray:
    """Lay ink of colour ``bgr`` over the float32 ``page`` (in place) with per-pixel opacity ``alpha``."""
    for c in range(3):
        channel = page[..., c]
        channel -= (channel - np.float32(bgr[c])) * alpha
    return page
