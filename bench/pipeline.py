"""End-to-end throughput: pages/s from test images to submission.csv, the time split by stage, and
the pipeline's time over the detector's alone on the same pages (decoding included in both),
with the reading before batching beside it.

    python -m bench.pipeline [--pages N] [--repeats R] [the options of python -m submit: --data,
        --work, --device, --profile, --set ...]

It reads the test pages of the run the recipe made with these options (``make final`` or ``make
submission`` first), as the submission reads them: the final models (``recipe.refit``: the split's
models trained on every page) at the thresholds tuned on the tune pages (``recipe.tta``: boxes in
several views, ``recipe.views_share``: only the unsure ones). Nothing is trained: if a stage up to
``final`` is not up to date it says which.

Two readings alternate ``--repeats`` times, each timed at its fastest: ``before``, every box in
every view with each crop cut alone (``data.crops.preprocess``, view after view), as the
pipeline read before its crops were batched; and ``after``, the pipeline as it is. Where the data
has test answers, the F1 of both is printed too.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np

from data.crops import clipped, preprocess
from data.formats import read_translation
from data.infra.errors import DataError, run_cli
from data.infra.stages import Stages
from submit.cli import recipe_options, resolve
from submit.metric import score
from submit.pipeline import STAGES, Pipeline, Thresholds, points_frame
from submit.recipe import run
from submit.submission import expected_pages, write_submission
from submit.views import Characters, other_views


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


def one_at_a_time(gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(n, 32, 32) crops of the (n, 4) boxes, each cut and binarized alone."""
    rects = clipped(np.asarray(boxes, np.int64).reshape(-1, 4), *gray.shape)
    return np.array([preprocess(gray[y0:y1, x0:x1]) for x0, y0, x1, y1 in rects.tolist()]).reshape(-1, 32, 32)


class Before(Pipeline):
    """The pipeline's reading before its crops were batched: every box in every view (with
    ``tta``), each view of every box cut alone, then the next view."""

    def classify(self, pages: list[np.ndarray], boxes: list[np.ndarray]) -> list[Characters]:
        began = time.perf_counter()
        crops = []
        for page, found in zip(pages, boxes, strict=True):
            gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
            views = [found, *other_views(found)] if self.thresholds.tta else [found]
            crops.append(np.stack([one_at_a_time(gray, b) for b in views]))
        self.seconds["crop+binarize"] += time.perf_counter() - began
        began = time.perf_counter()
        codes, probs = self.recognizer.predict(np.concatenate(crops, axis=1))
        self.seconds["classify"] += time.perf_counter() - began
        offsets = np.cumsum([0, *map(len, boxes)])
        return [Characters(codes[a:b], probs[a:b], codes[a:b], probs[a:b]) for a, b in pairwise(offsets)]


def timed(pipeline: Pipeline, paths: list[Path], pages: list[str], data: Path) -> tuple[float, Counter, list]:
    """Read the pages and write their submission: the seconds in all, by stage, and the readings."""
    pipeline.seconds.clear()
    start = time.perf_counter()
    readings = list(pipeline.read(paths, type(pipeline).__name__.lower()))
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
    return time.perf_counter() - start, Counter(pipeline.seconds), readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--pages", type=int, default=0, help="only the first N test pages (0: all)")
    parser.add_argument("--repeats", type=int, default=1, help="readings of each kind, alternating")
    args = parser.parse_args(argv)
    done = recipe_outputs(args, "final")
    data = done["data"]
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")[: args.pages or None]
    thresholds = Thresholds.load(done["thresholds"])
    detector, recognizer = done["final"]
    after = Pipeline.load(detector, recognizer, args.device, thresholds)
    before = Before(after.detector, after.recognizer, thresholds, sizes=after.sizes)
    print(f"models {detector} and {recognizer}, thresholds {thresholds}, {after.sizes}")
    paths = [data / "test_images" / f"{p}.jpg" for p in pages]
    list(after.read(paths[:1], "warm-up"))
    best: dict[str, tuple[float, Counter, list]] = {}
    for _ in range(args.repeats):
        for name, pipeline in (("before", before), ("after", after)):
            result = timed(pipeline, paths, pages, data)
            if name not in best or result[0] < best[name][0]:
                best[name] = result
    start = time.perf_counter()
    for _ in after.detector.detect_files(paths, "detector alone"):
        pass
    alone = time.perf_counter() - start
    characters = sum(len(r.boxes) for r in best["after"][2])
    print(f"{len(pages)} pages, {characters} characters; the detector alone on the same pages {alone:.1f} s")
    print(f"  {'seconds':14s} {'before':>8s} {'after':>8s} {'before/after':>13s}")
    for stage in (*STAGES, "total"):
        old, new = (best[k][0] if stage == "total" else best[k][1][stage] for k in ("before", "after"))
        print(f"  {stage:14s} {old:8.2f} {new:8.2f} {old / new if new else float('nan'):12.2f}x")
    for name in ("before", "after"):
        total = best[name][0]
        print(f"{name}: {len(pages) / total:.2f} pages/s; pipeline / detector alone = {total / alone:.2f}x")
    answers = data / "test_answers.csv"
    if answers.is_file():
        from data.annotations import read_annotations

        truth = read_annotations(answers, read_translation(data / "unicode_translation.csv")).subset(pages)
        for name in ("before", "after"):
            result = score(truth.boxes, truth.image_ids, points_frame(best[name][2]))
            print(f"{name}: test F1 {result.f1:.4f} (tp {result.tp}, fp {result.fp}, fn {result.fn})")
    return 0


if __name__ == "__main__":
    run_cli(main)
