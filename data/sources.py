"""Several Kaggle-layout folders as one: the user's real pages first, then any extra source.

``python -m data.sources --out DIR --source REAL[:WEIGHT] --source EXTRA[:WEIGHT] ...`` writes DIR in
the Kaggle layout, so every later stage keeps reading one folder:

- ``train.csv``: every source's pages. The first source's image_ids are kept; an extra source's get
  its name and ``~`` in front (``default~bk03_00012_1``), so ids never collide and each book stays
  its own book (``data.split.book_of`` gives ``default~bk03``).
- ``train_images/``: relative symbolic links to the sources' page images (nothing is copied).
- ``unicode_translation.csv``: the first source's table, then the codes only the others list.
- ``test_images/``, ``sample_submission.csv``, ``test_answers.csv``: the first source's only.
- ``sources.json``: each source's name, path (relative to DIR), weight and page count.

A source's weight is how many times each of its pages (and characters) counts in an epoch of
training, relative to 1: the detector repeats its tiles, the recognizer draws its crops that much
more often (``page_weights``). Held-out books and test pages come from the first source only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from data.annotations import load_train
from data.formats import read_rows, read_translation, write_rows, write_translation
from data.infra.errors import DataError, run_cli
from data.infra.io import write_json

MARK = "~"  # between an extra source's name and the page's own image_id
SOURCES = "sources.json"


@dataclass(frozen=True)
class Source:
    """One Kaggle-layout folder in a union: its name (the id prefix), path, weight and pages."""

    name: str
    path: str
    weight: float = 1.0
    pages: int = 0


def parse_source(text: str) -> tuple[Path, float]:
    """``PATH`` or ``PATH:WEIGHT`` → (path, weight > 0)."""
    path, sep, weight = text.rpartition(":")
    if not sep or "/" in weight:
        return Path(text), 1.0
    try:
        value = float(weight)
    except ValueError:
        raise DataError(text, f"weight {weight!r} is not a number") from None
    if not value > 0:
        raise DataError(text, f"weight {weight} must be positive")
    return Path(path), value


def source_name(path: Path, taken: set[str]) -> str:
    """A short id prefix from the folder's name: no ``_``, ``-`` or ``~`` (they separate books), unique."""
    base = re.sub(r"[^A-Za-z0-9.]", ".", path.resolve().name).strip(".") or "source"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


def combine(sources: list[tuple[Path, float]], out: str | Path) -> list[Source]:
    """Write the union of ``sources`` (path, weight; the first is the real one) into ``out``, atomically."""
    if not sources:
        raise DataError(out, "no sources to combine")
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "train_images").mkdir(parents=True)
    rows, table, written, taken = [], {}, [], set()
    for k, (path, weight) in enumerate(sources):
        if not (path / "train.csv").is_file():
            raise DataError(path / "train.csv", "file not found: a source must be a Kaggle-layout folder")
        pages = load_train(path).image_ids  # checks the file and every page image, once
        name = source_name(path, taken)
        taken.add(name)
        prefix = "" if k == 0 else name + MARK
        for line, row in read_rows(path / "train.csv", ["image_id", "labels"]):
            if MARK in row["image_id"]:
                raise DataError(path / "train.csv", f"image_id {row['image_id']!r} holds {MARK!r}", line)
            rows.append((prefix + row["image_id"], row["labels"]))
        for image_id in pages:
            target = (path / "train_images" / f"{image_id}.jpg").resolve()
            link = partial / "train_images" / f"{prefix}{image_id}.jpg"
            link.symlink_to(os.path.relpath(target, out.resolve() / "train_images"))
        for code, char in read_translation(path / "unicode_translation.csv").items():
            table.setdefault(code, char)
        relative = os.path.relpath(path.resolve(), out.resolve())
        written.append(Source(name, relative, weight, len(pages)))
    write_rows(partial / "train.csv", ["image_id", "labels"], rows)
    write_translation(table, partial / "unicode_translation.csv")
    first = sources[0][0]
    for name in ("sample_submission.csv", "test_answers.csv"):
        if (first / name).is_file():
            shutil.copyfile(first / name, partial / name)
    if (first / "test_images").is_dir():
        (partial / "test_images").symlink_to(os.path.relpath(first.resolve() / "test_images", out.resolve()))
    write_json(partial / SOURCES, {"sources": [asdict(s) for s in written]})
    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return written


def read_sources(data: str | Path) -> list[Source] | None:
    """The sources of a union folder, first (real) first; None for a plain Kaggle-layout folder."""
    path = Path(data) / SOURCES
    if not path.is_file():
        return None
    try:
        return [Source(**s) for s in json.loads(path.read_text())["sources"]]
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(path, f"not a sources file ({error.__class__.__name__}: {error})") from None


def source_of(image_id: str, sources: list[Source] | None) -> str:
    """The name of the source a page of the union came from (the first source's have no prefix)."""
    name, sep, _ = image_id.partition(MARK)
    if sources is None:
        return "data"
    return name if sep else sources[0].name


def page_sources(data: str | Path, image_ids: list[str]) -> dict[str, tuple[str, float]]:
    """Each page's source and training weight (one source, "data", of weight 1 in a plain folder)."""
    sources = read_sources(data)
    weight = {s.name: s.weight for s in sources or []}
    return {i: (name, weight.get(name, 1.0)) for i in image_ids for name in [source_of(i, sources)]}


def source_names(data: str | Path) -> list[str]:
    """The sources' names in order, the real one first (["data"] for a plain folder)."""
    return [s.name for s in read_sources(data) or [Source("data", ".")]]


def first_source(data: str | Path, image_ids: list[str]) -> list[str]:
    """The pages of ``image_ids`` that come from the first (real) source: held out and tested on."""
    sources = read_sources(data)
    return [i for i in image_ids if sources is None or source_of(i, sources) == sources[0].name]


def weights_record(data: str | Path) -> dict[str, float]:
    """{source name: weight}, for a run's config.json (empty for a plain folder)."""
    return {s.name: s.weight for s in read_sources(data) or []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Combine Kaggle-layout folders into one (real pages first).")
    parser.add_argument("--out", required=True, help="union folder to write (replaced when complete)")
    parser.add_argument(
        "--source",
        action="append",
        required=True,
        help="PATH or PATH:WEIGHT of a Kaggle-layout folder; the first is the real one (held out, tested)",
    )
    args = parser.parse_args(argv)
    written = combine([parse_source(s) for s in args.source], args.out)
    parts = ", ".join(f"{s.name} ({s.pages} pages, weight {s.weight:g})" for s in written)
    print(f"wrote {args.out}: {parts}")
    return 0


if __name__ == "__main__":
    run_cli(main)
