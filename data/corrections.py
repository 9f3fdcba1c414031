"""Corrections exported from the viewer, as a Kaggle-layout book to train on:
``python -m data.corrections --csv train.csv --images PAGES... --out BOOK``.

The viewer (``submit.reading.viewer``) exports the pages a researcher checked as a ``train.csv``
in the competition's layout (``image_id,labels``, boxes in page pixels). With the page images
(files or folders, found by name: ``<image_id>.<suffix>``) that becomes BOOK: ``train.csv``,
``train_images/<image_id>.jpg`` (a JPEG copied as it is, other images re-encoded) and
``unicode_translation.csv`` covering every code used. Then ``make submission DATA=BOOK
EXTRA=default`` trains on it. Bad input stops with one line naming the file and row: a page with
no image, a box off its page, a code that is not ``U+XXXX``, a page listed twice. BOOK is replaced
only when it is complete.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import cv2

from data.formats import char_of, check_unique_ids, parse_labels, read_rows, write_rows, write_translation
from data.infra.errors import DataError, run_cli
from data.infra.io import atomic_path, image_size, page_files, read_image

JPEG_QUALITY = 95  # a page that is no JPEG is stored as one, barely changed


def read_corrections(csvs: list[Path], images: dict[str, Path]) -> list[tuple[str, str, list[str]]]:
    """Every row of the exported files, checked against the page images: (image_id, labels, codes)."""
    rows: list[tuple[str, str, list[str]]] = []
    first: dict[str, str] = {}
    for path in csvs:
        found = read_rows(path, ["image_id", "labels"])
        check_unique_ids(found, path)
        for line, row in found:
            image_id = row["image_id"]
            if image_id in first:
                raise DataError(path, f"page {image_id!r} is also in {first[image_id]}", line)
            first[image_id] = str(path)
            if image_id not in images:
                raise DataError(path, f"page {image_id!r} has no image among the pages given", line)
            codes, values = parse_labels(row["labels"], 5, path, line)
            width, height = image_size(images[image_id])
            for k, (code, (x, y, w, h)) in enumerate(zip(codes, values.tolist(), strict=True)):
                if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
                    raise DataError(
                        path,
                        f"box {k + 1} of page {image_id} ({code} {x} {y} {w} {h}) is off "
                        f"the {width}x{height} page",
                        line,
                    )
            rows.append((image_id, row["labels"], codes))
    return rows


def build_book(csvs: list[Path], pages: list[str | Path], out: str | Path) -> dict[str, int]:
    """Write the Kaggle-layout folder ``out`` of the corrected pages; how many pages, boxes and codes."""
    images = {p.stem: p for p in page_files(pages)}
    rows = read_corrections(csvs, images)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "train_images").mkdir(parents=True)
    for image_id, _, _ in rows:
        source, target = images[image_id], partial / "train_images" / f"{image_id}.jpg"
        if source.suffix.lower() in {".jpg", ".jpeg"}:
            shutil.copyfile(source, target)
        else:
            with atomic_path(target) as tmp:
                ok, data = cv2.imencode(".jpg", read_image(source), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    raise DataError(source, "could not be written as a JPEG")
                tmp.write_bytes(data.tobytes())
    write_rows(partial / "train.csv", ["image_id", "labels"], [(i, labels) for i, labels, _ in rows])
    codes = sorted({code for _, _, page in rows for code in page})
    write_translation({code: char_of(code) for code in codes}, partial / "unicode_translation.csv")
    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return {"pages": len(rows), "boxes": sum(len(page) for _, _, page in rows), "codes": len(codes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", nargs="+", required=True, type=Path, help="train.csv files the viewer exported"
    )
    parser.add_argument("--images", nargs="+", required=True, help="the page images: files or folders")
    parser.add_argument("--out", required=True, help="the Kaggle-layout folder to write (replaced)")
    args = parser.parse_args(argv)
    made = build_book(args.csv, args.images, args.out)
    print(
        f"wrote {args.out}: {made['pages']} pages, {made['boxes']} boxes, {made['codes']} codes; "
        f"train on it with `make submission DATA={args.out} EXTRA=default`"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
