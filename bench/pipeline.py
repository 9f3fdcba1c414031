"""End-to-end throughput: pages/s from test images to submission.csv, the time split by stage, and
the pipeline's time over the detector's alone on the same pages (decoding included in both).

    python -m bench.pipeline [--pages N] [the options of python -m submit: --data, --work, --device,
        --profile, --set ...]

It reads the test pages of the run the recipe made with these options (``make final`` or ``make
submission`` first), as the submission reads them: the final models (``recipe.refit``: the split's
models trained on every page) at the thresholds tuned on the tune pages (``recipe.tta``: each box in
several views). Nothing is trained: if a stage up to ``final`` is not up to date it says which.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from data.formats import read_translation
from data.infra.errors import DataError, run_cli
from data.infra.stages import Stages
from submit.cli import recipe_options, resolve
from submit.pipeline import STAGES, Pipeline, Thresholds, points_frame
from submit.recipe import run
from submit.submission import expected_pages, write_submission


def recipe_outputs(args: argparse.Namespace, target: str) -> dict[str, Path]:
    """What the recipe made up to ``target`` with these options (``submit.cli``), run dry: a
    DataError naming the stages that are not up to date, if any."""
    job, s, chosen = resolve(args)
    st = Stages(job.folder(s), dry=True, quiet=True)
    done = run(job, s, target, st)
    if st.ran:
        raise DataError(
            job.folder(s),
            f"{len(st.ran)} stages up to {target} are not up to date with {chosen} ({', '.join(st.ran)}): "
            f"run `python -m submit {target}` with the same options first",
        )
    print(f"{chosen}, {done['work']}")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--pages", type=int, default=0, help="only the first N test pages (0: all)")
    args = parser.parse_args(argv)
    done = recipe_outputs(args, "final")
    data = done["data"]
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")[: args.pages or None]
    thresholds = Thresholds.load(done["thresholds"])
    detector, recognizer = done["final"]
    pipeline = Pipeline.load(detector, recognizer, args.device, thresholds)
    print(f"models {detector} and {recognizer}, thresholds {thresholds}")
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
    return 0


if __name__ == "__main__":
    run_cli(main)
