"""End-to-end throughput: pages/s from test images to submission.csv, the time split by stage, and
the pipeline's time over the detector's alone on the same pages (decoding included in both).

python bench/pipeline.py --data build/data/default --work build/default [--device cpu] [--pages N]
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
    parser.add_argument("--pages", type=int, default=0, help="only the first N test pages (0: all)")
    args = parser.parse_args()
    data, work = Path(args.data), Path(args.work)
    pipeline = Pipeline.load(work / "detector" / "model.pt", work / "recognizer" / "model.pt", args.device)
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")
    pages = pages[: args.pages or None]
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
    start = time.perf_counter()
    for _ in pipeline.detector.detect_files(paths, "detector alone"):
        pass
    alone = time.perf_counter() - start
    print(
        f"detector alone on the same pages: {alone:.1f} s; pipeline / detector alone = {total / alone:.2f}x"
    )


if __name__ == "__main__":
    main()
