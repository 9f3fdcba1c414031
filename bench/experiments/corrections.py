"""What correcting buys: a researcher corrects k pages of one real book, trains, reads the rest.

    python -m bench.experiments.corrections [--book 100241706] [--ks 0 1 2] [--fast] [--out DIR]

The researcher is simulated on ``realcheck.real``: the book's pages in image_id order, the first
k corrected (their ground truth, exported as the viewer exports it, made a book by
``data.corrections``). k = 0 reads with the stand-in's own models (``realcheck.standin``, its recipe
run up to the thresholds). For k > 0 the recipe trains on the k pages joined with the stand-in
(``EXTRA=``, as ``make submission DATA=book EXTRA=...``), with ``data.holdout`` 0 (every corrected
page trains; this bench scores the rest) and ``recipe.refit`` on (the final models train on every
page, the tune pages too). Each arm then reads the book's remaining pages, and the last page,
which no arm corrects; both with the run's tuned thresholds. Reports F1, the recognizer's accuracy
on detected characters and the transcription's CER per k, the minutes each training took and the
stages it ran. Writes corrections.json in --out and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from data.annotations import load_train
from data.corrections import build_book
from data.formats import read_rows, write_rows
from data.infra.errors import DataError, run_cli
from data.infra.io import write_json
from data.infra.settings import Settings
from data.infra.stages import Stages
from data.split import book_of
from submit import recipe
from submit.cli import recipe_options, resolve

BOOK = "100241706"  # the real book with the most pages (3)
ARM = {"data.holdout": 0.0, "recipe.refit": True}  # what a corrections arm changes in the profile


def corrected_book(real: Path, pages: list[str], out: Path) -> Path:
    """``pages``' ground truth, exported as the viewer exports checked pages, made a book."""
    rows = [(r["image_id"], r["labels"]) for _, r in read_rows(real / "train.csv", ["image_id", "labels"])]
    exported = out / "exported.csv"
    write_rows(exported, ["image_id", "labels"], [r for r in rows if r[0] in pages])
    images = [real / "train_images" / f"{i}.jpg" for i in pages]
    build_book([exported], images, out / "book")
    return out / "book"


def score(job: recipe.Job, real: Path, folder: Path, name: str, pages: list[str], done: dict) -> dict:
    """The models of ``done`` read ``pages`` of the real pages (``recipe.evaluate``): the measures."""
    split = folder / f"{name}.split.json"
    write_json(split, {"holdout": pages})
    models = done.get("final") or (done["detector"], done["recognizer"])
    result = recipe.evaluate(
        Stages(folder, quiet=True), job, name, real, split, models, done["thresholds"], folder / name
    )
    read = json.loads(Path(result).read_text())
    return {
        "pages": read["pages"],
        "characters": read["characters"],
        "f1": read["end_to_end"]["f1"],
        "recognizer_accuracy": read["recognizer"]["accuracy_on_detected"],
        "cer": read["reading"]["transcription"]["cer"],
    }


def arm(job: recipe.Job, s: Settings, real: Path, pages: list[str], k: int, out: Path) -> dict:
    """Correct the first ``k`` pages, train, and read the others: one row of the table."""
    folder = out / f"k{k}"
    if k == 0:
        own, own_settings = recipe.own_run(job, s, s["realcheck.standin"], "realcheck.standin")
        run_job, target = own, "thresholds"
        st = Stages(own.folder(own_settings))
    else:
        book = corrected_book(real, pages[:k], folder)
        run_job, own_settings, target = replace(job, data=book, extra=s["realcheck.standin"]), s, "final"
        run_job = replace(run_job, work=folder / "run")
        st = Stages(run_job.folder(s))
    began = time.time()
    done = recipe.run(run_job, own_settings, target, st)
    seconds = time.time() - began
    return {
        "k": k,
        "corrected": pages[:k],
        "trained": st.ran,
        "train_minutes": round(seconds / 60, 2),
        "rest": score(job, real, folder, "rest", pages[k:], done),
        "last": score(job, real, folder, "last", pages[-1:], done),
    }


def run(job: recipe.Job, s: Settings, out: Path, book: str, ks: list[int]) -> dict:
    """Every k in ``ks`` on ``book`` of ``realcheck.real``; the results, also in out/corrections.json."""
    real = Path(s["realcheck.real"])
    if not (real / "train.csv").is_file():
        raise DataError(real / "train.csv", "not found: set realcheck.real (REAL=) to a Kaggle-layout folder")
    pages = sorted(i for i in load_train(real, report=False).image_ids if book_of(i) == book)
    if not pages or max(ks) >= len(pages):
        raise DataError(real / "train.csv", f"book {book} has {len(pages)} pages: k must stay below that")
    s = s.override(ARM, "bench.experiments.corrections")
    job = replace(job, build=out / "build")  # the stand-in's run and data too: nothing else is touched
    began = time.time()
    rows = [arm(job, s, real, pages, k, out) for k in ks]
    summary = {"book": book, "pages": pages, "settings": dict(s.values), "results": rows}
    summary["minutes"] = round((time.time() - began) / 60, 1)
    write_json(out / "corrections.json", summary)
    return summary


def table(summary: dict) -> str:
    """One row per k: the remaining pages and the last page read, and the training's minutes."""
    head = ["corrected pages k", "pages read", "characters", "F1", "recognizer accuracy", "CER"]
    head += ["last page F1", "last page accuracy", "last page CER", "training (min)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in summary["results"]:
        rest, last = r["rest"], r["last"]
        cells = [r["k"], rest["pages"], rest["characters"], f"{rest['f1']:.4f}"]
        cells += [f"{rest['recognizer_accuracy']:.4f}", f"{rest['cer']:.4f}", f"{last['f1']:.4f}"]
        cells += [f"{last['recognizer_accuracy']:.4f}", f"{last['cer']:.4f}", f"{r['train_minutes']:.1f}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--book", default=BOOK, help="the real book to correct")
    parser.add_argument("--ks", nargs="+", type=int, default=[0, 1, 2], help="pages corrected, per arm")
    parser.add_argument("--out", default="build/corrections", help="the experiment's folder")
    args = parser.parse_args(argv)
    job, s, chosen = resolve(args)
    print(chosen)
    summary = run(job, s, Path(args.out), args.book, args.ks)
    print(table(summary))
    for r in summary["results"]:
        print(f"k={r['k']}: {r['train_minutes']:.1f} min, ran {', '.join(r['trained']) or 'nothing'}")
    print(f"{summary['minutes']:.1f} min in all: {Path(args.out) / 'corrections.json'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
