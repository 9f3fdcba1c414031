"""Held-out evaluation and threshold tuning, timed beside the same at another revision of this
repository, alternating, on the same run's data, split and models.

    python -m bench.evaluation --rev REV [--repeats R] [the options of python -m submit: --data,
        --work, --device, --profile, --set ...]

REV (a commit, tag or branch) is checked out into a temporary worktree; each of its commands runs
there and each of this checkout's here, one after the other, ``--repeats`` times (the fastest
counts). Tuning reads the tune pages as the recipe does (``recipe.tta``; here also
``recipe.views_share``); each evaluation reads the held-out books at its own tuning's thresholds.
Prints the seconds of each, their ratio and the held-out F1 of each (``make evaluate`` first).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pipeline import recipe_outputs
from data.infra.errors import DataError, run_cli
from submit.cli import recipe_options, resolve

ROOT = Path(__file__).resolve().parents[1]


def seconds(command: list[str], where: Path) -> float:
    """Run a Python module command with ``where`` first on the path; its wall-clock seconds."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *command], cwd=where, env=env, capture_output=True, text=True)
    if done.returncode:
        raise DataError(where, f"`{' '.join(command)}` failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--rev", required=True, help="the revision to time beside this checkout")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    _, s, _ = resolve(args)
    done = recipe_outputs(args, "evaluate")
    data, split = done["data"].resolve(), done["split"].resolve()  # the commands run in other folders
    models = (done["detector"].resolve(), done["recognizer"].resolve())
    common = ["--data", str(data), "--split", str(split), "--device", args.device]
    common += ["--detector", str(models[0]), "--recognizer", str(models[1])]
    views = ["--tta"] if s["recipe.tta"] else []
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "rev"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.rev], check=True
        )
        try:
            runs = {
                "before": (old, []),
                "after": (ROOT, ["--share", str(s["recipe.views_share"])] if views else []),
            }
            best: dict[tuple[str, str], float] = {}
            for _ in range(args.repeats):
                for name, (where, extra) in runs.items():
                    out = Path(tmp) / name
                    tune = [
                        "-m",
                        "submit.evaluation.tune",
                        *common,
                        "--out",
                        str(out / "tune"),
                        *views,
                        *extra,
                    ]
                    chosen = ["--thresholds", str(out / "tune" / "thresholds.json")]
                    evaluate = [
                        "-m",
                        "submit.evaluation.evaluate",
                        *common,
                        "--out",
                        str(out / "evaluate"),
                        *chosen,
                    ]
                    for stage, command in (("tune", tune), ("evaluate", evaluate)):
                        took = seconds(command, where)
                        best[name, stage] = min(best.get((name, stage), took), took)
            f1 = {
                name: json.loads((Path(tmp) / name / "evaluate" / "evaluate.json").read_text())["end_to_end"][
                    "f1"
                ]
                for name in runs
            }
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    print(f"{args.rev} (before) beside this checkout (after), {data}")
    print(f"  {'seconds':10s} {'before':>8s} {'after':>8s} {'before/after':>13s}")
    for stage in ("tune", "evaluate"):
        b, a = best["before", stage], best["after", stage]
        print(f"  {stage:10s} {b:8.1f} {a:8.1f} {b / a:12.2f}x")
    b, a = (sum(best[n, k] for k in ("tune", "evaluate")) for n in ("before", "after"))
    print(f"  {'both':10s} {b:8.1f} {a:8.1f} {b / a:12.2f}x")
    print(f"held-out F1: before {f1['before']:.4f}, after {f1['after']:.4f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
