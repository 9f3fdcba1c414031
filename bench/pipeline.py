"""End-to-end throughput: pages/s from test images to submission.csv, and the time split by stage.

python bench/pipeline.py --data build/data/default --work build/default [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from data.formats import read_translation
from submit.pipeline import STAGES, Pipeline, points_frame
from submit.submission import expected_pages, write_submission


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument(
        "--work", required=True, help="build folder with detector/model.pt and recognizer/model.pt"
    )
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    data, work = Path(args.data), Path(args.work)
    pipeline = Pipeline.load(work / "detector" / "model.pt", work / "recognizer" / "model.pt", args.device)
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")
    paths = [data / "test_images" / f"{p}.jpg" for p in pages]
    list(pipeline.read(paths[:1], "warm-up"))
    pipeline.seconds.clear()
    start = time.perf_counter()
    readings = list(pipeline.read(paths, "benchmark"))
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        write_submission(
            points_frame(readings),
            pages,
            Path(tmp) / "submission.csv",
            read_translation(data / "unicode_translation.csv"),
            data / "test_images",
        )
        pipeline.seconds["write"] += time.perf_counter() - began
    total = time.perf_counter() - start
    characters = sum(len(r.boxes) for r in readings)
    print(
        f"{len(pages)} pages, {characters} characters in {total:.1f} s: {len(pages) / total:.2f} pages/s, "
        f"{characters / total:.0f} characters/s"
    )
    for stage in STAGES:
        seconds = pipeline.seconds[stage]
        print(f"  {stage:14s} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
