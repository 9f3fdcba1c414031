"""Leave one real book out: the recipe trained on the stand-in only, on the real pages only, and on
both, each read on the book that it never saw.

    python -m bench.experiments.realcheck [--books B ...] [--profile P] [--set "realcheck.jobs=4 ..."]

``realcheck.real`` is a Kaggle-layout folder of real pages, ``realcheck.standin`` the stand-in (a
preset or a folder). For each book of the real pages, each arm of ``realcheck.arms`` runs the
recipe (``submit.recipe``) with that book held out and reads it with the final models:

    standin  the stand-in's own recipe run (``make submission`` on it), the same models for every book
    real     the recipe on the other real books
    both     the recipe on the other real books joined with the stand-in (``EXTRA=``): the detector
             trains on both, the recognizer fine-tunes the stand-in's on the real crops

Each arm is a recipe run in <out>/<book>/<arm>, so a rerun redoes exactly what a changed setting
touches. Reports F1, detector centre-hit recall and recognizer accuracy per book and arm, and the
recognizer's accuracy on the books' true boxes by how many real training samples the class has.
Writes realcheck.json and realcheck.csv in --out and prints both tables.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from data.annotations import load_train
from data.crops import CropSet, build_crops
from data.formats import write_rows
from data.infra.errors import DataError, run_cli
from data.infra.io import write_json
from data.infra.settings import Settings
from data.infra.stages import Stages
from data.split import book_of
from submit import recipe
from submit.cli import recipe_options, resolve

ARMS = ("standin", "real", "both")
COLUMNS = ["book", "pages", "characters", "arm", "f1", "detector_recall", "recognizer_accuracy", "known"]
BUCKETS = {"0": (0, 0), "1-9": (1, 9), "10+": (10, 10**9)}  # real training samples of a class


def standin_job(job: recipe.Job, s: Settings) -> tuple[recipe.Job, Settings]:
    """The stand-in's own recipe run: the one ``EXTRA=<standin>`` fine-tunes from."""
    return recipe.own_run(job, s, s["realcheck.standin"], "realcheck.standin")


def arm_job(job: recipe.Job, s: Settings, arm: str, book: str, out: Path) -> recipe.Job:
    """The recipe run of one arm with ``book`` held out."""
    real = Path(s["realcheck.real"])
    extra = s["realcheck.standin"] if arm == "both" else None
    return replace(job, data=real, extra=extra, work=out / book / arm, holdout_books=(book,))


def fold(job: recipe.Job, s: Settings, out: Path, book: str, arms: list[str], standin: dict) -> list[dict]:
    """Every arm trained without ``book`` and read on it; one result per arm."""
    real = Path(s["realcheck.real"])
    annotations = load_train(real, report=False)
    held = [i for i in annotations.image_ids if book_of(i) == book]
    others = annotations.boxes[~annotations.boxes["image_id"].isin(held)]
    counts = Counter(others["unicode"].tolist())
    truth = build_crops(annotations.subset(held), real / "train_images", 1)
    results = []
    for arm in arms:
        if arm == "standin":
            folder = out / book / arm
            split = folder / "split.json"
            write_json(split, {"holdout": held})
            models, chosen = standin["final"], standin["thresholds"]
            st = Stages(folder)
            result = recipe.evaluate(st, job, "evaluate", real, split, models, chosen, folder / "evaluate")
        else:
            done = recipe.run(arm_job(job, s, arm, book, out), s, "final")
            models = done["final"]
            result = done.get("final.evaluate") or done["evaluate"]
        read = json.loads(Path(result).read_text())
        results.append(
            {
                "book": book,
                "pages": read["pages"],
                "characters": read["characters"],
                "arm": arm,
                "f1": read["end_to_end"]["f1"],
                "detector_recall": read["detector"]["centre_hit_recall"],
                "recognizer_accuracy": read["recognizer"]["accuracy_on_detected"],
                "known": read["recognizer"]["known_class_share"],
                "buckets": buckets(models[1], job.device, truth, counts),
                "models": [str(m) for m in models],
            }
        )
    return results


def buckets(model: Path, device: str, crops: CropSet, counts: Counter) -> dict[str, dict]:
    """Accuracy on the held-out book's true boxes, by how many real training samples each class has."""
    from recognize.predict import Recognizer

    codes, _ = Recognizer.load(model, device).predict(crops.images)
    right = codes == crops.unicodes
    seen = np.array([counts.get(u, 0) for u in crops.unicodes.tolist()])
    out = {}
    for name, (low, high) in BUCKETS.items():
        member = (seen >= low) & (seen <= high)
        out[name] = {"characters": int(member.sum()), "right": int(right[member].sum())}
    return out


def run(job: recipe.Job, s: Settings, out: Path, books: list[str] | None = None) -> dict:
    """Every arm on every book (all books of ``realcheck.real`` by default); the results, also in ``out``."""
    began = time.time()
    arms = list(s["realcheck.arms"])
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise DataError("realcheck.arms", f"{unknown[0]!r} is not one of {', '.join(ARMS)}")
    real = Path(s["realcheck.real"])
    if not (real / "train.csv").is_file():
        raise DataError(real / "train.csv", "not found: set realcheck.real (REAL=) to a Kaggle-layout folder")
    ids = load_train(real, report=False).image_ids
    books = books or list(dict.fromkeys(book_of(i) for i in ids))
    standin = {}
    if {"standin", "both"} & set(arms):  # trained once, before the books, for every book
        own, own_settings = standin_job(job, s)
        standin = recipe.run(own, own_settings, "final")
    jobs = s["realcheck.jobs"]
    if jobs <= 1:
        results = [r for book in books for r in fold(job, s, out, book, arms, standin)]
    else:
        context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=share_cores, initargs=(jobs,)) as pool:
            futures = [pool.submit(fold, job, s, out, book, arms, standin) for book in books]
            results = [r for future in futures for r in future.result()]
    summary = {
        "settings": dict(s.values),
        "results": results,
        "means": means(results, arms),
        "buckets": pooled_buckets(results, arms),
        "seconds": round(time.time() - began, 1),
    }
    write_json(out / "realcheck.json", summary)
    rows = [[f"{r[c]:.4f}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS] for r in results]
    write_rows(out / "realcheck.csv", COLUMNS, rows)
    return summary


def share_cores(jobs: int) -> None:
    """Give each of ``jobs`` processes its share of the CPU cores for torch."""
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs))


def pooled_buckets(results: list[dict], arms: list[str]) -> dict[str, dict[str, dict]]:
    """Per arm and bucket: characters of all held-out books and the recognizer's accuracy on them."""
    out: dict[str, dict[str, dict]] = {}
    for arm in arms:
        rows = [r["buckets"] for r in results if r["arm"] == arm]
        out[arm] = {}
        for name in rows[0] if rows else []:
            n, right = sum(b[name]["characters"] for b in rows), sum(b[name]["right"] for b in rows)
            out[arm][name] = {"characters": n, "accuracy": right / max(n, 1)}
    return out


def means(results: list[dict], arms: list[str]) -> dict[str, dict[str, float]]:
    """Per arm: the mean over books of each measure."""
    out = {}
    for arm in arms:
        rows = [r for r in results if r["arm"] == arm]
        out[arm] = {k: sum(r[k] for r in rows) / max(len(rows), 1) for k in COLUMNS[4:]}
    return out


def table(summary: dict) -> str:
    """The results as a Markdown table: one row per book and arm, then the means per arm."""
    head = ["held-out book", "pages", "characters", "trained on", "F1", "detector recall"]
    head += ["recognizer accuracy", "known class"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in summary["results"]:
        values = " | ".join(f"{r[k]:.4f}" for k in COLUMNS[4:])
        lines.append(f"| {r['book']} | {r['pages']} | {r['characters']} | {r['arm']} | {values} |")
    for arm, m in summary["means"].items():
        values = " | ".join(f"**{m[k]:.4f}**" for k in COLUMNS[4:])
        lines.append(f"| mean of books | | | {arm} | {values} |")
    return "\n".join(lines)


def bucket_table(summary: dict) -> str:
    """Accuracy on the held-out books' true boxes, pooled, by the class's real training samples."""
    arms = list(summary["buckets"])
    names = list(summary["buckets"][arms[0]]) if arms else []
    lines = ["| real training samples of the class | characters | " + " | ".join(arms) + " |"]
    lines.append("|" + " --- |" * (len(arms) + 2))
    for name in names:
        n = summary["buckets"][arms[0]][name]["characters"]
        values = " | ".join(f"{summary['buckets'][a][name]['accuracy']:.4f}" for a in arms)
        lines.append(f"| {name} | {n} | {values} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--books", nargs="+", help="only these books (default: every book)")
    parser.add_argument("--out", default="build/realcheck", help="the experiment's folder")
    args = parser.parse_args(argv)
    job, s, chosen = resolve(args)
    print(chosen)
    summary = run(job, s, Path(args.out), args.books)
    print(table(summary))
    print("\nrecognizer accuracy on the true boxes of the held-out books:\n" + bucket_table(summary))
    minutes = summary["seconds"] / 60
    print(f"\n{len(summary['results'])} readings in {minutes:.1f} min: {Path(args.out) / 'realcheck.json'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
