"""The reading order alone: true boxes put in order by our code, scored against the true text.

    python -m bench.order [--pages 3] [--scale 0.25] [--real ../shared/realpages] [--profile P --set S]

Renders ``--pages`` pages of every book style of the ``full`` preset (28 books, and the books
that only test pages come from, drawn with the profile's ``seed`` as the generator draws them) at
``--scale``, then the same books laid out as tables, and
prints the CER of ordering their true boxes against the order the generator recorded, book by
book where there are errors. With ``--real`` (a Kaggle-layout folder) it also orders the real
pages' boxes against their annotation order, page by page.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from data.annotations import read_annotations
from data.fonts import glyph_faces
from data.infra.cli import add_settings_options, settings_of
from data.synth.classes import inventory
from data.synth.generate import drawable, writer_for
from data.synth.layout import render
from data.synth.plan import PRESETS, plan
from data.truth_order import true_order
from submit.cer import cer, edit_distance
from submit.reading.order import reading_order
from submit.reading.transcribe import ordered_truth, truth_text


def generated(pages: int, scale: float, tables: bool, seed: int) -> dict:
    """Edits in ordering each book's true boxes, compared by box so that equal characters hide no swap."""
    faces = glyph_faces()
    writer = writer_for(faces, inventory(drawable(faces), 300, np.random.default_rng(seed + 1)))
    train, test = plan(PRESETS["full"], seed, len(faces), Path("unused"))
    styles = {job.style.book: job.style for job in train + test}
    if tables:
        styles = {k: dataclasses.replace(s, table=True) for k, s in styles.items() if not s.spread}
    edits = characters = 0
    for b, (book, style) in enumerate(styles.items()):
        book_edits = book_characters = 0
        for p in range(pages):
            _, columns = render(writer, style, 1000 * b + p, scale)
            boxes = np.array([box[1:] for column in columns for box in column]).reshape(-1, 4)
            book_edits += edit_distance(reading_order(boxes).sequence.tolist(), list(range(len(boxes))))
            book_characters += len(boxes)
        if book_edits:
            kind = "spread" if style.spread else "table" if style.table else "page"
            print(f"  {book} ({kind}, em {style.em:.0f} px): {book_edits} edits in {book_characters}")
        edits, characters = edits + book_edits, characters + book_characters
    return {"books": len(styles), "edits": edits, "characters": characters, "cer": edits / max(characters, 1)}


def real(folder: Path) -> dict:
    """Ordering-only CER of real pages against their annotation order, per page and pooled."""
    pages = read_annotations(folder / "train.csv").page_boxes()
    orders = true_order(folder, pages)
    pairs = {i: (ordered_truth(page), truth_text(page, orders[i])) for i, page in pages.items()}
    for image_id, pair in pairs.items():
        r = cer([pair])
        print(f"  {image_id:24s} {r['edits']:4d} edits in {r['characters']:4d}  CER {r['cer']:.4f}")
    return cer(pairs.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3, help="pages per book style")
    parser.add_argument("--scale", type=float, default=0.25, help="page scale (1: the competition's size)")
    parser.add_argument("--real", type=Path, help="a Kaggle-layout folder of real pages")
    add_settings_options(parser)
    parser.set_defaults(device="cpu")  # nothing runs on a device: the profile is the CPU's unless named
    args = parser.parse_args(argv)
    seed = settings_of(args)["seed"]
    for tables in (False, True):
        result = generated(args.pages, args.scale, tables, seed)
        what = "as tables" if tables else "as drawn"
        print(
            f"generated, {result['books']} book styles {what}, {args.pages} pages each: "
            f"{result['edits']} edits in {result['characters']} characters, CER {result['cer']:.4f}"
        )
    if args.real:
        result = real(args.real)
        print(
            f"real pages in {args.real}: {result['edits']} edits in {result['characters']} characters, "
            f"CER {result['cer']:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
