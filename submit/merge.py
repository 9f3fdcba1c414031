"""Join the shards of a sharded prediction (``submit.predict --shard i/n``) into one validated submission.

    python -m submit.merge --data DATA --out submission.csv part-0.csv part-1.csv ...

Every test page must come from exactly one part; the whole file is validated like any submission
(every page once, known codes, points inside their page) before it replaces ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from data.formats import read_points, read_translation
from data.infra.errors import DataError, run_cli
from submit.submission import expected_pages, write_submission


def merge(parts: list[str | Path], data: str | Path, out: str | Path) -> int:
    """Write the union of ``parts`` as ``out``; return the number of points."""
    data = Path(data)
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")
    owner: dict[str, Path] = {}
    frames = []
    for part in map(Path, parts):
        ids, points = read_points(part)
        for image_id in ids:
            if image_id in owner:
                raise DataError(part, f"page {image_id} is also in {owner[image_id]}")
            owner[image_id] = part
        frames.append(points)
    missing = [p for p in pages if p not in owner]
    if missing:
        raise DataError(
            out, f"page {missing[0]} is in no part ({len(missing)} pages missing): is a shard missing?"
        )
    points = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    # the parts were validated against the recognizer's classes when they were written
    known = set(read_translation(data / "unicode_translation.csv")) | set(points.get("unicode", []))
    return write_submission(points, pages, out, known, data / "test_images")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", help="the shards' submission CSVs")
    parser.add_argument(
        "--data", required=True, help="Kaggle-layout folder (sample_submission.csv, test_images/)"
    )
    parser.add_argument("--out", required=True, help="the merged submission CSV")
    args = parser.parse_args(argv)
    n = merge(args.parts, args.data, args.out)
    print(f"wrote {args.out}: {len(args.parts)} parts, {n} points")
    return 0


if __name__ == "__main__":
    run_cli(main)
