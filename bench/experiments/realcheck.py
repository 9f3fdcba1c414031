"""Leave one real book out: models from the stand-in only, real pages only, and both, read on it.

python -m bench.experiments.realcheck --real ../shared/realpages --standin build/data/fast \\
    --out build/realcheck \\
    [--books B ...] [--arms standin real mix finetune ...] [--jobs N] \\
    [--detector-args="..."] [--recognizer-args="..."]

For each book of ``--real`` (a Kaggle-layout folder of real pages), the other books' pages train
and the book is read end to end with ``submit.evaluation.evaluate``: F1, detector centre-hit recall and
recognizer accuracy on detected characters; plus the recognizer's accuracy on the book's true
boxes by how many real training samples their class has. The arms (``ARMS``) differ in what they
learn from; the stand-in models are trained once and serve every book. Every stage is resumable and
skipped when done. Writes realcheck.json and realcheck.csv in ``--out``, and prints the table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shlex
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.experiments.realfold import fold, standin_models
from bench.experiments.realplan import ARMS, Plan
from data.annotations import load_train
from data.formats import write_rows
from data.infra.cli import add_settings, settings_from
from data.infra.errors import run_cli
from data.infra.io import write_json
from data.sources import combine, read_sources
from data.split import book_of
from detect.settings import DetectorConfig
from recognize.config import Config

COLUMNS = ["book", "pages", "characters", "arm", "f1", "detector_recall", "recognizer_accuracy", "known"]


def union(out: Path, sources: list[tuple[Path, float]]) -> Path:
    """The union folder of these sources (``data.sources``), rebuilt only when its weights changed."""
    known = read_sources(out)
    if known is None or [s.weight for s in known] != [w for _, w in sources]:
        combine(sources, out)
    return out


def run(
    plan: Plan,
    out: Path,
    books: list[str] | None = None,
    arms: list[str] | None = None,
    base: tuple[Path | None, Path | None] | None = None,
    jobs: int = 1,
) -> dict:
    """Every arm on every book (all books of ``plan.real`` by default); the results, also in ``out``.

    ``base``: the stand-in arm's (detector, recognizer) model files, when already trained;
    ``jobs``: books read at once, each in its own process.
    """
    began = time.time()
    arms = arms or ["standin", "real", "mix"]
    data = {"real": union(out / "data" / "real", [(plan.real, plan.real_weight)])}
    if any(ARMS[a].detector == "mix" or ARMS[a].recognizer == "mix" for a in arms):
        sources = [(plan.real, plan.real_weight), (plan.standin, 1.0)]
        data["mix"] = union(out / "data" / "mix", sources)
    if base is None:
        base = standin_models(plan, out / "standin", arms)
    ids = load_train(data["real"], report=False).image_ids
    books = books or list(dict.fromkeys(book_of(i) for i in ids))
    results = folds(plan, out, books, data, base, arms, jobs)
    summary = {
        "plan": plan.record(),
        "results": results,
        "means": means(results, arms),
        "buckets": pooled_buckets(results, arms),
        "seconds": round(time.time() - began, 1),
    }
    write_json(out / "realcheck.json", summary)
    rows = [[f"{r[c]:.4f}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS] for r in results]
    write_rows(out / "realcheck.csv", COLUMNS, rows)
    return summary


def folds(
    plan: Plan, out: Path, books: list[str], data: dict, base: tuple, arms: list[str], jobs: int
) -> list[dict]:
    """Every book's fold (``bench.experiments.realfold.fold``), ``jobs`` at a time in spawned processes that
    share the CPU cores; the results in the order of ``books``."""
    if jobs <= 1:
        return [r for book in books for r in fold(plan, out / book, book, data, base, arms)]
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=share_cores, initargs=(jobs,)) as pool:
        futures = [pool.submit(fold, plan, out / book, book, data, base, arms) for book in books]
        return [r for future in futures for r in future.result()]


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
    head = [
        "held-out book",
        "pages",
        "characters",
        "trained on",
        "F1",
        "detector recall",
        "recognizer accuracy",
    ]
    lines = ["| " + " | ".join([*head, "known class"]) + " |", "|" + " --- |" * (len(head) + 1)]
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", default="../shared/realpages", help="Kaggle-layout folder of real pages")
    parser.add_argument(
        "--standin", required=True, help="Kaggle-layout folder of the stand-in (data.synth.generate)"
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--books", nargs="+", help="only these books (default: every book)")
    parser.add_argument("--arms", nargs="+", default=["standin", "real", "mix"], choices=sorted(ARMS))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--jobs", type=int, default=1, help="books read at once, each in its own process")
    add_settings(parser, Plan, skip=("real", "standin", "device", "detector", "recognizer"))
    parser.add_argument("--detector-args", default="", help="detect.train flags, e.g. '--epochs 4'")
    parser.add_argument("--recognizer-args", default="", help="recognize.train flags, e.g. '--epochs 3'")
    args = parser.parse_args(argv)
    detector = argparse.ArgumentParser()
    add_settings(detector, DetectorConfig)
    recognizer = argparse.ArgumentParser()
    add_settings(recognizer, Config)
    plan = settings_from(
        Plan,
        args,
        real=Path(args.real),
        standin=Path(args.standin),
        device=args.device,
        detector=settings_from(DetectorConfig, detector.parse_args(shlex.split(args.detector_args))),
        recognizer=settings_from(Config, recognizer.parse_args(shlex.split(args.recognizer_args))),
    )
    summary = run(plan, Path(args.out), args.books, args.arms, jobs=args.jobs)
    print(table(summary))
    print("\nrecognizer accuracy on the true boxes of the held-out books:\n" + bucket_table(summary))
    minutes = summary["seconds"] / 60
    print(f"\n{len(summary['results'])} readings in {minutes:.1f} min: {Path(args.out) / 'realcheck.json'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
