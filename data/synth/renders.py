"""Synthetic help for rare classes: distorted font renders cut and binarized like real crops.

A class with few real samples gets ``per_class`` renders from the generator's own machinery: a
face that draws it (``data.fonts``), written in a random hand (``data.synth.glyphs.write``: warp, slant,
shear, aspect, stroke weight), laid on paper with noise, cut at its tight ink box as the
annotations are, then binarized, padded and resized by ``data.crops.preprocess``. They join the
crop cache as the source ``renders``; they never validate the recognizer.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from data.crops import RENDERS, SIZE, CropSet, preprocess
from data.fonts import coverage, glyph_faces
from data.synth.glyphs import GlyphBank, ink_box, random_hand, write


def render_one(bank: GlyphBank, face: int, char: str, rng: np.random.Generator) -> np.ndarray:
    """One written instance of ``char`` on noisy paper, cut at its ink box and preprocessed."""
    alpha = write(bank.mask(face, char), float(rng.uniform(48, 112)), random_hand(rng), rng)
    x, y, w, h = ink_box(alpha) or (0, 0, alpha.shape[1], alpha.shape[0])
    paper, ink = rng.uniform(190, 240), rng.uniform(15, 70)
    gray = paper - (paper - ink) * alpha + rng.normal(0, rng.uniform(2, 10), alpha.shape)
    return preprocess(np.clip(gray[y : y + h, x : x + w], 0, 255).astype(np.uint8))


def rare_classes(unicodes: np.ndarray, below: int) -> list[str]:
    """Classes with fewer than ``below`` samples among ``unicodes``, in code order."""
    return sorted(code for code, n in Counter(unicodes.tolist()).items() if n < below)


def render_crops(codes: list[str], per_class: int, weight: float = 1.0, seed: int = 0) -> tuple[CropSet, int]:
    """``per_class`` renders of each code a face draws (source ``renders``) and how many codes none draws."""
    faces = glyph_faces()
    drawn = [coverage(f.path) for f in faces]
    bank = GlyphBank([f.path for f in faces])
    rng = np.random.default_rng([seed, 3])
    images, labels, missing = [], [], 0
    for code in codes:
        point = int(code[2:], 16)
        usable = [k for k, d in enumerate(drawn) if point in d]
        if not usable:
            missing += 1
            continue
        for _ in range(per_class):
            images.append(render_one(bank, int(rng.choice(usable)), chr(point), rng))
            labels.append(code)
    n = len(images)
    crops = CropSet(
        images=np.stack(images) if images else np.zeros((0, SIZE, SIZE), np.uint8),
        unicodes=np.array(labels, dtype=str) if labels else np.zeros(0, "<U7"),
        pages=np.array([f"{RENDERS}~{c}" for c in labels], dtype=str) if labels else np.zeros(0, "<U16"),
        samples=np.arange(n, dtype=np.int64),
        sources=np.full(n, RENDERS),
        weights=np.full(n, weight, np.float32),
        source_names=np.array([RENDERS]),
    )
    return crops, missing


def with_renders(crops: CropSet, rare_below: int, per_class: int, seed: int = 0) -> CropSet:
    """``crops`` and ``per_class`` renders of each real class with fewer than ``rare_below`` crops."""
    rare = rare_classes(crops.unicodes[crops.real], rare_below)
    made, missing = render_crops(rare, per_class, seed=seed)
    made.samples += int(crops.samples.max(initial=-1)) + 1
    print(f"{len(made)} renders of {len(rare) - missing} rare classes ({missing} that no face draws)")
    return CropSet.join([crops, made])
