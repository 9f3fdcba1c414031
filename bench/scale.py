"""How the pipeline's cost grows with the data: every stage on 50, 100 and 200 pages, extrapolated.

    .venv/bin/python bench/scale.py [--sizes 50,100,200] [--out build/scale] [--preset full] [--keep]

For each size N it generates N train pages of the ``full`` preset (and test pages in the same
proportion as the competition's, 4,150 per 3,881) and runs every stage as its own subprocess of the
project's command line, the way the Makefile does, in ``OUT/n<N>/`` (bench/scale_stages.py):

    generate    python -m data.synth.generate --out DATA --preset full --pages N --seed 0
    split       python -m data.split --data DATA --out W/split.json --seed 0
    crops       python -m data.crops --data DATA --split W/split.json --out W/crops.npz
    detector    python -m detect.train ... --device cpu  DETECTOR_ARGS of the Makefile, but --epochs 1
    recognizer  python -m recognize.train ... --device cpu  RECOGNIZER_ARGS of the Makefile, but --epochs 1
    evaluate    python -m submit.evaluation.evaluate ... --out W/evaluate --device cpu   (held-out pages)
    predict     python -m submit.predict ... --out W/submission.csv --device cpu   (test pages)

Both trainings run one epoch: the per-epoch cost is what grows with the pages, and a full run
costs about its epochs (Makefile: detector 6, recognizer 7) times that, less the one-off set-up
(the detector's tile data set, the recognizer's interpretation plots) counted once.

Measured per stage and size (how exactly: bench/process_tree.py): seconds (wall clock), peak MB
(the largest single process, exact, from ``os.wait4``'s ``ru_maxrss``), tree MB (PSS summed over
the stage's process tree, sampled every 0.25 s) and disk MB (files created or rewritten under
``OUT/n<N>/``, temporary files not counted). MB are 2**20 bytes.

For each stage the cost is fitted by least squares over the sizes as ``seconds = a + b * pages``
(likewise disk, peak MB and tree MB; bench/scale_report.py) against the page count the stage
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
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

try:  # imported as bench.scale
    from bench import process_tree, scale_report, scale_stages
except ImportError:  # run as python bench/scale.py: bench/ itself is on sys.path
    import process_tree
    import scale_report
    import scale_stages


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
    parser.add_argument("--preset", default="full", help="data.synth.generate preset to draw the pages from")
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
    detector_args = scale_stages.makefile_args("DETECTOR_ARGS", scale_stages.DETECTOR_ARGS)
    recognizer_args = scale_stages.makefile_args("RECOGNIZER_ARGS", scale_stages.RECOGNIZER_ARGS)
    full, full_source = scale_stages.full_counts(args.preset)
    print(f"scaling {args.preset} pages {args.sizes} into {out}; stages as subprocesses on {args.device}")
    print(f"detector: {detector_args} --epochs 1 | recognizer: {recognizer_args} --epochs 1")
    print(f"competition size: {full} ({full_source})", flush=True)

    rows = {
        stage: scale_report.Row(stage, basis, full[basis])
        for stage, (basis, _) in scale_stages.STAGES.items()
    }
    for size in args.sizes:
        root = out / f"n{size}"
        data, work = root / "data", root / "work"
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root.with_name(root.name + ".partial"), ignore_errors=True)
        work.mkdir(parents=True)
        todo = scale_stages.commands(
            size, data, work, args.preset, args.device, detector_args, recognizer_args
        )
        for stage, (basis, needs) in scale_stages.STAGES.items():
            run = scale_report.Run(size)
            rows[stage].runs.append(run)
            missing = [n for n in needs if rows[n].runs[-1].status != "ok"]
            if missing:
                run.status = f"skipped (needs {', '.join(missing)})"
                print(f"n={size:<5} {stage:<10} {run.status}", flush=True)
                continue
            log = out / "logs" / f"n{size}-{stage}.log"
            code, run.seconds, run.peak_mb, run.tree_mb, run.disk_mb = process_tree.measure(
                todo[stage], scale_stages.ROOT, root, log
            )
            run.pages = scale_stages.page_counts(data, work).get(basis)
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
        scale_report.summarize(row)
    text = scale_report.render(scale_report.table(list(rows.values())))
    legend = [
        f"{args.preset} preset, {','.join(map(str, args.sizes))} train pages, on {args.device}; estimates at "
        f"{full['train']} train / {full['test']} test pages ({full['fit']} fit, {full['held-out']} held out:",
        f"{full_source}). per: the pages a stage's cost is per (fit: train pages less held-out books).",
        "s/page, MB/page: slopes of least-squares lines through the sizes; est.: those lines at full size.",
        "peak: largest single process (exact, wait4 ru_maxrss); tree: summed PSS of the process tree",
        f"(sampled every {process_tree.SAMPLE_S} s). Memory estimates over "
        f"{scale_report.LIMIT_MB // 1024} GB are flagged. detector and recognizer are ONE epoch",
        "(the Makefile trains 6 and 7): the per-epoch cost is what scales; a full run costs ~epochs x that.",
    ]
    problems = scale_report.notes(list(rows.values()))
    report = "\n".join([text, "", *legend, *(["", "problems:", *problems] if problems else [])])
    print()
    print(report)

    # imported only now, so that the benchmark's own process stays small while it measures
    from data.infra.io import write_json, write_text

    write_text(out / "scale.csv", scale_report.csv_text(list(rows.values()), args.sizes))
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
            "limit_mb": scale_report.LIMIT_MB,
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
