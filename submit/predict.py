"""Read every test page and write the submission CSV (validated, written atomically).

With a test_answers.csv in the data folder (the embedded data set has one) it also prints the
F1 of the submission on the test pages.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from data.annotations import read_annotations
from data.formats import read_translation
from data.infra.cli import reading_options
from data.infra.errors import run_cli
from data.infra.io import image_size, read_image, write_json
from submit.metric import score
from submit.picture import draw_page
from submit.pipeline import Pipeline, Thresholds, points_frame
from submit.submission import expected_pages, write_submission


def predict(
    data: str | Path,
    detector: str | Path,
    recognizer: str | Path,
    out: str | Path,
    device: str = "auto",
    pictures: int = 2,
    shard: tuple[int, int] = (0, 1),
    thresholds: str | Path | None = None,
) -> dict:
    """Write ``out`` (submission.csv) and return a summary (pages, points, seconds by stage, test F1).

    ``shard=(i, n)`` reads only every n-th test page from the i-th; ``submit.merge`` joins the parts.
    ``thresholds``: thresholds.json from ``submit.evaluation.tune`` (default: the detector's 0.25, no other).
    """
    data, out = Path(data), Path(out)
    images = data / "test_images"
    index, count = shard
    pages = expected_pages(data / "sample_submission.csv", images)[index::count]
    for image_id in pages:  # fail fast, before any model work, on a missing or unreadable page
        image_size(images / f"{image_id}.jpg")
    known = read_translation(data / "unicode_translation.csv")
    pipeline = Pipeline.load(detector, recognizer, device, Thresholds.load(thresholds))
    began = time.perf_counter()
    readings = list(pipeline.read([images / f"{i}.jpg" for i in pages], "reading test pages"))
    start = time.perf_counter()
    # codes the recognizer learned from train.csv count as known even when the translation lacks them
    valid_codes = set(known) | set(pipeline.recognizer.classes)
    n_points = write_submission(points_frame(readings), pages, out, valid_codes, images)
    pipeline.seconds["write"] += time.perf_counter() - start
    summary = {
        "submission": str(out),
        "pages": len(pages),
        "points": n_points,
        "seconds": round(time.perf_counter() - began, 1),
        "stage_seconds": {k: round(v, 2) for k, v in pipeline.seconds.items()},
        "models": {"detector": str(detector), "recognizer": str(recognizer)},
        "thresholds": {"file": str(thresholds) if thresholds else None, **asdict(pipeline.thresholds)},
    }
    answers = data / "test_answers.csv"
    if answers.is_file():
        truth = read_annotations(answers, known)
        result = score(truth.boxes, truth.image_ids, points_frame(readings))
        summary["test"] = result.as_dict()
    for reading in readings[:pictures]:
        draw_page(
            read_image(images / f"{reading.image_id}.jpg"),
            reading,
            None,
            out.parent / "pictures" / f"test_{reading.image_id}.png",
        )
    write_json(out.with_suffix(".json"), summary)
    return summary


def shard_arg(text: str) -> tuple[int, int]:
    """``i/n`` → (i, n) with 0 <= i < n."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not i/n") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= i < n")
    return index, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[reading_options()])
    parser.add_argument("--out", required=True, help="submission CSV to write")
    parser.add_argument(
        "--shard",
        type=shard_arg,
        default=(0, 1),
        help="i/n: read every n-th test page from the i-th (0-based)",
    )
    args = parser.parse_args(argv)
    summary = predict(
        args.data,
        args.detector,
        args.recognizer,
        args.out,
        args.device,
        shard=args.shard,
        thresholds=args.thresholds,
    )
    print(
        f"wrote {summary['submission']}: {summary['pages']} pages, {summary['points']} characters "
        f"in {summary['seconds']} s"
    )
    if "test" in summary:
        t = summary["test"]
        print(
            f"test pages (test_answers.csv): F1 {t['f1']:.4f}, precision {t['precision']:.4f}, "
            f"recall {t['recall']:.4f}"
        )
    print(json.dumps(summary["stage_seconds"]))
    return 0


if __name__ == "__main__":
    run_cli(main)
