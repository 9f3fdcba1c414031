"""One book's look (``BookStyle``) and its writer: which faces draw each class, in which hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.synth.classes import REPEAT_MARK
from data.synth.glyphs import GlyphBank, Hand, repeat_mark, write


@dataclass(frozen=True)
class BookStyle:
    """Everything that makes the pages of one book look alike (lengths in page pixels)."""

    book: str
    height: int  # photographed page height
    aspect: float  # width / height of the photograph
    spread: bool  # two pages side by side with a gutter
    em: float  # character size
    font_weights: tuple[float, ...]
    hand: Hand
    column_pitch: float  # distance between column centres, in ems
    line_gap: float  # gap between characters in a column, in ems
    frame: int  # 0 none, 1 single rule, 2 double rule
    column_rules: bool
    table: bool  # a list laid out in ruled rows of short columns of smaller characters
    paper_rgb: tuple[float, float, float]
    ink_rgb: tuple[float, float, float]
    background: float  # grey level around the sheet
    ink_density: float
    stains: float
    bleed: float  # opacity of the mirrored other side
    connect: float  # probability of a connecting stroke between two characters
    furigana: float  # probability of a small unlabelled reading beside a kanji
    hentaigana: float  # probability that a kana is written as its source kanji
    drawing: float  # probability of a drawing on a page
    id_pattern: str  # "{book}_{page:05d}_1" or "{book}-{page:03d}"


@dataclass
class Writer:
    """Draws characters of one book: the glyph bank, the classes and which faces draw each."""

    bank: GlyphBank
    chars: list[str]
    probs: np.ndarray
    faces: list[np.ndarray]  # per class: indices of the faces that draw it
    # per class: the hentaigana sources it may be written as, each with the cursive faces drawing it
    variants: list[list[tuple[str, list[int]]]]

    def pick_face(self, weights: np.ndarray, allowed: np.ndarray, rng: np.random.Generator) -> int:
        w = weights[allowed]
        return int(rng.choice(allowed, p=w / w.sum())) if w.sum() > 0 else int(rng.choice(allowed))

    def glyph(self, style: BookStyle, k: int, size: float, rng: np.random.Generator) -> np.ndarray:
        """One written instance (alpha in [0, 1]) of class ``k`` at em ``size``."""
        char, weights = self.chars[k], np.asarray(style.font_weights)
        if char == REPEAT_MARK:
            return write(repeat_mark(rng), size, style.hand, rng)
        variants = self.variants[k]
        if variants and rng.random() < style.hentaigana:
            source, faces = variants[int(rng.integers(len(variants)))]
            face = int(rng.choice(faces))
            return write(self.bank.mask(face, source), size * 0.95, style.hand, rng)
        face = self.pick_face(weights, self.faces[k], rng)
        kana = "\u3041" <= char <= "\u30fa"
        return write(self.bank.mask(face, char), size * (0.88 if kana else 1.04), style.hand, rng)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.choice(len(self.chars), p=self.probs))
