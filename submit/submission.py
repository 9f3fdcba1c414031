"""Write and validate submission CSVs (``image_id,labels`` with ``U+XXXX x y`` points)."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from data.annotations import plural
from data.formats import format_labels, read_points, read_sample_submission, read_translation, write_rows
from data.infra.errors import DataError, run_cli, warn
from data.infra.io import atomic_path, image_size

MAX_POINTS_PER_PAGE = 1200  # the competition's limit


def expected_pages(sample: str | Path | None, image_dir: str | Path | None) -> list[str]:
    """The pages a submission must cover: sample_submission's rows, else the test image folder."""
    if sample is not None and Path(sample).is_file():
        return read_sample_submission(sample)
    if image_dir is not None and Path(image_dir).is_dir():
        ids = sorted(p.stem for p in Path(image_dir).glob("*.jpg"))
        if ids:
            return ids
    raise DataError(
        sample or image_dir or "?", "no sample_submission.csv and no test images to take the pages from"
    )


def validate_submission(
    path: str | Path, image_ids: list[str], known: Collection[str], image_dir: str | Path | None = None
) -> int:
    """Check a submission; return its number of points or raise DataError naming the problem."""
    ids, points = read_points(path, known)
    expected = set(image_ids)
    missing = [i for i in image_ids if i not in set(ids)]
    if missing:
        raise DataError(path, f"page {missing[0]} is missing ({len(missing)} pages missing)")
    extra = [i for i in ids if i not in expected]
    if extra:
        raise DataError(path, f"page {extra[0]} is not a test page ({len(extra)} unexpected pages)")
    counts = points.groupby("image_id").size()
    if len(counts) and counts.max() > MAX_POINTS_PER_PAGE:
        raise DataError(
            path, f"page {counts.idxmax()} has {counts.max()} points (limit {MAX_POINTS_PER_PAGE})"
        )
    if image_dir is not None:
        for image_id, page in points.groupby("image_id", sort=False):
            width, height = image_size(Path(image_dir) / f"{image_id}.jpg")
            outside = (page["x"] < 0) | (page["x"] >= width) | (page["y"] < 0) | (page["y"] >= height)
            if outside.any():
                row = page[outside].iloc[0]
                raise DataError(
                    path,
                    f"point {row['unicode']} {row['x']} {row['y']} lies outside the "
                    f"{width}x{height} page {image_id}",
                )
    return len(points)


def top_points(points: pd.DataFrame, limit: int = MAX_POINTS_PER_PAGE) -> np.ndarray:
    """Which points are among the ``limit`` highest-scored of their page (ties: the earlier point)."""
    rank = points.groupby("image_id", sort=False)["score"].rank(method="first", ascending=False)
    return (rank <= limit).to_numpy()


def write_submission(
    points: pd.DataFrame,
    image_ids: list[str],
    path: str | Path,
    known: Collection[str],
    image_dir: str | Path | None = None,
) -> int:
    """Write one row per page (in ``image_ids`` order), validate it, then move it into place.

    With a ``score`` column, a page with more than the competition's limit of points keeps its
    highest-scored ones (in their order) and a one-line warning counts the rest.
    """
    if "score" in points:
        keep = top_points(points)
        if not keep.all():
            dropped = points[~keep]
            warn(
                f"{path}: kept the {MAX_POINTS_PER_PAGE} highest-scored points of each page over the limit, "
                f"dropped {plural(len(dropped), 'point')} on {plural(dropped['image_id'].nunique(), 'page')}"
            )
            points = points[keep]
    groups = dict(tuple(points.groupby("image_id", sort=False)))
    rows = []
    for image_id in image_ids:
        page = groups.get(image_id)
        labels = "" if page is None else format_labels(page["unicode"], page[["x", "y"]].to_numpy())
        rows.append((image_id, labels))
    with atomic_path(path) as tmp:
        write_rows(tmp, ["image_id", "labels"], rows)
        return validate_submission(tmp, image_ids, known, image_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a submission against a Kaggle-layout data folder.")
    parser.add_argument("submission")
    parser.add_argument(
        "--data",
        required=True,
        help="folder with sample_submission.csv, unicode_translation.csv, test_images/",
    )
    args = parser.parse_args(argv)
    data = Path(args.data)
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")
    known = read_translation(data / "unicode_translation.csv")
    n = validate_submission(args.submission, pages, known, data / "test_images")
    print(f"{args.submission}: valid, {len(pages)} pages, {n} points")
    return 0


if __name__ == "__main__":
    run_cli(main)
