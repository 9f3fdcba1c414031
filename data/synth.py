"""The embedded default data set: generated kuzushiji-like pages in exactly the Kaggle layout.

``python -m data.synth --out DIR [--preset default|fast|tiny] [--seed 0]`` writes DIR/ with
train.csv, unicode_translation.csv, sample_submission.csv, train_images/*.jpg, test_images/*.jpg,
test_answers.csv (the held-out truth for the test pages, in train.csv format) and synth.json.

Pages are books: each book has its own paper, ink, hand, fonts and layout. Characters run in
vertical columns read right to left; small unlabelled side notes, connecting strokes, drawings,
stains and faint mirrored bleed-through from the other side of the sheet make it realistic.
Class frequencies follow a long tail: hiragana on top, thousands of kanji below, many classes
seen once or twice. The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data.errors import run_cli
from data.fonts import coverage, glyph_fonts
from data.formats import Annotations, boxes_frame, write_annotations, write_rows, write_translation
from data.glyphs import GlyphBank, Hand, ink_box, smooth_field, write
from data.paper import illustration, lay_ink, paper


@dataclass(frozen=True)
class Preset:
    """How much to generate."""

    books: int
    pages_per_book: int
    test_pages: int
    classes: int
    page_height: tuple[int, int]
    tail: float  # how steeply kanji frequencies fall off (higher: more classes seen once or twice)


PRESETS = {
    "default": Preset(
        books=15, pages_per_book=20, test_pages=60, classes=1000, page_height=(1100, 1400), tail=1.6
    ),
    "fast": Preset(
        books=10, pages_per_book=10, test_pages=15, classes=300, page_height=(1100, 1400), tail=1.8
    ),
    "tiny": Preset(books=3, pages_per_book=2, test_pages=3, classes=40, page_height=(420, 520), tail=2.0),
}


@dataclass(frozen=True)
class BookStyle:
    """Everything that makes the pages of one book look alike."""

    book: str
    height: int
    width: int
    font_weights: tuple[float, ...]
    hand: Hand
    char_size: float  # character em as a fraction of the page height
    column_pitch: float  # distance between column centres, in character sizes
    line_gap: float  # gap between characters in a column, in character sizes
    paper_rgb: tuple[float, float, float]
    ink_rgb: tuple[float, float, float]
    ink_density: float
    stains: float
    bleed: float  # opacity of the mirrored other side
    connect: float  # probability of a connecting stroke between two characters
    side_notes: float  # probability of a small unlabelled note beside a column
    drawing: float  # probability of a drawing on a page
    id_pattern: str  # "{book}_{page:05d}_1" or "{book}-{page:03d}"


@dataclass(frozen=True)
class PageJob:
    image_id: str
    path: str
    style: BookStyle
    seed: int


def book_style(book: str, numeric: bool, preset: Preset, n_fonts: int, rng: np.random.Generator) -> BookStyle:
    """Draw the look of one book."""
    height = int(rng.uniform(*preset.page_height))
    weights = rng.dirichlet(np.full(n_fonts, 0.5))
    weights[1 % n_fonts] += 0.5  # the serif face reads most like brush writing
    hand = Hand(
        weight=float(rng.uniform(0.45, 0.9)),
        warp=float(rng.uniform(0.02, 0.07)),
        slant=float(rng.uniform(1, 5)),
        shear=float(rng.uniform(0.03, 0.15)),
        squash=float(rng.uniform(0.04, 0.12)),
    )
    cream = np.array([232, 218, 188]) + rng.normal(0, [8, 8, 12])
    ink = np.array([30, 24, 20]) + rng.uniform(0, 25) * np.array([1.2, 0.8, 0.4])
    return BookStyle(
        book=book,
        height=height,
        width=int(height * rng.uniform(0.66, 0.82)),
        font_weights=tuple(float(w) for w in weights / weights.sum()),
        hand=hand,
        char_size=float(rng.uniform(1 / 36, 1 / 26)),
        column_pitch=float(rng.uniform(1.25, 1.75)),
        line_gap=float(rng.uniform(0.04, 0.3)),
        paper_rgb=tuple(float(c) for c in cream),
        ink_rgb=tuple(float(c) for c in ink),
        ink_density=float(rng.uniform(0.75, 0.95)),
        stains=float(rng.uniform(0, 1.5)),
        bleed=float(rng.uniform(0.1, 0.28)),
        connect=float(rng.uniform(0, 0.3)),
        side_notes=float(rng.uniform(0, 0.25)),
        drawing=float(rng.uniform(0, 0.25)),
        id_pattern="{book}_{page:05d}_1" if numeric else "{book}-{page:03d}",
    )


SMALL_KANA = frozenset("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ")
HEAD_MASS = 0.6  # share of all characters taken by the hiragana at the top of the ranking


def class_inventory(
    n_classes: int, tail: float, fonts: list[Path], rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Characters every font has, ranked by frequency, and their probabilities.

    Hiragana take the top ranks and ``HEAD_MASS`` of the characters; katakana and kanji share the
    rest under a power law of exponent ``tail``, so the last ranks are seen once or twice or never.
    """
    common = frozenset.intersection(*(coverage(f) for f in fonts))
    usable = [c for c in range(0x3041, 0x3097) if c in common and chr(c) not in SMALL_KANA]
    hiragana = [chr(c) for c in usable]
    others = [chr(c) for c in range(0x30A1, 0x30FB) if c in common and chr(c) not in SMALL_KANA]
    others += [chr(c) for c in range(0x4E00, 0xA000) if c in common]
    rng.shuffle(hiragana)
    n_head = min(len(hiragana), n_classes // 3)
    chosen = hiragana[:n_head] + [str(c) for c in rng.choice(others, n_classes - n_head, replace=False)]
    head = 1 / (np.arange(n_head) + 4.0)
    rest = 1 / (np.arange(n_classes - n_head) + 4.0) ** tail
    probs = np.concatenate([HEAD_MASS * head / head.sum(), (1 - HEAD_MASS) * rest / rest.sum()])
    return chosen, probs


# --- one page ----------------------------------------------------------------------------------

_bank: GlyphBank | None = None
_chars: list[str] = []
_probs: np.ndarray = np.zeros(0)


def _init_worker(fonts: list[Path], chars: list[str], probs: np.ndarray) -> None:
    global _bank, _chars, _probs
    cv2.setNumThreads(1)
    _bank, _chars, _probs = GlyphBank(fonts), chars, probs


def _stamp(canvas: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Max-composite an alpha patch into the canvas at (x, y), clipped to the canvas."""
    h, w = alpha.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, alpha[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def _char(style: BookStyle, size: float, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """Pick a class by frequency and write one instance of it."""
    assert _bank is not None
    k = int(rng.choice(len(_chars), p=_probs))
    font = int(rng.choice(len(style.font_weights), p=style.font_weights))
    kana = "\u3041" <= _chars[k] <= "\u30fa"
    return k, write(_bank.mask(font, _chars[k]), size * (0.88 if kana else 1.04), style.hand, rng)


def _columns(
    style: BookStyle,
    canvas: np.ndarray,
    rng: np.random.Generator,
    keep_out: tuple[int, ...] | None,
    labelled: bool,
) -> list[tuple[int, int, int, int, int]]:
    """Write columns of characters right to left; return (class, x, y, w, h) of each labelled one."""
    height, width = canvas.shape
    size = style.char_size * height
    pitch = size * style.column_pitch
    top, bottom = int(height * rng.uniform(0.06, 0.1)), int(height * (1 - rng.uniform(0.06, 0.1)))
    left, right = int(width * rng.uniform(0.05, 0.09)), int(width * (1 - rng.uniform(0.05, 0.09)))
    boxes = []
    cx = right - size / 2
    while cx - size / 2 > left:
        drift = rng.normal(0, 0.015)
        y = top + (rng.uniform(0.5, 2.5) * size if rng.random() < 0.15 else 0)
        end = bottom if rng.random() > 0.2 else top + rng.uniform(0.2, 1) * (bottom - top)
        notes = labelled and style.column_pitch > 1.45 and rng.random() < style.side_notes
        previous = None
        while True:
            k, alpha = _char(style, size * rng.uniform(0.85, 1.12), rng)
            box = ink_box(alpha)
            if box is None:
                continue
            bx, by, bw, bh = box
            x = int(cx + drift * (y - top) + rng.normal(0, 0.04 * size) - bx - bw / 2)
            if y + bh > end:
                break
            if (
                keep_out
                and x + bx < keep_out[2]
                and x + bx + bw > keep_out[0]
                and y + bh > keep_out[1]
                and y < keep_out[3]
            ):
                y = keep_out[3] + size * 0.3
                previous = None
                continue
            py = int(y) - by
            _stamp(canvas, alpha, x, py)
            if previous is not None and rng.random() < style.connect:
                _connect(canvas, previous, (x + bx + bw // 2, py + by), size, rng)
            if notes and rng.random() < 0.5:
                _, note = _char(style, size * 0.42, rng)
                _stamp(canvas, note, int(x + bx + bw + size * 0.12), py + by)
            if labelled:
                boxes.append((k, x + bx, py + by, bw, bh))
            previous = (x + bx + bw // 2, py + by + bh)
            y += bh + size * style.line_gap * rng.uniform(0.4, 1.6)
        cx -= pitch * rng.uniform(0.95, 1.05)
    return boxes


def _connect(
    canvas: np.ndarray, start: tuple[int, int], end: tuple[int, int], size: float, rng: np.random.Generator
) -> None:
    """A thin flowing stroke from the foot of one character to the head of the next."""
    mid = ((start[0] + end[0]) / 2 + rng.normal(0, size * 0.15), (start[1] + end[1]) / 2)
    t = np.linspace(0, 1, 12)[:, None]
    curve = (1 - t) ** 2 * np.array(start) + 2 * (1 - t) * t * np.array(mid) + t**2 * np.array(end)
    layer = np.zeros_like(canvas)
    cv2.polylines(layer, [curve.astype(np.int32)], False, 0.9, max(1, int(size / 25)), cv2.LINE_AA)
    np.maximum(canvas, layer, out=canvas)


def render_page(job: PageJob) -> list[tuple[int, int, int, int, int]]:
    """Render one page to ``job.path`` (JPEG); return its labelled boxes (class, x, y, w, h)."""
    style, rng = job.style, np.random.default_rng(job.seed)
    height = int(style.height * rng.uniform(0.98, 1.02))
    width = int(style.width * rng.uniform(0.98, 1.02))
    page = paper(height, width, style.paper_rgb, style.stains, rng)
    front = np.zeros((height, width), np.float32)
    boxes: list[tuple[int, int, int, int, int]] = []
    only_drawing = rng.random() < 0.04
    if only_drawing or rng.random() < style.drawing:
        dh, dw = (
            (int(height * 0.8), int(width * 0.85))
            if only_drawing
            else (int(height * rng.uniform(0.25, 0.45)), int(width * rng.uniform(0.35, 0.6)))
        )
        dx, dy = int(rng.uniform(0.07, 0.93) * width - dw / 2), int(rng.uniform(0.08, 0.92) * height - dh / 2)
        dx, dy = int(np.clip(dx, 0, width - dw)), int(np.clip(dy, 0, height - dh))
        _stamp(front, illustration(dh, dw, rng), dx, dy)
        keep_out = (dx, dy, dx + dw, dy + dh)
    else:
        keep_out = None
    if not only_drawing:
        boxes = _columns(style, front, rng, keep_out, labelled=True)

    back = np.zeros((height // 2, width // 2), np.float32)  # the other side, unlabelled and mirrored
    _columns(style, back, rng, None, labelled=False)
    back = cv2.GaussianBlur(cv2.resize(back[:, ::-1], (width, height)), (0, 0), rng.uniform(0.8, 2.0))
    ink = np.asarray(style.ink_rgb, np.float32)[::-1]
    page = lay_ink(page, back * style.bleed, ink * 0.5 + page.mean(axis=(0, 1)) * 0.5)
    density = style.ink_density * (1 - 0.12 * (smooth_field((height, width), 9, rng) + 1) / 2)
    page = lay_ink(page, front * density, ink)
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.4, 0.8))
    page += rng.normal(0, rng.uniform(1.5, 4), page.shape[:2])[..., None].astype(np.float32)
    ok, encoded = cv2.imencode(
        ".jpg", np.clip(page, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(82, 94))]
    )
    assert ok
    Path(job.path).write_bytes(encoded.tobytes())
    return boxes


# --- the whole data set ------------------------------------------------------------------------


def plan(preset: Preset, seed: int, n_fonts: int, out: Path) -> tuple[list[PageJob], list[PageJob]]:
    """Decide every book and page: train pages by book, test pages from seen and unseen books."""
    rng = np.random.default_rng(seed)
    n_new = max(1, preset.books // 3)
    styles = []
    for b in range(preset.books + n_new):
        numeric = b % 2 == 0
        name = (
            f"{int(rng.integers(100000000, 400000000))}"
            if numeric
            else (
                "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 4))
                + f"{int(rng.integers(1, 999)):03d}"
            )
        )
        styles.append(book_style(name, numeric, preset, n_fonts, rng))
    seeds = iter(
        np.random.SeedSequence(seed).generate_state(
            10 * (preset.books + 1) * preset.pages_per_book + 10 * preset.test_pages
        )
    )
    train = []
    for style in styles[: preset.books]:
        for p in range(1, preset.pages_per_book + 1):
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


def generate(out: str | Path, preset: str = "default", seed: int = 0, workers: int | None = None) -> Path:
    """Generate the data set into ``out`` (replaced atomically when complete)."""
    out = Path(out)
    config = PRESETS[preset]
    fonts = glyph_fonts()
    chars, probs = class_inventory(config.classes, config.tail, fonts, np.random.default_rng(seed + 1))
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "train_images").mkdir(parents=True)
    (partial / "test_images").mkdir()
    train, test = plan(config, seed, len(fonts), partial)
    workers = workers or min(os.cpu_count() or 1, 8)
    start = time.time()
    with multiprocessing.get_context("fork").Pool(workers, _init_worker, (fonts, chars, probs)) as pool:
        results = list(
            tqdm(
                pool.imap(render_page, train + test, chunksize=2),
                total=len(train) + len(test),
                desc=f"generating {preset} pages",
                unit="page",
            )
        )

    codes = [f"U+{ord(c):04X}" for c in chars]

    def annotations(
        jobs: list[PageJob], page_boxes: list[list[tuple[int, int, int, int, int]]]
    ) -> Annotations:
        owners = [job.image_id for job, boxes in zip(jobs, page_boxes, strict=True) for _ in boxes]
        flat = [b for boxes in page_boxes for b in boxes]
        values = np.array([b[1:] for b in flat], dtype=np.int64).reshape(-1, 4)
        return Annotations(
            [j.image_id for j in jobs], boxes_frame(owners, [codes[b[0]] for b in flat], values)
        )

    write_annotations(annotations(train, results[: len(train)]), partial / "train.csv")
    write_annotations(annotations(test, results[len(train) :]), partial / "test_answers.csv")
    extra = [c for c in range(0x4E00, 0x4E00 + 4 * config.classes) if chr(c) not in set(chars)][
        : config.classes // 10
    ]
    table = {f"U+{ord(c):04X}": c for c in sorted(set(chars) | {chr(c) for c in extra}, key=ord)}
    write_translation(table, partial / "unicode_translation.csv")
    placeholder = f"{codes[0]} 1 1 {codes[1]} 2 2"
    write_rows(
        partial / "sample_submission.csv",
        ["image_id", "labels"],
        [(job.image_id, placeholder) for job in sorted(test, key=lambda j: j.image_id)],
    )
    n_chars = sum(len(r) for r in results[: len(train)])
    summary = {
        "preset": preset,
        "seed": seed,
        **asdict(config),
        "train_pages": len(train),
        "test_pages": len(test),
        "train_characters": n_chars,
        "seconds": round(time.time() - start, 1),
    }
    (partial / "synth.json").write_text(json.dumps(summary, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the embedded kuzushiji-like data set (Kaggle layout)."
    )
    parser.add_argument("--out", required=True, help="output folder (replaced when generation completes)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores, at most 8)")
    args = parser.parse_args(argv)
    out = generate(args.out, args.preset, args.seed, args.workers)
    summary = json.loads((out / "synth.json").read_text())
    print(
        f"wrote {out}: {summary['train_pages']} train pages ({summary['train_characters']} characters), "
        f"{summary['test_pages']} test pages in {summary['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
