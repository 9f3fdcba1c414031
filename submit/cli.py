"""The options every command of the recipe takes, from flags or from make's variables.

Every option also comes from the environment under make's name for it (DATA, EXTRA, WORK,
DEVICE, NPROC, PROFILE, FAST, SET): make hands the variables of its command line to the commands
it runs. So do the settings of ``data.infra.settings.MAKE_VARIABLES`` (RECOGNIZER_EPOCHS=12 ...).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from data.infra.settings import Settings, assignments, choose, load, make_overrides
from submit.recipe import Job


def recipe_options() -> argparse.ArgumentParser:
    """The parent parser: what to read, where, on which device, with which settings."""
    env = os.environ
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--data", default=env.get("DATA") or None, help="Kaggle-layout folder (default: embedded)")
    p.add_argument("--extra", default=env.get("EXTRA") or None, help="a second source: a folder or a preset")
    p.add_argument("--work", default=env.get("WORK") or None, help="the run's folder (default build/<name>)")
    p.add_argument("--device", default=env.get("DEVICE") or "auto", help="cpu, cuda, cuda:N, 0,1,... or auto")
    p.add_argument("--nproc", type=int, default=int(env.get("NPROC") or 1), help="recognizer processes")
    p.add_argument("--profile", default=env.get("PROFILE") or None, help="cpu, fast, gpu or a .toml file")
    p.add_argument("--fast", action="store_true", default=env.get("FAST", "") not in ("", "0"))
    p.add_argument("--set", default=env.get("SET", ""), help="overrides: 'recognizer.epochs=12 ...'")
    return p


def resolve(args: argparse.Namespace) -> tuple[Job, Settings, str]:
    """The job and settings these options ask for, and a line saying which profile and why."""
    cuda = args.profile is None and not args.fast and cuda_device(args.device)
    profile, why = choose(args.profile, args.fast, cuda)
    settings = load(profile, make_overrides(os.environ) + assignments(args.set, "SET"))
    job = Job(
        Path(args.data) if args.data else None,
        args.extra,
        Path(args.work) if args.work else None,
        args.device,
        args.nproc,
    )
    return job, settings, f"profile {profile} ({why})"


def cuda_device(name: str) -> bool:
    """Whether the device named is a CUDA GPU (without asking torch, unless it is ``auto``)."""
    if name == "auto":
        import torch

        return torch.cuda.is_available()
    return name.startswith("cuda") or name.split(",")[0].strip().isdigit()
