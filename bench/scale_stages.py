"""The stages bench/scale.py runs: their command lines, environments and the page counts their
costs are per. Stdlib only (and ``data.infra.settings``, which is), so the benchmark stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from data.infra.settings import MAKE_VARIABLES, Settings, text_of

ROOT = Path(__file__).resolve().parents[1]
FULL_TRAIN, FULL_TEST = 3881, 4150  # the competition's train and test pages

# stage (a target of ``python -m submit``) -> the page count its cost is per. Each target runs the
# recipe up to that stage; the earlier ones are then up to date, so its time is that stage's.
STAGES: dict[str, str] = {
    "data": "train",  # generate the pages, split them
    "detector": "fit",  # trains on the fit pages less the tune pages
    "crops": "fit",  # the true boxes' crops, the detector's box errors and box crops
    "recognizer": "fit",
    "thresholds": "tune",  # the tune pages read with both models, thresholds chosen for F1
    "evaluate": "held-out",
    "final": "train",  # both models trained more on every page (recipe.refit)
    "submission": "test",  # the test pages read into submission.csv
}
# the options of python -m submit that come from the environment (submit.cli)
RECIPE_ENVIRONMENT = ("DATA", "EXTRA", "WORK", "DEVICE", "NPROC", "PROFILE", "FAST", "SET")
# what every size sets itself: the pages are the bench's, the trainings one epoch each
OWN = ("data.preset", "data.pages")
ONE_EPOCH = {"detector.epochs": 1, "recognizer.epochs": 1, "recipe.refit_epochs": 1}


def overrides(s: Settings) -> str:
    """SET= for every size: the overrides of ``s`` (but the pages), then one epoch per training."""
    given = [
        f"{name}={text}" for name, text in s.overridden.items() if name not in OWN and name not in ONE_EPOCH
    ]
    return " ".join([*given, *(f"{name}={text_of(value)}" for name, value in ONE_EPOCH.items())])


def command(stage: str, work: Path, device: str, profile: str) -> list[str]:
    """``python -m submit STAGE --work W --device D --profile P``."""
    return [
        sys.executable,
        "-m",
        "submit",
        stage,
        "--work",
        str(work),
        "--device",
        device,
        "--profile",
        profile,
    ]


def environment(size: int, preset: str, assignments: str) -> dict[str, str]:
    """The stages' environment: this one without make's variables, with PRESET, PAGES and SET."""
    env = {k: v for k, v in os.environ.items() if k not in RECIPE_ENVIRONMENT and k not in MAKE_VARIABLES}
    return env | {"PRESET": preset, "PAGES": str(size), "SET": assignments}


def data_folder(root: Path, preset: str) -> Path:
    """Where the recipe generates the pages when run in ``root`` (``submit.recipe.generate``)."""
    return root / "build" / "data" / preset


def page_counts(data: Path, work: Path) -> dict[str, int]:
    """Train and test pages (synth.json); fit, held-out and tune pages (split.json), as far as known."""
    counts: dict[str, int] = {}
    try:
        synth = json.loads((data / "synth.json").read_text())
        counts["train"], counts["test"] = int(synth["train_pages"]), int(synth["test_pages"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        split = json.loads((work / "split.json").read_text())
        counts["fit"], counts["held-out"] = len(split["fit"]), len(split["holdout"])
        counts["tune"] = len(split["detector_valid"])  # data.split.tune_pages
    except (OSError, ValueError, KeyError):
        pass
    return counts


def full_counts(preset: str, s: Settings) -> tuple[dict[str, int], str]:
    """Page counts at the competition's size: the split of the preset's own full page plan, by the
    settings' seed, data.holdout and data.detector_valid, as data.split.make_split draws it."""
    seed, holdout, tune = s["seed"], s["data.holdout"], s["data.detector_valid"]
    code = (
        "import json; from pathlib import Path; from data.synth.plan import PRESETS, plan; "
        "from data.fonts import glyph_faces; from data.split import split_books\n"
        f"train, test = plan(PRESETS[{preset!r}], {seed}, len(glyph_faces(True)), Path('unused'))\n"
        f"fit, held = split_books([j.image_id for j in train], {holdout}, {seed})\n"
        f"_, tune = split_books(fit, {tune}, {seed} + 1, 'detector-validation')\n"
        "print(json.dumps({'train': len(train), 'test': len(test), 'fit': len(fit), 'held-out': len(held),"
        " 'tune': len(tune)}))"
    )
    if preset == "full":
        try:
            result = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
            )
            return json.loads(result.stdout.strip().splitlines()[-1]), "the split of the full page plan"
        except (subprocess.SubprocessError, ValueError, IndexError):
            pass
    held = round(holdout * FULL_TRAIN)
    counts = {"train": FULL_TRAIN, "test": FULL_TEST, "fit": FULL_TRAIN - held, "held-out": held}
    counts["tune"] = round(tune * counts["fit"])
    return counts, f"{holdout:.0%} of the train pages held out, {tune:.0%} of the rest tune (nominal)"
