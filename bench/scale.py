"""How the pipeline's cost grows with the data: every stage on 50, 100 and 200 pages, extrapolated.

    python -m bench.scale [--sizes 50,100,200] [--out build/scale] [--preset full] [--keep]
        [--device cpu] [--profile cpu|fast|gpu|file.toml] [--set 'name=value ...']

For each size N it generates N train pages of the ``full`` preset (and test pages in the same
proportion as the competition's, 4,150 per 3,881) and runs every stage of the recipe as its own
subprocess of the project's command line, ``python -m submit TARGET``, the way ``make TARGET``
runs it, in ``OUT/n<N>/`` (bench/scale_stages.py):

    cd OUT/n<N> && PRESET=full PAGES=N SET="... detector.epochs=1 recognizer.epochs=1 recipe.refit_epochs=1" \
        python -m submit TARGET --work OUT/n<N>/work --device cpu --profile P

for the targets data (generate and split), detector, crops (true boxes, the detector's box errors
and box crops), recognizer, thresholds (the tune pages), evaluate (the held-out pages), final (both
models trained on every page) and submission (the test pages). Each target runs the recipe up to
that stage; the stages before it are then up to date, so its time is that stage's (plus the check
of the earlier ones). The recipe generates the pages into ``build/data/<preset>`` of its working
folder, so the stages run in ``OUT/n<N>/`` and leave the repository's build/ alone.

The settings are the profile's (by default the one ``make submission`` picks for ``--device``),
with make's variables from the environment (``RECOGNIZER_EPOCHS=...``, ``TTA=0``: they reach the
stages through SET) and ``--set``. Both trainings, and each final model's, run one epoch: the
per-epoch cost is what grows with the pages, and a full run costs about the profile's epochs
(``detector.epochs``, ``recognizer.epochs``, ``recipe.refit_epochs``) times that, less the one-off
set-up (the detector's tile data set, the recognizer's interpretation plots) counted once; the
report gives those products at full size.

Measured per stage and size (how exactly: bench/process_tree.py): seconds (wall clock), peak MB
(the largest single process, exact, from ``os.wait4``'s ``ru_maxrss``), tree MB (PSS summed over
the stage's process tree, sampled every 0.25 s) and disk MB (files created or rewritten under
``OUT/n<N>/``, temporary files not counted). MB are 2**20 bytes.

For each stage the cost is fitted by least squares over the sizes as ``seconds = a + b * pages``
(likewise disk, peak MB and tree MB; bench/scale_report.py) against the page count the stage
really reads: train pages (data, final), the pages the models fit (detector, crops, recognizer:
train pages less the held-out books), the tune pages (thresholds), the held-out pages (evaluate)
or the test pages (submission), and then extrapolated to the competition's size: 3,881 train pages
and 4,150 test pages; the other counts at that size come from data.split's rule (the settings'
seed, data.holdout and data.detector_valid) applied to the full preset's own page plan, without
generating it. A memory estimate is never below the largest measured value. Stages whose estimated
peak or tree memory exceeds 16 GB are flagged. The table is also written (atomically) to
OUT/scale.csv and OUT/scale.json, the stage logs to OUT/logs/. Each size's folder is deleted after
its stages unless ``--keep``. Use sizes well above the stages' batch sizes (the pipeline reads test
pages 8 at a time): below them memory grows with the pages only up to the batch and a straight
line overstates it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from data.infra.errors import run_cli
from data.infra.settings import Settings, assignments, choose, load, make_overrides

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


def is_cuda(device: str) -> bool:
    """Whether the device named is a CUDA GPU (``auto`` asks torch in a child process, so that the
    benchmark's own process stays small)."""
    if device == "auto":
        code = "import torch; print(torch.cuda.is_available())"
        found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        return found.stdout.strip() == "True"
    return device.startswith("cuda") or device.split(",")[0].strip().isdigit()


def training_runs(s: Settings) -> dict[str, int]:
    """The epochs a full run of the profile trains, by the stage that bench/scale.py runs one of."""
    refit = s["recipe.refit_epochs"] if s["recipe.refit"] else 0
    return {"detector": s["detector.epochs"], "recognizer": s["recognizer.epochs"], "final": refit}


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=sizes_arg, default=[50, 100, 200], help="train pages, e.g. 50,100,200"
    )
    parser.add_argument("--out", default="build/scale", help="folder for the table, logs and the runs")
    parser.add_argument("--preset", default="full", help="the data.synth preset to draw the pages from")
    parser.add_argument("--device", default=env.get("DEVICE") or "cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument(
        "--profile", default=env.get("PROFILE") or None, help="cpu, fast, gpu or a .toml file"
    )
    parser.add_argument("--set", default=env.get("SET", ""), help="overrides, e.g. 'recipe.tta=false'")
    parser.add_argument("--keep", action="store_true", help="keep each size's data and work folders")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    fast = env.get("FAST", "") not in ("", "0")
    profile, why = choose(args.profile, fast, args.profile is None and not fast and is_cuda(args.device))
    s = load(profile, make_overrides(env) + assignments(args.set, "--set"))
    given = str(Path(profile).resolve()) if profile.endswith(".toml") else profile  # the stages run elsewhere
    forwarded = scale_stages.overrides(s)
    rerun = shlex.join(
        [
            ".venv/bin/python",
            "-m",
            "bench.scale",
            "--sizes",
            ",".join(map(str, args.sizes)),
            "--out",
            args.out,
        ]
        + ["--preset", args.preset, "--device", args.device, "--profile", profile]
        + (["--set", " ".join(s.assignments())] if s.overridden else [])
        + (["--keep"] if args.keep else [])
    )
    epochs = training_runs(s)
    full, full_source = scale_stages.full_counts(args.preset, s)
    print(f"scaling {args.preset} pages {args.sizes} into {out}; stages as subprocesses on {args.device}")
    print(f"profile {profile} ({why}); every stage with SET={forwarded!r}")
    print(f"competition size: {full} ({full_source})", flush=True)

    rows = {
        stage: scale_report.Row(stage, basis, full[basis]) for stage, basis in scale_stages.STAGES.items()
    }
    for size in args.sizes:
        root = out / f"n{size}"
        data, work = scale_stages.data_folder(root, args.preset), root / "work"
        shutil.rmtree(root, ignore_errors=True)
        work.mkdir(parents=True)
        stage_env = scale_stages.environment(size, args.preset, forwarded)
        failed = None
        for stage, basis in scale_stages.STAGES.items():
            run = scale_report.Run(size)
            rows[stage].runs.append(run)
            if failed:  # a target runs every stage before it: it would run the failed one again
                run.status = f"skipped (needs {failed})"
                print(f"n={size:<5} {stage:<10} {run.status}", flush=True)
                continue
            log = out / "logs" / f"n{size}-{stage}.log"
            command = scale_stages.command(stage, work, args.device, given)
            code, run.seconds, run.peak_mb, run.tree_mb, run.disk_mb = process_tree.measure(
                command, root, root, log, stage_env
            )
            run.pages = scale_stages.page_counts(data, work).get(basis)
            if code != 0:
                run.status = f"failed (exit status {code}, see {log})"
                failed = stage
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
    full_runs = {
        stage: None if rows[stage].estimate.get("seconds") is None else n * rows[stage].estimate["seconds"]
        for stage, n in epochs.items()
    }
    runs = [
        f"  {stage:<10} {n} x {scale_report.duration(rows[stage].estimate.get('seconds'))} = "
        f"{scale_report.duration(full_runs[stage])}"
        for stage, n in epochs.items()
    ]
    legend = [
        f"{args.preset} preset, {','.join(map(str, args.sizes))} train pages, on {args.device}, "
        f"profile {profile}; "
        f"estimates at {full['train']} train / {full['test']} test pages ({full['fit']} fit, "
        f"{full['held-out']} held out, {full['tune']} tune:",
        f"{full_source}). per: the pages a stage's cost is per (fit: train pages less held-out books).",
        "s/page, MB/page: slopes of least-squares lines through the sizes; est.: those lines at full size.",
        "peak: largest single process (exact, wait4 ru_maxrss); tree: summed PSS of the process tree",
        f"(sampled every {process_tree.SAMPLE_S} s). Memory estimates over "
        f"{scale_report.LIMIT_MB // 1024} GB are flagged. detector, recognizer and final train ONE epoch",
        "each: the per-epoch cost is what scales. A full run of the profile at full size costs about its",
        "epochs times that (at most: the one-off set-up, such as the detector's tile data set, counts once):",
        *runs,
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
            "profile": profile,
            "settings": s.values,
            "stage_set": forwarded,
            "sizes": args.sizes,
            "competition_pages": full,
            "competition_pages_source": full_source,
            "profile_epochs": epochs,
            "full_run_seconds": full_runs,
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
    run_cli(main)
