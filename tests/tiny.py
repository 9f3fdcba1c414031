"""The tests' settings: tests/tiny.toml (the tiny preset, models that train in seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.infra.settings import Settings, load
from detect.settings import DetectorConfig
from recognize.train import Config

TINY = Path(__file__).with_name("tiny.toml")


def tiny_settings(**changes: Any) -> Settings:
    """tests/tiny.toml with ``changes`` (dotted names, as ``section__key=value``) applied."""
    return load(str(TINY)).override({k.replace("__", "."): v for k, v in changes.items()}, "test")


def recognizer_config(**changes: Any) -> Config:
    """The tiny recognizer's settings with these fields changed."""
    s = tiny_settings(**{f"recognizer__{k}": v for k, v in changes.items() if k != "seed"})
    return s.build(Config, "recognizer", seed=changes.get("seed", s["seed"]))


def detector_config(**changes: Any) -> DetectorConfig:
    """The tiny detector's settings with these fields changed."""
    s = tiny_settings(**{f"detector__{k}": v for k, v in changes.items() if k != "seed"})
    return s.build(DetectorConfig, "detector", seed=changes.get("seed", s["seed"]))
