"""The command-line pattern every stage shares: settings dataclasses as flags, and run-folder flags."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def add_settings(
    parser: argparse.ArgumentParser,
    settings: type,
    skip: Sequence[str] = (),
    choices: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """One ``--field-name`` flag per field of the dataclass ``settings``, typed and defaulted like it."""
    defaults = settings()
    for f in fields(settings):
        if f.name in skip:
            continue
        value = getattr(defaults, f.name)
        extra: dict[str, Any] = {"choices": choices[f.name]} if choices and f.name in choices else {}
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(value), default=value, **extra)


def settings_from(settings: type[T], args: argparse.Namespace, **given: Any) -> T:
    """The dataclass ``settings`` filled from parsed flags (and ``given`` values for skipped fields)."""
    return settings(**{f.name: given.get(f.name, getattr(args, f.name, None)) for f in fields(settings)})


def add_run_options(parser: argparse.ArgumentParser, resume: bool = True) -> None:
    """--run, --device and (for training) --resume, as every stage that writes a run folder takes them."""
    # --run-dir: torchrun's own parser takes a bare --run for an abbreviation of its --run-path
    parser.add_argument("--run", "--run-dir", dest="run", required=True, help="run folder")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    if resume:
        parser.add_argument(
            "--resume", action="store_true", help="continue the run in --run (afresh if its inputs changed)"
        )
