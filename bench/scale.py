"""How the pipeline's cost grows with the data: every stage on 50, 100 and 200 pages, extrapolated.

    .venv/bin/python bench/scale.py [--sizes 50,100,200] [--out build/scale] [--preset full] [--keep]

For each size N it generates N train pages of the ``full`` preset (and test pages in the same
proportion as the competition's, 4,150 per 3,881) and runs every stage as its own subprocess of the
project's command line, the way the Makefile does, in ``OUT/n<N>/``:

    generate    python -m data.synth --out DATA --preset full --pages N --seed 0
    split       python -m data.split --data DATA --out W/split.json --seed 0
    crops       python -m data.crops --data DATA --split W/split.json --out W/crops.npz
    detector    python -m detect.train ... --device cpu  DETECTOR_ARGS of the Makefile, but --epochs 1
    recognizer  python -m recognize.train ... --device cpu  RECOGNIZER_ARGS of the Makefile, but --epochs 1
    evaluate    python -m submit.evaluate ... --out W/evaluate --device cpu   (held-out pages)
    predict     python -m submit.predict ... --out W/submission.csv --device cpu   (test pages)

Both trainings run one epoch: the per-epoch cost is what grows with the pages, and a full run
costs about its epochs (Makefile: detector 6, recognizer 7) times that, less the one-off set-up
(the detector's tile data set, the recognizer's interpretation plots) counted once.

Measured per stage and size:

- seconds: wall clock from start to exit of the stage's process.
- peak MB: the largest resident set of any single process of the stage, exact: the stage is
  started with ``subprocess.Popen`` and reaped with ``os.wait4``, whose ``ru_maxrss`` is the kernel's
  high-water mark of the process and of every descendant it reaped itself (worker pools, data
  loader workers). It is the largest process, not a sum; a process's high-water mark also counts
  the pages it shares with its parent. (The benchmark itself stays small, stdlib only while it
  measures, so the mark a process inherits from it when it is started is negligible.)
- tree MB: the proportional set size (PSS, shared pages split between their users) summed over the
  stage's whole process tree, sampled every 0.25 s from ``/proc/<pid>/smaps_rollup``: what the
  machine needs while worker pools run side by side. Sampled, so a short spike can be missed.
- disk MB: the total size of the files the stage created or rewrote under ``OUT/n<N>/`` (the data
  folder and the work folder), from a walk of the folder before and after the stage. Files it
  wrote and deleted again (temporary files) are not counted.

MB are 2**20 bytes. For each stage the cost is fitted by least squares over the sizes as
``seconds = a + b * pages`` (likewise disk, peak MB and tree MB) against the page count the stage
really reads: train pages (generate, split), the pages the models fit (crops and both trainings:
train pages less the held-out books), held-out pages (evaluate) or test pages (predict), and then
extrapolated to the competition's size: 3,881 train pages and 4,150 test pages; the fit and
held-out counts at that size come from data.split's rule applied to the full preset's own page
plan (seed 0), without generating it. A memory estimate is never below the largest measured
value. Stages whose estimated peak or tree memory exceeds 16 GB are flagged. The table is also
written (atomically) to OUT/scale.csv and OUT/scale.json, the stage logs to OUT/logs/. Each
size's folder is deleted after its stages unless ``--keep``. Use sizes well above the stages'
batch sizes (the pipeline reads test pages 8 at a time): below them memory grows with the
pages only up to the batch and a straight line overstates it.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_TRAIN, FULL_TEST = 3881, 4150
LIMIT_MB = 16 * 1024
SAMPLE_S = 0.25
# Used only if the Makefile's lines cannot be read (the values of 2026-11-24).
DETECTOR_ARGS = "--imgsz 320 --char-px 20 --batch 8 --mosaic 0 --close-mosaic 0"
RECOGNIZER_ARGS = "--width 32 --depth 0 --batch 64 --cap 100 --floor 20 --lr 3e-3"

# stage -> (the page count its cost is per, the stages it needs)
STAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "generate": ("train", ()),
    "split": ("train", ("generate",)),
    "crops": ("fit", ("split",)),
    "detector": ("fit", ("split",)),
    "recognizer": ("fit", ("crops",)),
    "evaluate": ("held-out", ("detector", "recognizer")),
    "predict": ("test", ("detector", "recognizer")),
}


@dataclass
class Run:
    """One stage at one size."""

    size: int
    pages: int | None = None  # the count the stage's cost is per (train, fit, held-out or test pages)
    seconds: float | None = None
    peak_mb: float | None = None
    tree_mb: float | None = None
    disk_mb: float | None = None
    status: str = "ok"  # ok, failed (exit status N), skipped (needs ...)


@dataclass
class Fit:
    """``value = a + b * pages`` by least squares; None where fewer than two distinct page counts."""

    a: float
    b: float

    def at(self, pages: float) -> float:
        return self.a + self.b * pages


@dataclass
class Row:
    stage: str
    basis: str
    full_pages: int
    runs: list[Run] = field(default_factory=list)
    fits: dict[str, Fit | None] = field(default_factory=dict)
    estimate: dict[str, float | None] = field(default_factory=dict)
    over_limit: bool = False


# --- measuring -------------------------------------------------------------------------------------


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def pss_kb(pid: int) -> int:
    """Proportional set size of one process in KiB (its VmRSS where smaps_rollup is unreadable)."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", b"Pss:"), (f"/proc/{pid}/status", b"VmRSS:")):
        try:
            with open(path, "rb") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; ``peak_kb`` is the largest sum seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in descendants(self.pid)))
            self.done.wait(SAMPLE_S)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: path -> (size, mtime in ns)."""
    files: dict[str, tuple[int, int]] = {}
    todo = [folder]
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                todo.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                stat = entry.stat(follow_symlinks=False)
                files[entry.path] = (stat.st_size, stat.st_mtime_ns)
    return files


def written_bytes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    """Total size of the files that are new or changed."""
    return sum(size for path, (size, mtime) in after.items() if before.get(path) != (size, mtime))


def measure(command: list[str], folder: Path, log: Path) -> tuple[int, float, float, float, float]:
    """Run ``command`` from the project root: (exit status, seconds, peak MB, tree MB, disk MB)."""
    before = snapshot(folder)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        out.write((shlex.join(command) + "\n\n").encode())
        out.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    disk = written_bytes(before, snapshot(folder))
    return process.returncode, seconds, usage.ru_maxrss / 1024, sampler.peak_kb / 1024, disk / 2**20


# --- the stages ------------------------------------------------------------------------------------


def makefile_args(name: str, fallback: str) -> str:
    """``NAME ?= ...`` of the Makefile without its --epochs, or ``fallback`` if that cannot be read."""
    try:
        text = (ROOT / "Makefile").read_text()
    except OSError:
        return fallback
    match = re.search(rf"^{name}\s*\??=\s*(.+)$", text, re.MULTILINE)
    if not match:
        return fallback
    args = re.sub(r"--epochs\s+\S+", "", match.group(1))
    return fallback if "$" in args else " ".join(args.split())


def cli(module: str, *flags: str, **options: object) -> list[str]:
    """``python -m module --key value ... flags`` (underscores in keys become dashes)."""
    pairs = [[f"--{key.replace('_', '-')}", str(value)] for key, value in options.items()]
    return [sys.executable, "-m", module, *(part for pair in pairs for part in pair), *flags]


def commands(
    size: int, data: Path, work: Path, preset: str, device: str, detector_args: str, recognizer_args: str
) -> dict[str, list[str]]:
    split, crops = work / "split.json", work / "crops.npz"
    models = {"detector": work / "detector" / "model.pt", "recognizer": work / "recognizer" / "model.pt"}
    detector_flags = [*detector_args.split(), "--epochs", "1"]
    recognizer_flags = [*recognizer_args.split(), "--epochs", "1"]
    return {
        "generate": cli("data.synth", out=data, preset=preset, pages=size, seed=0),
        "split": cli("data.split", data=data, out=split, seed=0),
        "crops": cli("data.crops", data=data, split=split, out=crops),
        "detector": cli(
            "detect.train", *detector_flags, data=data, split=split, run=work / "detector", device=device
        ),
        "recognizer": cli(
            "recognize.train", *recognizer_flags, crops=crops, run=work / "recognizer", device=device
        ),
        "evaluate": cli(
            "submit.evaluate", data=data, split=split, **models, out=work / "evaluate", device=device
        ),
        "predict": cli("submit.predict", data=data, **models, out=work / "submission.csv", device=device),
    }


def page_counts(data: Path, work: Path) -> dict[str, int]:
    """Train and test pages (synth.json), fit and held-out pages (split.json) of one size, as far as known."""
    import json  # stdlib; kept local like every import after measuring starts

    counts: dict[str, int] = {}
    try:
        synth = json.loads((data / "synth.json").read_text())
        counts["train"], counts["test"] = int(synth["train_pages"]), int(synth["test_pages"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        split = json.loads((work / "split.json").read_text())
        counts["fit"], counts["held-out"] = len(split["fit"]), len(split["holdout"])
    except (OSError, ValueError, KeyError):
        pass
    return counts


def full_counts(preset: str) -> tuple[dict[str, int], str]:
    """Page counts at the competition's size: the split (seed 0) of the preset's own full page plan."""
    code = (
        "import json; from pathlib import Path; from data.plan import PRESETS, plan; "
        "from data.fonts import glyph_faces; from data.split import split_books\n"
        f"p = PRESETS[{preset!r}]; train, test = plan(p, 0, len(glyph_faces(True)), Path('unused'))\n"
        "fit, held = split_books([j.image_id for j in train], 0.15, 0)\n"
        "print(json.dumps({'train': len(train), 'test': len(test), 'fit': len(fit), 'held-out': len(held)}))"
    )
    counts = {"train": FULL_TRAIN, "test": FULL_TEST}
    if preset == "full":
        try:
            result = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
            )
            import json

            return json.loads(result.stdout.strip().splitlines()[-1]), "the split of the full page plan"
        except (subprocess.SubprocessError, ValueError, IndexError):
            pass
    held = round(0.15 * FULL_TRAIN)
    counts.update({"fit": FULL_TRAIN - held, "held-out": held})
    return counts, "15 % of the train pages held out (nominal)"


# --- fitting and the table -------------------------------------------------------------------------


def fit(points: list[tuple[float, float]]) -> Fit | None:
    """Least-squares line through (pages, value) points; None unless two distinct page counts."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return Fit(my - b * mx, b)


def summarize(row: Row) -> None:
    """Fill the row's fits and estimates from its successful runs."""
    done = [r for r in row.runs if r.status == "ok" and r.pages is not None]
    for key in ("seconds", "disk_mb", "peak_mb", "tree_mb"):
        line = fit([(r.pages, getattr(r, key)) for r in done])  # type: ignore[misc]
        row.fits[key] = line
        if line is None:
            row.estimate[key] = None
            continue
        value = line.at(row.full_pages)
        if key in ("peak_mb", "tree_mb"):  # memory does not shrink with more pages
            value = max(value, *(getattr(r, key) for r in done))
        row.estimate[key] = value
    row.over_limit = any((row.estimate.get(k) or 0) > LIMIT_MB for k in ("peak_mb", "tree_mb"))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:.1f} h"
    if abs(seconds) >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def size_mb(mb: float | None) -> str:
    if mb is None:
        return "n/a"
    return f"{mb / 1024:.1f} GB" if abs(mb) >= 1024 else f"{mb:.0f} MB"


def cells(row: Row, key: str, digits: int) -> str:
    return " / ".join("-" if getattr(r, key) is None else f"{getattr(r, key):.{digits}f}" for r in row.runs)


def per_page(row: Row, key: str, digits: int) -> str:
    line = row.fits.get(key)
    return "n/a" if line is None else f"{line.b:.{digits}f}"


def table(rows: list[Row]) -> list[list[str]]:
    header = [
        "stage", "per (full size)", "pages", "seconds", "peak MB", "tree MB", "disk MB",
        "s/page", "MB/page", "est. time", "est. disk", "est. peak", "est. tree", "flag",
    ]  # fmt: skip
    lines = [header]
    for row in rows:
        flags = (["OVER 16 GB"] if row.over_limit else []) + [
            f"n={r.size} {r.status.split()[0]}" for r in row.runs if r.status != "ok"
        ]
        lines.append(
            [
                row.stage,
                f"{row.basis} ({row.full_pages})",
                " / ".join("-" if r.pages is None else str(r.pages) for r in row.runs),
                cells(row, "seconds", 1),
                cells(row, "peak_mb", 0),
                cells(row, "tree_mb", 0),
                cells(row, "disk_mb", 1),
                per_page(row, "seconds", 3),
                per_page(row, "disk_mb", 3),
                duration(row.estimate.get("seconds")),
                size_mb(row.estimate.get("disk_mb")),
                size_mb(row.estimate.get("peak_mb")),
                size_mb(row.estimate.get("tree_mb")),
                ", ".join(flags),
            ]
        )
    total = ["total", "", "", "", "", "", "", "", ""]
    for key, combine, show in (("seconds", sum, duration), ("disk_mb", sum, size_mb)):
        values = [row.estimate.get(key) for row in rows]
        known = [v for v in values if v is not None]
        total.append(("" if len(known) == len(values) else ">= ") + show(combine(known)) if known else "n/a")
    peaks = [row.estimate.get(k) for row in rows for k in ("peak_mb", "tree_mb")]
    known = [p for p in peaks if p is not None]
    total += [size_mb(max(known)) if known else "n/a", "", ""]
    lines.append(total)
    return lines


def notes(rows: list[Row]) -> list[str]:
    """One line per failed or skipped run, and per negative fitted cost."""
    lines = [f"  {row.stage} n={r.size}: {r.status}" for row in rows for r in row.runs if r.status != "ok"]
    for row in rows:
        for key, line in row.fits.items():
            if line is not None and line.b < 0 and key in ("seconds", "disk_mb"):
                lines.append(
                    f"  {row.stage}: {key} falls with more pages (fit {line.a:.3g} {line.b:+.3g}/page): "
                    "noise or fixed costs dominate at these sizes"
                )
    return lines


def render(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    left = {0, 1, len(widths) - 1}
    out = []
    for n, line in enumerate(lines):
        padded = [
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        text = "  ".join(padded)
        out.append(text.rstrip())
        if n == 0 or n == len(lines) - 2:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def csv_text(rows: list[Row], sizes: list[int]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    measured = ("pages", "seconds", "peak_mb", "tree_mb", "disk_mb", "status")
    writer.writerow(
        ["stage", "per", "full_pages"]
        + [f"{key}@{size}" for size in sizes for key in measured]
        + [f"{key}_{part}" for key in ("seconds", "disk_mb", "peak_mb", "tree_mb") for part in ("a", "b")]
        + ["est_seconds", "est_disk_mb", "est_peak_mb", "est_tree_mb", "over_16gb"]
    )
    for row in rows:
        values: list[object] = [row.stage, row.basis, row.full_pages]
        for run in row.runs:
            values += [getattr(run, key) for key in measured]
        for key in ("seconds", "disk_mb", "peak_mb", "tree_mb"):
            line = row.fits.get(key)
            values += [None, None] if line is None else [line.a, line.b]
        values += [row.estimate.get(k) for k in ("seconds", "disk_mb", "peak_mb", "tree_mb")]
        values.append(row.over_limit)
        writer.writerow(["" if v is None else f"{v:.6g}" if isinstance(v, float) else v for v in values])
    return buffer.getvalue()


# --- main ------------------------------------------------------------------------------------------


def sizes_arg(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of page counts: {text!r}") from None
    if len(sizes) < 3 or min(sizes) < 1 or len(set(sizes)) != len(sizes):
        raise argparse.ArgumentTypeError("give three or more different page counts, e.g. 50,100,200")
    return sorted(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[50, 100, 200], help="train pages, e.g. 50,100,200"
    )
    parser.add_argument("--out", default="build/scale", help="folder for the table, logs and the runs")
    parser.add_argument("--preset", default="full", help="data.synth preset to draw the pages from")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--keep", action="store_true", help="keep each size's data and work folders")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    rerun = " ".join(
        [".venv/bin/python bench/scale.py", "--sizes", ",".join(map(str, args.sizes)), "--out", args.out]
        + ["--preset", args.preset]
        + (["--device", args.device] if args.device != "cpu" else [])
        + (["--keep"] if args.keep else [])
    )
    detector_args = makefile_args("DETECTOR_ARGS", DETECTOR_ARGS)
    recognizer_args = makefile_args("RECOGNIZER_ARGS", RECOGNIZER_ARGS)
    full, full_source = full_counts(args.preset)
    print(f"scaling {args.preset} pages {args.sizes} into {out}; stages as subprocesses on {args.device}")
    print(f"detector: {detector_args} --epochs 1 | recognizer: {recognizer_args} --epochs 1")
    print(f"competition size: {full} ({full_source})", flush=True)

    rows = {stage: Row(stage, basis, full[basis]) for stage, (basis, _) in STAGES.items()}
    for size in args.sizes:
        root = out / f"n{size}"
        data, work = root / "data", root / "work"
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root.with_name(root.name + ".partial"), ignore_errors=True)
        work.mkdir(parents=True)
        todo = commands(size, data, work, args.preset, args.device, detector_args, recognizer_args)
        for stage, (basis, needs) in STAGES.items():
            run = Run(size)
            rows[stage].runs.append(run)
            missing = [n for n in needs if rows[n].runs[-1].status != "ok"]
            if missing:
                run.status = f"skipped (needs {', '.join(missing)})"
                print(f"n={size:<5} {stage:<10} {run.status}", flush=True)
                continue
            log = out / "logs" / f"n{size}-{stage}.log"
            code, run.seconds, run.peak_mb, run.tree_mb, run.disk_mb = measure(todo[stage], root, log)
            run.pages = page_counts(data, work).get(basis)
            if code != 0:
                run.status = f"failed (exit status {code}, see {log})"
            print(
                f"n={size:<5} {stage:<10} {run.seconds:8.1f} s  peak {run.peak_mb:7.0f} MB  "
                f"tree {run.tree_mb:7.0f} MB  disk {run.disk_mb:9.1f} MB  {run.pages or '-'} {basis} pages"
                + ("" if code == 0 else f"  {run.status}"),
                flush=True,
            )
            if code != 0:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                print("\n".join(f"    | {line}" for line in tail), flush=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    for row in rows.values():
        summarize(row)
    text = render(table(list(rows.values())))
    legend = [
        f"{args.preset} preset, {','.join(map(str, args.sizes))} train pages, on {args.device}; estimates at "
        f"{full['train']} train / {full['test']} test pages ({full['fit']} fit, {full['held-out']} held out:",
        f"{full_source}). per: the pages a stage's cost is per (fit: train pages less held-out books).",
        "s/page, MB/page: slopes of least-squares lines through the sizes; est.: those lines at full size.",
        "peak: largest single process (exact, wait4 ru_maxrss); tree: summed PSS of the process tree",
        f"(sampled every {SAMPLE_S} s). Memory estimates over {LIMIT_MB // 1024} GB are flagged. detector "
        "and recognizer are ONE epoch",
        "(the Makefile trains 6 and 7): the per-epoch cost is what scales; a full run costs ~epochs x that.",
    ]
    problems = notes(list(rows.values()))
    report = "\n".join([text, "", *legend, *(["", "problems:", *problems] if problems else [])])
    print()
    print(report)

    # imported only now, so that the benchmark's own process stays small while it measures
    from data.io import write_json, write_text

    write_text(out / "scale.csv", csv_text(list(rows.values()), args.sizes))
    write_json(
        out / "scale.json",
        {
            "command": rerun,
            "preset": args.preset,
            "device": args.device,
            "sizes": args.sizes,
            "competition_pages": full,
            "competition_pages_source": full_source,
            "detector_args": f"{detector_args} --epochs 1",
            "recognizer_args": f"{recognizer_args} --epochs 1",
            "limit_mb": LIMIT_MB,
            "stages": [
                {
                    "stage": row.stage,
                    "per": row.basis,
                    "full_pages": row.full_pages,
                    "runs": [asdict(r) for r in row.runs],
                    "fits": {k: None if v is None else asdict(v) for k, v in row.fits.items()},
                    "estimate": row.estimate,
                    "over_16gb": row.over_limit,
                }
                for row in rows.values()
            ],
            "table": report,
        },
    )
    print(f"\nwrote {out / 'scale.csv'} and {out / 'scale.json'}; logs in {out / 'logs'}")
    print(f"rerun: {rerun}")
    return 0 if all(r.status == "ok" for row in rows.values() for r in row.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
