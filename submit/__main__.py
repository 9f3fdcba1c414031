"""The command line of the recipe: ``python -m submit TARGET``, what ``make TARGET`` runs.

    submission (default)  the whole recipe, then the report
    data, detector, recognizer, thresholds, evaluate, final
                          the recipe up to that stage
    plan                  which stages `make submission` would run, and why (nothing runs)
    settings              every resolved setting and where it came from
    read                  transcribe IMAGES= with the final models (into READ_OUT=, default <work>/read)
    realpages             read the annotated pages of REAL= (never trained on) with the split's models
    lr-find               the learning-rate finder on the recognizer's crops
    upload                the submission to Kaggle

The options come from flags or from make's variables (``submit.cli``); read's also from IMAGES
and READ_OUT.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from data.infra.errors import DataError, run_cli
from data.infra.settings import Settings
from data.infra.stages import Stages
from submit.cli import recipe_options, resolve
from submit.recipe import TARGETS, Job, run

COMMANDS = (*TARGETS, "plan", "settings", "read", "realpages", "lr-find", "upload")


def parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(
        prog="python -m submit", parents=[recipe_options()], description=__doc__.splitlines()[0]
    )
    p.add_argument("target", nargs="?", default="submission", choices=COMMANDS)
    p.add_argument("--images", nargs="*", default=env.get("IMAGES", "").split(), help="pages to read")
    p.add_argument("--read-out", default=env.get("READ_OUT") or None, help="where read writes")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    job, s, chosen = resolve(args)
    print(chosen)
    if args.target == "settings":
        print("\n".join(s.lines()))
        return 0
    if args.target == "plan":
        st = Stages(job.folder(s), dry=True)
        run(job, s, "submission", st)
        count = f"{len(st.ran)} stage{'' if len(st.ran) == 1 else 's'} to run"
        print(count + (f": {', '.join(st.ran)}" if st.ran else ""))
        return 0
    if args.target == "read":
        return read(job, s, args)
    if args.target == "realpages":
        return realpages(job, s)
    if args.target == "lr-find":
        return lr_find(job, s)
    done = run(job, s, "submission" if args.target == "upload" else args.target)
    if args.target == "upload":
        from submit.upload import upload

        if "submission" not in done:
            raise DataError(done["data"], "no test pages, so no submission to upload")
        return upload(done["submission"], done["data"], "kuzushiji pipeline")
    if args.target == "submission":
        from submit.report import report

        print(report(done, chosen.removeprefix("profile ")))
    return 0


def read(job: Job, s: Settings, args: argparse.Namespace) -> int:
    """Transcribe the pages of --images with the final models and the tuned thresholds."""
    from submit.pipeline import Thresholds
    from submit.reading.read import read_pages

    if not args.images:
        raise DataError("IMAGES", "name the pages to read: make read IMAGES=folder/ [READ_OUT=dir]")
    done = run(job, s, "final")
    out = Path(args.read_out) if args.read_out else done["work"] / "read"
    summary = read_pages(
        args.images, *done["final"], out, job.device, thresholds=Thresholds.load(done["thresholds"])
    )
    print(f"read {len(summary['pages'])} pages into {out} (viewer: {out / 'viewer.html'})")
    return 1 if summary.get("skipped") else 0


def realpages(job: Job, s: Settings) -> int:
    """The split's models read real annotated pages that no model saw (``realcheck.real``)."""
    from submit.evaluation.evaluate import evaluate, table

    done = run(job, s, "thresholds")
    real, out = Path(s["realcheck.real"]), done["work"] / "realpages"
    result = evaluate(
        real, None, done["detector"], done["recognizer"], out, job.device, thresholds=done["thresholds"]
    )
    print(table(result))
    print(f"details: {out / 'evaluate.json'}, viewer: {out / 'viewer.html'}")
    return 0


def lr_find(job: Job, s: Settings) -> int:
    """The learning-rate finder (``recognize.lr_find``) on the crops the recognizer trains on."""
    from recognize.lr_find import lr_find as sweep
    from recognize.train import Config

    done = run(job, s, "crops")
    out = done["work"] / "lr_find"
    suggestion = sweep(s.build(Config, "recognizer", seed=s["seed"]), done["crops"], out, job.device)
    print(
        f"suggested peak learning rate {suggestion:.1e} for a batch of {s['recognizer.batch']}: "
        f"{out / 'lr_find.png'}"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
