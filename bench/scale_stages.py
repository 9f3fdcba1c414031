"""The stages bench/scale.py runs: their command lines and the page counts their costs are per."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_TRAIN, FULL_TEST = 3881, 4150
# Used only if the Makefile's lines cannot be read (the values of 2026-11-24).
DETECTOR_ARGS = "--imgsz 320 --char-px 20 --batch 8 --mosaic 0 --close-mosaic 0"
RECOGNIZER_ARGS = "--width 32 --depth 0 --batch 64 --cap 100 --floor 20 --lr 3e-3"

# stage -> (the page count its cost is per, the stages it needs)
STAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "generate": ("train", ()),
    "split": ("train", ("generate",)),
    "crops": ("fit", ("split",)),
    "detector": ("fit", ("split",)),
    "recognizer": ("fit", ("crops",)),
    "evaluate": ("held-out", ("detector", "recognizer")),
    "predict": ("test", ("detector", "recognizer")),
}


def makefile_args(name: str, fallback: str) -> str:
    """``NAME ?= ...`` of the Makefile without its --epochs, or ``fallback`` if that cannot be read."""
    try:
        text = (ROOT / "Makefile").read_text()
    except OSError:
        return fallback
    match = re.search(rf"^{name}\s*\??=\s*(.+)$", text, re.MULTILINE)
    if not match:
        return fallback
    args = re.sub(r"--epochs\s+\S+", "", match.group(1))
    return fallback if "$" in args else " ".join(args.split())


def cli(module: str, *flags: str, **options: object) -> list[str]:
    """``python -m module --key value ... flags`` (underscores in keys become dashes)."""
    pairs = [[f"--{key.replace('_', '-')}", str(value)] for key, value in options.items()]
    return [sys.executable, "-m", module, *(part for pair in pairs for part in pair), *flags]


def commands(
    size: int, data: Path, work: Path, preset: str, device: str, detector_args: str, recognizer_args: str
) -> dict[str, list[str]]:
    """Every stage's command line at one size; both trainings run one epoch."""
    split, crops = work / "split.json", work / "crops.npz"
    models = {"detector": work / "detector" / "model.pt", "recognizer": work / "recognizer" / "model.pt"}
    detector_flags = [*detector_args.split(), "--epochs", "1"]
    recognizer_flags = [*recognizer_args.split(), "--epochs", "1"]
    return {
        "generate": cli("data.synth.generate", out=data, preset=preset, pages=size, seed=0),
        "split": cli("data.split", data=data, out=split, seed=0),
        "crops": cli("data.crops", data=data, split=split, out=crops),
        "detector": cli(
            "detect.train", *detector_flags, data=data, split=split, run=work / "detector", device=device
        ),
        "recognizer": cli(
            "recognize.train", *recognizer_flags, crops=crops, run=work / "recognizer", device=device
        ),
        "evaluate": cli(
            "submit.evaluation.evaluate",
            data=data,
            split=split,
            **models,
            out=work / "evaluate",
            device=device,
        ),
        "predict": cli("submit.predict", data=data, **models, out=work / "submission.csv", device=device),
    }


def page_counts(data: Path, work: Path) -> dict[str, int]:
    """Train and test pages (synth.json), fit and held-out pages (split.json) of one size, as far as known."""
    import json  # stdlib; kept local like every import after measuring starts

    counts: dict[str, int] = {}
    try:
        synth = json.loads((data / "synth.json").read_text())
        counts["train"], counts["test"] = int(synth["train_pages"]), int(synth["test_pages"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        split = json.loads((work / "split.json").read_text())
        counts["fit"], counts["held-out"] = len(split["fit"]), len(split["holdout"])
    except (OSError, ValueError, KeyError):
        pass
    return counts


def full_counts(preset: str) -> tuple[dict[str, int], str]:
    """Page counts at the competition's size: the split (seed 0) of the preset's own full page plan."""
    code = (
        "import json; from pathlib import Path; from data.synth.plan import PRESETS, plan; "
        "from data.fonts import glyph_faces; from data.split import split_books\n"
        f"p = PRESETS[{preset!r}]; train, test = plan(p, 0, len(glyph_faces(True)), Path('unused'))\n"
        "fit, held = split_books([j.image_id for j in train], 0.15, 0)\n"
        "print(json.dumps({'train': len(train), 'test': len(test), 'fit': len(fit), 'held-out': len(held)}))"
    )
    counts = {"train": FULL_TRAIN, "test": FULL_TEST}
    if preset == "full":
        try:
            result = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
            )
            import json

            return json.loads(result.stdout.strip().splitlines()[-1]), "the split of the full page plan"
        except (subprocess.SubprocessError, ValueError, IndexError):
            pass
    held = round(0.15 * FULL_TRAIN)
    counts.update({"fit": FULL_TRAIN - held, "held-out": held})
    return counts, "15 % of the train pages held out (nominal)"
