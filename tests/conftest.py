"""Shared fixtures: one tiny generated data set per test session.

Tests that train the YOLO detector (through ``offline_detector``) are marked ``slow``, as are those
marked by hand (torchrun, the recipe's runs, realcheck, the browser): ``make quick`` leaves them out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data.synth.generate import generate


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "offline_detector" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny embedded data set in the Kaggle layout (read-only for tests)."""
    return generate(tmp_path_factory.mktemp("data") / "tiny", preset="tiny", seed=0, workers=2)


@pytest.fixture(scope="session")
def tiny_crops(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny data set's annotated characters as a crop cache."""
    from data.annotations import read_annotations
    from data.crops import build_crops

    path = tmp_path_factory.mktemp("crops") / "crops.npz"
    build_crops(read_annotations(tiny_data / "train.csv"), tiny_data / "train_images", workers=2).save(path)
    return path


@pytest.fixture(scope="session")
def tiny_split(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """split.json for the tiny data set (one book held out)."""
    from data.split import main

    path = tmp_path_factory.mktemp("split") / "split.json"
    main(["--data", str(tiny_data), "--out", str(path), "--holdout", "0.3", "--detector-valid", "0.3"])
    return path


@pytest.fixture(scope="session")
def offline_detector(tiny_data: Path, tiny_split: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A one-epoch detector trained and run in a fresh process where every connection is refused."""
    import json
    import os
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("detector")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOLO_", "ULTRALYTICS_"))}
    env["HOME"] = str(folder / "home")  # no user settings or credentials leak in
    script = Path(__file__).with_name("offline_run.py")
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(tiny_data),
            str(tiny_split),
            str(folder / "run"),
            str(folder / "report.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads((folder / "report.json").read_text()), "run": folder / "run"}


@pytest.fixture(scope="session")
def tiny_recognizer(tiny_crops: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small recognizer trained for two epochs on the tiny crops."""
    from tiny import recognizer_config

    from recognize.train import train

    return train(
        recognizer_config(epochs=2), tiny_crops, tmp_path_factory.mktemp("recognizer") / "run", "cpu"
    )
