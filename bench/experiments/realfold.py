"""One held-out real book of ``bench.experiments.realcheck``: its data, each arm's models, their readings."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.experiments.realplan import ARMS, KINDS, Arm, Plan
from data.annotations import load_train
from data.crops import CropSet, build_crops, make_crops
from data.infra.io import write_json
from data.split import make_split, refit_split
from detect.boxcrops import box_crops
from detect.boxerrors import measure
from detect.predict import Detector
from detect.train import train as train_detector
from recognize.predict import Recognizer
from recognize.train import train as train_recognizer
from submit.evaluation.evaluate import evaluate
from submit.evaluation.tune import tune

BUCKETS = {"0": (0, 0), "1-9": (1, 9), "10+": (10, 10**9)}  # real training samples of a class


def split_of(data: Path, path: Path, books: list[str], seed: int) -> Path:
    """split.json holding out ``books`` of the first source (made once)."""
    if not path.is_file():
        write_json(path, make_split(data, holdout_books=books, seed=seed))
    return path


def crops_of(plan: Plan, data: Path, split: Path, path: Path, renders: bool) -> Path:
    """The crop cache of the split's fit pages, with rare-class renders or without (made once)."""
    if not path.is_file():
        fit = json.loads(split.read_text())["fit"]
        crops, _ = make_crops(data, fit, plan.rare_below if renders else 0, plan.renders, plan.seed)
        crops.save(path)
    return path


def detector_of(plan: Plan, out: Path, kind: str, data: dict, splits: dict, base: tuple | None) -> Path:
    """The detector of a strategy (``KINDS``) without the fold's book: trained, resumed or reused."""
    folder, init = KINDS[kind]
    run = out / f"{folder}{'-init' * init}" / "detector"
    return train_detector(
        data[folder], splits[folder], run, plan.detector, plan.device, True, base[0] if init else None
    )


def recognizer_of(
    plan: Plan, out: Path, arm: Arm, data: dict, splits: dict, base: tuple | None, detector: Path
) -> tuple[Path, Path]:
    """The arm's recognizer (with renders; tuned: with ``detector``'s boxes and true boxes jittered
    by its errors on the tune page, validated there): trained, resumed or reused; and its crops."""
    folder, init = KINDS[arm.recognizer]
    path = out / f"crops-{folder}{'-renders' * arm.renders}.npz"
    crops = crops_of(plan, data[folder], splits[folder], path, arm.renders)
    if arm.tuned and not (crops := path.with_name(f"{path.stem}-boxes-jitter.npz")).is_file():
        found = Detector.load(detector, plan.device)
        errors = measure(data[folder], splits[folder], found)
        box_crops(data[folder], CropSet.load(path), found, errors, plan.seed).save(crops)
    run = out / f"{folder}{'-init' * init}" / f"recognizer{'-renders' * arm.renders}{'-boxes' * arm.tuned}"
    cfg, split = (
        (replace(plan.recognizer, prior=plan.prior), splits[folder]) if arm.tuned else (plan.recognizer, None)
    )
    return train_recognizer(cfg, crops, run, plan.device, True, base[1] if init else None, split), crops


def final_models(
    plan: Plan, out: Path, arm: Arm, data: dict, splits: dict, models: tuple
) -> tuple[Path, Path]:
    """A tuned arm's final models, as ``make submission``'s: its detector, recognizer and crops
    (``models``) trained ``plan.refit`` more epochs on every page but the left-out book's, the tune
    page included; the models themselves when ``plan.refit`` is 0."""
    if not plan.refit:
        return models[:2]
    folder = KINDS[arm.detector][0]
    final = out / f"split-{folder}-final.json"
    if not final.is_file():
        write_json(final, refit_split(json.loads(splits[folder].read_text()), holdout=False))
    detector, recognizer, crops = models
    run = detector.parent.with_name(f"{detector.parent.name}-final")
    cfg = replace(plan.detector, epochs=plan.refit)
    detector = train_detector(data[folder], final, run, cfg, plan.device, True, detector)
    run = recognizer.parent.with_name(f"{recognizer.parent.name}-final")
    cfg = replace(plan.recognizer, prior=plan.prior, epochs=plan.refit, valid=0.0)
    return detector, train_recognizer(cfg, crops, run, plan.device, True, recognizer)


def standin_models(plan: Plan, out: Path, arms: list[str]) -> tuple[Path | None, Path | None]:
    """The stand-in models these arms start from or read with, trained once on every stand-in
    page (none held out); None for a model no arm needs."""
    split = split_of(plan.standin, out / "split.json", [], plan.seed)
    run = out / "standin"
    detector = recognizer = None
    if any(ARMS[a].detector in ("standin", "finetune") for a in arms):
        detector = train_detector(plan.standin, split, run / "detector", plan.detector, plan.device, True)
    if any(ARMS[a].recognizer in ("standin", "finetune") for a in arms):
        crops = crops_of(plan, plan.standin, split, out / "crops-standin.npz", False)
        recognizer = train_recognizer(plan.recognizer, crops, run / "recognizer", plan.device, True)
    return detector, recognizer


def fold(
    plan: Plan, out: Path, book: str, data: dict[str, Path], base: tuple | None, arms: list[str]
) -> list[dict]:
    """Train every arm without ``book`` and read ``book`` with each; one result per arm."""
    splits = {
        kind: split_of(folder, out / f"split-{kind}.json", [book], plan.seed) for kind, folder in data.items()
    }
    held = json.loads(splits["real"].read_text())
    counts = Counter(
        CropSet.load(
            crops_of(plan, data["real"], splits["real"], out / "crops-real.npz", False)
        ).unicodes.tolist()
    )
    truth = build_crops(
        load_train(data["real"], report=False).subset(held["holdout"]), data["real"] / "train_images", 1
    )
    results = []
    for name in arms:
        arm = ARMS[name]
        if arm.detector == "standin":
            detector, recognizer = base
        else:
            detector = detector_of(plan, out, arm.detector, data, splits, base)
            recognizer, crops = recognizer_of(plan, out, arm, data, splits, base, detector)
        real, split, thresholds = data["real"], splits["real"], None
        if arm.tuned:
            tune(real, split, detector, recognizer, out / name / "tune", plan.device, plan.tta == 1)
            thresholds = out / name / "tune" / "thresholds.json"
            detector, recognizer = final_models(plan, out, arm, data, splits, (detector, recognizer, crops))
        result = evaluate(
            real, split, detector, recognizer, out / name, plan.device, pictures=1, thresholds=thresholds
        )
        results.append(
            {
                "book": book,
                "pages": result["pages"],
                "characters": result["characters"],
                "arm": name,
                "f1": result["end_to_end"]["f1"],
                "detector_recall": result["detector"]["centre_hit_recall"],
                "recognizer_accuracy": result["recognizer"]["accuracy_on_detected"],
                "known": result["recognizer"]["known_class_share"],
                "buckets": buckets(Recognizer.load(recognizer, plan.device), truth, counts),
                "models": [str(detector), str(recognizer)],
            }
        )
    return results


def buckets(recognizer: Recognizer, crops: CropSet, counts: Counter) -> dict[str, dict]:
    """Accuracy on the held-out book's true boxes, by how many real training samples each class has."""
    codes, _ = recognizer.predict(crops.images)
    right = codes == crops.unicodes
    seen = np.array([counts.get(u, 0) for u in crops.unicodes.tolist()])
    out = {}
    for name, (low, high) in BUCKETS.items():
        member = (seen >= low) & (seen <= high)
        out[name] = {"characters": int(member.sum()), "right": int(right[member].sum())}
    return out
