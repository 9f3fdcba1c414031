"""Read book pages into text: ``python -m submit.reading.read PAGES... --out DIR --detector M
--recognizer M``.

PAGES are image files or folders of them. Per page, DIR gets ``<page>.txt`` (the transcription in
reading order: columns right to left, characters top to bottom, a line break between columns,
side readings left out), ``<page>.json`` (every character's box, unicode, probability, column
and position) and ``<page>.png`` (the page with the characters drawn); for all of them one
``viewer.html`` (``submit.reading.viewer``) and ``read.json`` (what was read and what was skipped).
An image that cannot be read, is too small to be a page or too large to read whole is named
in one line and skipped; the other pages are still read (exit status 1 when any was skipped).
A page without characters gives an empty transcription.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from data.formats import BACKGROUND
from data.infra.cli import reading_options
from data.infra.errors import DataError, run_cli, warn
from data.infra.io import image_size, page_files, write_json, write_text
from submit.picture import draw_page
from submit.pipeline import PageReading, Pipeline, Thresholds
from submit.reading.order import reading_order
from submit.reading.transcribe import page_record
from submit.reading.viewer import ViewerPage, embedded_jpeg, write_viewer

MIN_SIDE = 32  # pixels: anything smaller is no page
MAX_PIXELS = 100_000_000  # a real spread is ~20 million pixels
TOP = 5  # candidates kept per box, for the viewer's corrections


def check_page(path: Path, max_pixels: int) -> None:
    """DataError unless the file is an image of a plausible page size (from its header only)."""
    with warnings.catch_warnings():  # a large image gets our message, not PIL's bomb warning
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        width, height = image_size(path)
    if min(width, height) < MIN_SIDE:
        raise DataError(path, f"{width}x{height} pixels is too small to be a page")
    if width * height > max_pixels:
        raise DataError(
            path, f"{width}x{height} pixels is more than {max_pixels:,} (--max-pixels): shrink it to read it"
        )


def candidates(reading: PageReading) -> tuple[np.ndarray, np.ndarray]:
    """The recognizer's ``TOP`` likeliest characters for each box read, best first, the background
    class left out: (n, TOP) codes and probabilities (fewer columns if it knows fewer classes)."""
    if reading.candidates is None or not len(reading.boxes):
        return np.zeros((0, TOP), object), np.zeros((0, TOP), np.float32)
    rank = np.argsort(reading.candidates == BACKGROUND, axis=1, kind="stable")[:, :TOP]  # the background last
    return np.take_along_axis(reading.candidates, rank, 1), np.take_along_axis(
        reading.candidate_probs, rank, 1
    )


def read_pages(
    inputs: list[str | Path],
    detector: str | Path,
    recognizer: str | Path,
    out: str | Path,
    device: str = "auto",
    max_pixels: int = MAX_PIXELS,
    thresholds: Thresholds | None = None,
) -> dict:
    """Read the pages into ``out`` (the readings ``thresholds`` keep); return read.json's summary."""
    out = Path(out)
    skipped: dict[str, str] = {}

    def skip(path: Path, error: DataError) -> None:
        warn(f"skipped {error}")
        skipped[str(path)] = error.problem

    files = []
    for path in page_files(inputs):
        try:
            check_page(path, max_pixels)
            files.append(path)
        except DataError as error:
            skip(path, error)
    pipeline = Pipeline.load(detector, recognizer, device, thresholds or Thresholds(), top=TOP + 1)
    pages, viewer, by_name = [], [], {p.stem: p for p in files}
    for reading, image in pipeline.read_pages(files, "reading pages", skip):
        path = by_name[reading.image_id]
        order = reading_order(reading.boxes)
        top = candidates(reading)
        record = {"file": str(path), **page_record(reading, order, top)}
        write_text(out / f"{reading.image_id}.txt", record["text"] + ("\n" if record["text"] else ""))
        write_json(out / f"{reading.image_id}.json", record)
        draw_page(image, reading, None, out / f"{reading.image_id}.png")
        note = f"{path} · {len(order.sequence)} characters"
        viewer.append(ViewerPage(embedded_jpeg(image), reading, order, note=note, candidates=top))
        pages.append({"page": reading.image_id, "file": str(path), "characters": len(order.sequence)})
    summary = {"out": str(out), "pages": pages, "skipped": skipped}
    write_viewer(out / "viewer.html", "Transcriptions", viewer, f"{len(pages)} pages read")
    write_json(out / "read.json", summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], parents=[reading_options(data=False)]
    )
    parser.add_argument("pages", nargs="+", help="page images or folders of them")
    parser.add_argument("--out", required=True, help="folder for the transcriptions")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS, help="refuse larger images")
    parser.add_argument(
        "--conf", type=float, help="the detector's confidence threshold (overrides --thresholds)"
    )
    args = parser.parse_args(argv)
    thresholds = Thresholds.load(args.thresholds)
    if args.conf is not None:
        thresholds = replace(thresholds, conf=args.conf)
    summary = read_pages(
        args.pages, args.detector, args.recognizer, args.out, args.device, args.max_pixels, thresholds
    )
    characters = sum(p["characters"] for p in summary["pages"])
    print(f"read {len(summary['pages'])} pages ({characters} characters) into {args.out}: viewer.html")
    if summary["skipped"]:
        print(f"skipped {len(summary['skipped'])} (named above; read.json lists them)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_cli(main)
