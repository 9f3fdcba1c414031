"""Leakage-free page splits: by book (within one only if need be), the tune pages, the final models' split."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from data.annotations import load_train, plural
from data.infra.errors import DataError, run_cli, warn
from data.infra.io import write_json
from data.sources import first_source


def book_of(image_id: str) -> str:
    """The book a page belongs to: its image_id up to the first ``_`` or ``-``."""
    return re.split(r"[_-]", image_id, maxsplit=1)[0]


def split_books(
    image_ids: list[str], fraction: float, seed: int, name: str = "held-out"
) -> tuple[list[str], list[str]]:
    """Hold out about ``fraction`` of the pages, as whole books where it can: (kept, held out).

    Books join the held-out part in a random order while they fit in ``fraction`` of the pages;
    if none fits, the smallest book is held out when it holds at most twice that share. Otherwise
    (one book only, or only large books) a contiguous block of about ``fraction`` of the pages
    inside the largest book is held out, never all of it, with a one-line warning naming ``name``.
    """
    if len(image_ids) < 2:
        raise DataError(
            "train.csv", f"{name} split: need at least 2 pages to hold some out, found {len(image_ids)}"
        )
    books = [book_of(i) for i in image_ids]
    rng = np.random.default_rng(seed)
    sizes = pd.Series(books).value_counts().sort_index()
    sizes = sizes[rng.permutation(sizes.index.to_numpy())]
    held = whole_books(sizes, fraction * len(image_ids))
    if held:
        out = {i for i, b in zip(image_ids, books, strict=True) if b in held}
    else:
        out = page_block(image_ids, str(sizes.idxmax()), fraction, rng)
        warn_shared_book(name, sizes, out)
    return [i for i in image_ids if i not in out], [i for i in image_ids if i in out]


def whole_books(sizes: pd.Series, target: float) -> set[str]:
    """Books (pages per book, in a random order) to hold out for ``target`` pages; none if none fits.

    A book joins while the total stays within the target (at least one book is always kept); if
    none fits, the first smallest book joins when it has at most twice the target or every book
    has one page.
    """
    held: set[str] = set()
    total = 0
    for book, size in sizes.items():
        if total + size <= target and len(held) < len(sizes) - 1:
            held.add(book)
            total += size
    smallest = sizes.idxmin()
    if not held and len(sizes) > 1 and (sizes[smallest] <= 2 * target or sizes.max() == 1):
        held.add(smallest)
    return held


def page_block(image_ids: list[str], book: str, fraction: float, rng: np.random.Generator) -> set[str]:
    """A random contiguous run of ``book``'s pages (image_id order): ~``fraction`` of all, never all of it."""
    pages = sorted(i for i in image_ids if book_of(i) == book)
    n = min(max(round(fraction * len(image_ids)), 1), len(pages) - 1)
    start = int(rng.integers(0, len(pages) - n + 1))
    return set(pages[start : start + n])


def warn_shared_book(name: str, sizes: pd.Series, out: set[str]) -> None:
    """Warn, in one line, that held-out pages share their book with the pages the models fit."""
    book = book_of(next(iter(out)))
    why = f"only one book ({book})" if len(sizes) == 1 else "no book small enough to hold out whole"
    span = min(out) if len(out) == 1 else f"{min(out)} to {max(out)}"
    warn(
        f"{name} split: {why}, so it holds out {span}, {len(out)} of the {sizes[book]} pages of book "
        f"{book}; scores on them will be optimistic because they share the book with the pages the models fit"
    )


def make_split(
    data: str | Path,
    holdout: float = 0.15,
    detector_valid: float = 0.1,
    seed: int = 0,
    holdout_books: list[str] | None = None,
) -> dict[str, list[str]]:
    """Pages to fit, held out, and the detector's training and validation pages.

    In a union of sources (``data.sources``) only the first (real) source's books are held out or
    validate the detector; every page of the other sources trains. ``holdout_books`` names the
    books to hold out instead of drawing them; ``holdout`` 0 holds none out. A book too small for
    the splits still trains (``small_split``): each fallback is said in one line.
    """
    annotations = load_train(data)
    real = first_source(data, annotations.image_ids)
    if holdout_books is not None:
        unknown = sorted(set(holdout_books) - {book_of(i) for i in real})
        if unknown:
            raise DataError(Path(data) / "train.csv", f"no pages of book {unknown[0]} to hold out")
        out = {i for i in real if book_of(i) in holdout_books}
        kept, held = [i for i in real if i not in out], [i for i in real if i in out]
    elif holdout <= 0 or len(real) < 2:
        kept, held = real, []
        why = "holdout is 0" if holdout <= 0 else f"only {plural(len(real), 'page')} of the first source"
        warn(f"held-out split: {why}, so no page is held out and there is no held-out score")
    else:
        kept, held = split_books(real, holdout, seed)
    real_set, held_set = set(real), set(held)
    extra = [i for i in annotations.image_ids if i not in real_set]
    fit = [i for i in annotations.image_ids if i not in held_set]
    train, valid = small_split(kept, extra, detector_valid, seed + 1)
    order = {i: k for k, i in enumerate(annotations.image_ids)}
    train.sort(key=order.__getitem__)
    return {"fit": fit, "holdout": held, "detector_train": train, "detector_valid": valid}


def small_split(kept: list[str], extra: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """The detector's (training, validation) pages: ``fraction`` of the first source's ``kept``
    pages validate; with fewer than two, the other sources' pages (``extra``) do, and with none of
    those the one page both trains and validates. Each fallback is warned of in one line."""
    if len(kept) >= 2 or (not extra and not kept):
        train, valid = split_books(kept, fraction, seed, "detector-validation")
        return train + extra, valid
    if extra:
        train, valid = split_books(extra, fraction, seed, "detector-validation")
        warn(
            f"detector-validation split: {plural(len(kept), 'page')} of the first source left to fit, "
            f"so the detector validates on {plural(len(valid), 'page')} of the other sources"
        )
        return train + kept, valid
    warn(
        f"detector-validation split: only 1 page left to fit ({kept[0]}), so the detector validates "
        "on the page it trains on; its validation scores and the thresholds tuned there are optimistic "
        "because they share the page"
    )
    return list(kept), list(kept)


def unseen_tune_pages(split: dict[str, list[str]]) -> list[str]:
    """The tune pages the detector did not train on: those that can validate the recognizer (none
    when a one-page book's page both trains and validates, ``small_split``)."""
    trained = set(split["detector_train"])
    return [i for i in tune_pages(split) if i not in trained]


def tune_pages(split: dict[str, list[str]]) -> list[str]:
    """The pages neither model trains on: they validate both and choose the pipeline's thresholds."""
    return split["detector_valid"]


def refit_split(split: dict[str, list[str]], holdout: bool = True) -> dict[str, list[str]]:
    """The split of the final models: every page fits and trains the detector, held-out books and
    tune pages included; none is held out (``holdout=False``: the held-out books stay held out, as
    in ``bench/experiments/realcheck.py``). The tune pages still serve as the detector's validation pages
    (ultralytics wants some), so its metrics there are no longer unseen ones."""
    every, held = (split["fit"] + split["holdout"], []) if holdout else (split["fit"], split["holdout"])
    return {"fit": every, "holdout": held, "detector_train": every, "detector_valid": split["detector_valid"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Hold out whole books of train pages for end-to-end evaluation."
    )
    parser.add_argument("--data", help="Kaggle-layout folder")
    parser.add_argument("--out", required=True, help="split.json to write")
    parser.add_argument("--refit", help="a split.json: write the final models' split of it (refit_split)")
    parser.add_argument(
        "--holdout", type=float, default=0.15, help="fraction of pages held out (whole books)"
    )
    parser.add_argument("--detector-valid", type=float, default=0.1, help="fraction of the rest: tune pages")
    parser.add_argument("--holdout-books", nargs="+", help="hold out these books (of the first source)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.refit:
        final = refit_split(json.loads(Path(args.refit).read_text()))
        write_json(args.out, final)
        print(f"wrote {args.out}: all {len(final['fit'])} pages of {args.refit} fit the final models")
        return 0
    if not args.data:
        parser.error("--data is required (or --refit)")
    split = make_split(args.data, args.holdout, args.detector_valid, args.seed, args.holdout_books)
    write_json(args.out, split)
    fit, holdout, detector_valid = split["fit"], split["holdout"], split["detector_valid"]
    print(
        f"wrote {args.out}: {len(fit)} pages to fit ({len(detector_valid)} of them validate the detector), "
        f"{len(holdout)} held out from {len({book_of(i) for i in holdout})} books"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
