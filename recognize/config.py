"""The recognizer's training settings and their command-line flags (shared by train and lr_find)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from data.infra.cli import add_run_options, add_settings
from recognize.dataset import GROUPS


@dataclass
class Config:
    """The settings that shape a run (saved as config.json; a resumed run must match them)."""

    epochs: int = 7
    lr: float = 1e-3
    batch: int = 16
    weight_decay: float = 1e-2
    cap: int = 500
    floor: int = 500
    prior: float = 0.0  # above 0: draw classes by count ** (1 - prior) instead of cap and floor
    valid: float = 0.3
    group: str = "sample"
    fraction: float = 1.0
    width: int = 64
    depth: int = 1
    dropout: float = 0.25
    augment: float = 0.5  # probability that an original (not a copy) is augmented too
    seed: int = 0


def config_parser(resume: bool = True) -> argparse.ArgumentParser:
    """--crops, the run flags and one flag per Config field."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--crops", required=True, help="crops .npz from data.crops")
    add_run_options(parser, resume)
    add_settings(parser, Config, choices={"group": GROUPS})
    return parser
