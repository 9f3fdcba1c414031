"""Shared fixtures: one tiny generated data set per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.synth import generate


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny embedded data set in the Kaggle layout (read-only for tests)."""
    return generate(tmp_path_factory.mktemp("data") / "tiny", preset="tiny", seed=0, workers=2)
