"""Leakage-free splits: pages by book, crops by source sample, page or book."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataError, run_cli
from data.formats import read_annotations, read_translation
from data.io import write_json


def book_of(image_id: str) -> str:
    """The book a page belongs to: its image_id up to the first ``_`` or ``-``."""
    return re.split(r"[_-]", image_id, maxsplit=1)[0]


def split_books(image_ids: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Hold out whole books holding about ``fraction`` of the pages (at least one book, never all)."""
    books = pd.Series([book_of(i) for i in image_ids])
    sizes = books.value_counts().sort_index()
    if len(sizes) < 2:
        raise DataError("train.csv", f"need pages from at least 2 books to hold some out, found {len(sizes)}")
    order = np.random.default_rng(seed).permutation(sizes.index.to_numpy())
    held, total = set(), 0
    for book in order[:-1]:
        if held and total + sizes[book] > fraction * len(image_ids):
            break
        held.add(book)
        total += sizes[book]
    keep = [i for i, b in zip(image_ids, books, strict=True) if b not in held]
    out = [i for i, b in zip(image_ids, books, strict=True) if b in held]
    return keep, out


def split_crops(
    unicodes: np.ndarray, groups: np.ndarray, fraction: float, by_sample: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices: no sample on both sides, and every validation class is trained.

    ``by_sample``: each class sends ~``fraction`` of its samples to validation, never its last
    one, so a class with a single sample is train-only. Otherwise whole ``groups`` (pages or
    books) go to validation, except the samples of a class that would then have no training
    sample: those stay in training.
    """
    rng = np.random.default_rng(seed)
    n = len(unicodes)
    codes, labels = np.unique(unicodes, return_inverse=True)
    if by_sample:
        counts = np.bincount(labels)
        order = np.lexsort((rng.random(n), labels))
        rank = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
        quota = np.minimum(np.floor(fraction * counts + rng.random(len(counts))), counts - 1)
        valid = np.zeros(n, bool)
        valid[order] = rank < quota[labels[order]]
    else:
        names, group_ids = np.unique(groups, return_inverse=True)
        chosen = rng.random(len(names)) < fraction
        valid = chosen[group_ids]
        trained = np.zeros(len(codes), bool)
        trained[labels[~valid]] = True
        valid &= trained[labels]
    return np.flatnonzero(~valid), np.flatnonzero(valid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Hold out whole books of train pages for end-to-end evaluation."
    )
    parser.add_argument("--data", required=True, help="Kaggle-layout folder")
    parser.add_argument("--out", required=True, help="split.json to write")
    parser.add_argument(
        "--holdout", type=float, default=0.15, help="fraction of pages held out (whole books)"
    )
    parser.add_argument(
        "--detector-valid", type=float, default=0.1, help="fraction of the rest for detector validation"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = Path(args.data)
    annotations = read_annotations(
        data / "train.csv", read_translation(data / "unicode_translation.csv"), data / "train_images"
    )
    fit, holdout = split_books(annotations.image_ids, args.holdout, args.seed)
    detector_train, detector_valid = split_books(fit, args.detector_valid, args.seed + 1)
    write_json(
        args.out,
        {"fit": fit, "holdout": holdout, "detector_train": detector_train, "detector_valid": detector_valid},
    )
    print(
        f"wrote {args.out}: {len(fit)} pages to fit ({len(detector_valid)} of them validate the detector), "
        f"{len(holdout)} held out from {len({book_of(i) for i in holdout})} books"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
