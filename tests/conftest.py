"""Shared fixtures: one tiny generated data set per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.synth import generate


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny embedded data set in the Kaggle layout (read-only for tests)."""
    return generate(tmp_path_factory.mktemp("data") / "tiny", preset="tiny", seed=0, workers=2)


@pytest.fixture(scope="session")
def tiny_crops(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny data set's annotated characters as a crop cache."""
    from data.crops import build_crops
    from data.formats import read_annotations

    path = tmp_path_factory.mktemp("crops") / "crops.npz"
    build_crops(read_annotations(tiny_data / "train.csv"), tiny_data / "train_images", workers=2).save(path)
    return path
