"""What a preset draws: its books, each book's look, and every page's id, file and seed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from data.synth.book import BookStyle
from data.synth.glyphs import random_hand


@dataclass(frozen=True)
class Preset:
    """How much to generate, and at what pixel scale (1: the competition's page size)."""

    books: int
    train_pages: int
    test_pages: int
    classes: int
    scale: float = 1.0


PRESETS = {
    "full": Preset(books=28, train_pages=3881, test_pages=4150, classes=4212),
    "default": Preset(books=12, train_pages=168, test_pages=40, classes=4212),
    "fast": Preset(books=8, train_pages=48, test_pages=10, classes=4212),
    "tiny": Preset(books=3, train_pages=6, test_pages=3, classes=60, scale=0.16),
}


@dataclass(frozen=True)
class PageJob:
    image_id: str
    path: str
    style: BookStyle
    seed: int


def book_style(book: str, numeric: bool, n_faces: int, rng: np.random.Generator) -> BookStyle:
    """Draw the look of one book, with the spread of the real books' measurements."""
    spread = rng.random() < 0.12
    table = not spread and rng.random() < 0.1
    gray = rng.random() < 0.15  # a greyscale scan on white, as some holders publish
    cream = np.array([222, 206, 172]) + rng.normal(0, [10, 10, 14])
    paper_rgb = np.full(3, rng.uniform(225, 245)) if gray else cream
    ink = np.array([28, 24, 20]) + rng.uniform(0, 25) * np.array([1.2, 0.8, 0.4])
    weights = rng.dirichlet(np.full(n_faces, 0.4))
    return BookStyle(
        book=book,
        height=int(rng.uniform(2800, 3950)),
        aspect=float(rng.uniform(1.3, 1.45) if spread else rng.uniform(0.6, 0.8)),
        spread=bool(spread),
        em=float(np.clip(np.exp(rng.normal(np.log(160), 0.32)), 90, 300)),
        font_weights=tuple(float(w) for w in weights),
        hand=random_hand(rng),
        column_pitch=float(rng.uniform(1.45, 2.1)),
        line_gap=float(rng.uniform(0.03, 0.35)),
        frame=int(rng.choice(3, p=[0.2, 0.4, 0.4])),
        column_rules=bool(table or rng.random() < 0.2),
        table=bool(table),
        paper_rgb=tuple(float(c) for c in paper_rgb),
        ink_rgb=tuple(float(c) for c in (np.full(3, ink.mean()) if gray else ink)),
        background=float(rng.uniform(15, 70)),
        ink_density=float(rng.uniform(0.75, 0.95)),
        stains=0.0 if gray else float(rng.uniform(0, 1.5)),
        bleed=float(rng.uniform(0.05, 0.25)),
        connect=float(rng.uniform(0.05, 0.35)),
        furigana=float(rng.uniform(0, 0.5)),
        hentaigana=float(rng.uniform(0.1, 0.4)),
        drawing=float(rng.uniform(0, 0.15)),
        id_pattern="{book}_{page:05d}_1" if numeric else "{book}-{page:03d}",
    )


def book_sizes(books: int, pages: int, rng: np.random.Generator) -> np.ndarray:
    """Pages per book, as uneven as the real books (the competition's run from ten to several hundred)."""
    weights = np.exp(rng.normal(0, 0.8, books))
    least = max(1 if pages < 2 * books else 2, pages // (10 * books))
    sizes = least + np.floor(weights / weights.sum() * (pages - least * books)).astype(int)
    sizes[np.argmax(sizes)] += pages - sizes.sum()
    return sizes


def plan(preset: Preset, seed: int, n_faces: int, out: Path) -> tuple[list[PageJob], list[PageJob]]:
    """Decide every book and page: train pages by book, test pages from seen and unseen books."""
    rng = np.random.default_rng(seed)
    n_new = max(1, preset.books // 3)
    styles = []
    for b in range(preset.books + n_new):
        numeric = b % 2 == 0
        letters = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 4))
        name = f"{int(rng.integers(100000000, 400000000))}" if numeric else f"{letters}{b:03d}"
        styles.append(book_style(name, numeric, n_faces, rng))
    seeds = iter(np.random.SeedSequence(seed).generate_state(preset.train_pages + preset.test_pages))
    train = []
    for style, size in zip(styles, book_sizes(preset.books, preset.train_pages, rng), strict=False):
        for p in range(1, size + 1):
            image_id = style.id_pattern.format(book=style.book, page=p)
            train.append(
                PageJob(image_id, str(out / "train_images" / f"{image_id}.jpg"), style, int(next(seeds)))
            )
    test = []
    for t in range(preset.test_pages):
        style = styles[t % len(styles)]
        image_id = "test_" + hashlib.sha1(f"{seed}-{t}".encode()).hexdigest()[:8]
        test.append(PageJob(image_id, str(out / "test_images" / f"{image_id}.jpg"), style, int(next(seeds))))
    return train, test


def pages_of(preset: Preset, pages: int) -> Preset:
    """The preset cut to ``pages`` train pages, with test pages in proportion."""
    test = max(1, round(pages * preset.test_pages / preset.train_pages))
    return replace(preset, books=min(preset.books, pages), train_pages=pages, test_pages=test)
