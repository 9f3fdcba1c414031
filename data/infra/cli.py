"""The command-line pattern every stage shares: the profile and overrides, run folders, models."""

from __future__ import annotations

import argparse

from data.infra.settings import Settings, assignments, choose, load


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """--profile and --set, as every stage that trains takes them (``data.infra.settings``)."""
    parser.add_argument(
        "--profile", help="cpu, fast, gpu or a .toml file (default: gpu on a CUDA device, else cpu)"
    )
    parser.add_argument("--set", default="", help="overrides, e.g. 'recognizer.epochs=12 detector.imgsz=640'")


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings these flags ask for: the profile (by the device when none is named), overridden."""
    from data.infra.device import resolve_device

    cuda = args.profile is None and resolve_device(args.device).type == "cuda"
    profile, _ = choose(args.profile, False, cuda)
    return load(profile, assignments(args.set, "--set"))


def add_run_options(parser: argparse.ArgumentParser, resume: bool = True) -> None:
    """--run, --device and (for training) --resume, as every stage that writes a run folder takes them."""
    # --run-dir: torchrun's own parser takes a bare --run for an abbreviation of its --run-path
    parser.add_argument("--run", "--run-dir", dest="run", required=True, help="run folder")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    if resume:
        parser.add_argument(
            "--resume", action="store_true", help="continue the run in --run (afresh if its inputs changed)"
        )


def reading_options(
    *, data: bool = True, recognizer: bool = True, thresholds: bool = True
) -> argparse.ArgumentParser:
    """The parent parser of the stages that read pages: --data, --detector, --recognizer,
    --thresholds and --device (each of the first, third and fourth only when asked for)."""
    parser = argparse.ArgumentParser(add_help=False)
    if data:
        parser.add_argument("--data", required=True, help="Kaggle-layout folder")
    parser.add_argument("--detector", required=True, help="detector model.pt")
    if recognizer:
        parser.add_argument("--recognizer", required=True, help="recognizer model.pt")
    if thresholds:
        parser.add_argument(
            "--thresholds", help="thresholds.json from submit.evaluation.tune (default: 0.25)"
        )
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    return parser
