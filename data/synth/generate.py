"""The embedded data set: generated kuzushiji-like book pages in exactly the Kaggle layout.

``python -m data.synth.generate --out DIR [--preset default|fast|full|tiny] [--seed 0] [--pages N]`` writes
DIR/ with train.csv, unicode_translation.csv, sample_submission.csv, train_images/*.jpg,
test_images/*.jpg, test_answers.csv (the truth for the test pages, in train.csv format),
reading_order.csv (the column and position of every box: ``data.truth_order``) and synth.json.
Pages have the competition's geometry in pixels (``layout``), classes its long tail
(``classes``). ``full`` has the competition's size: 3,881 train pages in 28 books and 4,150
test pages. Generation runs in parallel and resumes: an interrupted run keeps the pages it
finished in ``DIR.partial`` and goes on from there. The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data.annotations import Annotations, boxes_frame, write_annotations
from data.fonts import Face, coverage, glyph_faces
from data.formats import write_rows, write_translation
from data.infra.errors import run_cli
from data.infra.io import write_json, write_text
from data.infra.workers import fork_pool
from data.synth.book import Writer
from data.synth.classes import HENTAIGANA, Inventory, inventory
from data.synth.glyphs import GlyphBank
from data.synth.layout import Column, render
from data.synth.plan import PRESETS, PageJob, pages_of, plan
from data.truth_order import READING_ORDER, write_reading_order

# --- workers -------------------------------------------------------------------------------------

_writer: Writer | None = None
_scale = 1.0


def writer_for(faces: tuple[Face, ...], classes: Inventory) -> Writer:
    """A Writer over these faces; each class is drawn only in the faces that really draw it."""
    drawn = [frozenset(map(chr, coverage(f.path))) for f in faces]
    per_class = [np.array([i for i, d in enumerate(drawn) if c in d]) for c in classes.chars]
    cursive = [i for i, f in enumerate(faces) if f.cursive]
    variants = [
        [(s, fs) for s in HENTAIGANA.get(c, "") if (fs := [f for f in cursive if s in drawn[f]])]
        for c in classes.chars
    ]
    bank = GlyphBank([f.path for f in faces])
    return Writer(bank, classes.chars, classes.probs, per_class, variants)


def _init_worker(faces: tuple[Face, ...], classes: Inventory, scale: float) -> None:
    global _writer, _scale
    _writer, _scale = writer_for(faces, classes), scale


def render_page(job: PageJob) -> list[Column]:
    """Render one page to ``job.path`` (JPEG) and its boxes to a sidecar JSON; return them by column."""
    done = Path(job.path).with_suffix(".json")
    if done.is_file():  # finished by an earlier, interrupted run
        return [[tuple(b) for b in column] for column in json.loads(done.read_text())]
    assert _writer is not None
    page, columns = render(_writer, job.style, job.seed, _scale)
    quality = int(np.random.default_rng(job.seed).integers(82, 94))
    ok, encoded = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    Path(job.path).write_bytes(encoded.tobytes())
    write_text(done, json.dumps(columns))
    return columns


# --- the whole data set ------------------------------------------------------------------------


def drawable(faces: tuple[Face, ...]) -> frozenset[str]:
    """Characters at least two faces draw (every face's, when there is only one)."""
    counts = Counter(c for face in faces for c in coverage(face.path))
    need = min(2, len(faces))
    return frozenset(chr(c) for c, n in counts.items() if n >= need)


def annotations(jobs: list[PageJob], pages: list[list[Column]], codes: list[str]) -> Annotations:
    """The pages' boxes as annotations, each page's in reading order."""
    page_boxes = [[b for column in columns for b in column] for columns in pages]
    owners = [job.image_id for job, boxes in zip(jobs, page_boxes, strict=True) for _ in boxes]
    flat = [b for boxes in page_boxes for b in boxes]
    values = np.array([b[1:] for b in flat], dtype=np.int64).reshape(-1, 4)
    return Annotations([j.image_id for j in jobs], boxes_frame(owners, [codes[b[0]] for b in flat], values))


def generate(
    out: str | Path,
    preset: str = "default",
    seed: int = 0,
    workers: int | None = None,
    pages: int | None = None,
    brush: bool = True,
) -> Path:
    """Generate the data set into ``out`` (replaced atomically when complete, resumable).

    ``pages`` generates only that many train pages of the preset (and test pages in proportion).
    """
    out = Path(out)
    config = PRESETS[preset]
    if pages:
        config = pages_of(config, pages)
    faces = glyph_faces(brush)
    classes = inventory(drawable(faces), config.classes, np.random.default_rng(seed + 1))
    partial = out.with_name(out.name + ".partial")
    stamp = {"preset": preset, "seed": seed, **asdict(config), "faces": [f.path.name for f in faces]}
    stamp_file = partial / "plan.json"
    if not stamp_file.is_file() or json.loads(stamp_file.read_text()) != stamp:
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "train_images").mkdir(parents=True)
        (partial / "test_images").mkdir()
        write_json(stamp_file, stamp)
    train, test = plan(config, seed, len(faces), partial)
    resumed = sum(Path(j.path).with_suffix(".json").is_file() for j in train + test)
    workers = workers or min(os.cpu_count() or 1, 8)
    start = time.time()
    with fork_pool(workers, _init_worker, (faces, classes, config.scale)) as pool:
        results = list(
            tqdm(
                pool.imap(render_page, train + test, chunksize=1),
                total=len(train) + len(test),
                desc=f"generating {preset} pages" + (f" ({resumed} already done)" if resumed else ""),
                unit="page",
            )
        )
    for job in train + test:
        Path(job.path).with_suffix(".json").unlink()
    codes = classes.codes
    write_annotations(annotations(train, results[: len(train)], codes), partial / "train.csv")
    write_annotations(annotations(test, results[len(train) :], codes), partial / "test_answers.csv")
    lengths = [[len(column) for column in columns] for columns in results]
    ids = [job.image_id for job in train + test]
    write_reading_order(zip(ids, lengths, strict=True), partial / READING_ORDER)
    unused = [c for c in range(0x4E00, 0xA000) if chr(c) not in set(classes.chars)]
    extra = {chr(c) for c in unused[: max(1, len(classes.chars) // 8)]}  # listed but never used, as in Kaggle
    table = {f"U+{ord(c):04X}": c for c in sorted(set(classes.chars) | extra, key=ord)}
    write_translation(table, partial / "unicode_translation.csv")
    placeholder = f"{codes[0]} 1 1 {codes[1]} 2 2"
    write_rows(
        partial / "sample_submission.csv",
        ["image_id", "labels"],
        [(job.image_id, placeholder) for job in sorted(test, key=lambda j: j.image_id)],
    )
    train_boxes = [[b for column in columns for b in column] for columns in results[: len(train)]]
    summary = {
        **stamp,
        "train_pages": len(train),
        "test_pages": len(test),
        "train_characters": sum(len(r) for r in train_boxes),
        "train_classes": len({b[0] for r in train_boxes for b in r}),
        "empty_train_pages": sum(not r for r in train_boxes),
        "seconds": round(time.time() - start, 1),
    }
    stamp_file.unlink()
    write_json(partial / "synth.json", summary)
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the embedded kuzushiji-like data set (Kaggle layout)."
    )
    parser.add_argument("--out", required=True, help="output folder (replaced when generation completes)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pages", type=int, default=None, help="generate only this many train pages")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores, at most 8)")
    parser.add_argument(
        "--printed", action="store_true", help="printed faces only, even if brush faces exist"
    )
    args = parser.parse_args(argv)
    out = generate(args.out, args.preset, args.seed, args.workers, args.pages, not args.printed)
    summary = json.loads((out / "synth.json").read_text())
    print(
        f"wrote {out}: {summary['train_pages']} train pages ({summary['train_characters']} characters, "
        f"{summary['train_classes']} classes, {summary['empty_train_pages']} pages without characters), "
        f"{summary['test_pages']} test pages in {summary['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
