"""What each change for the competition F1 is worth: the pipeline as it was, then one change at a time.

python -m bench.experiments.ablation --data build/data/default --work build/default [--recognizer-args="..."]

Every arm reads the same held-out books with the same detector (``--work``/detector), so the rows
differ only in the recognizer's training and in the thresholds:
- ``before``: true-box crops, 30 % of them (by sample) kept back to validate, detector confidence 0.25;
- ``+ tune pages``: the tune pages (``data.split.tune_pages``) validate instead, every other crop trains;
- ``+ detector's boxes``: the detector's own boxes on the same pages train too (``detect.boxcrops``),
  boxes with no character as the background class;
- ``+ thresholds``: detector confidence and recognizer probability chosen on the tune pages
  (``submit.evaluation.tune``);
- ``+ class prior``: classes drawn by count ** 0.5 instead of capped and floored;
- ``+ box jitter``: every true box also cut once more, moved by a box error the detector made on
  the tune pages (``detect.boxerrors``).
Run time is the recognizer's training (its metrics.csv) plus the tuning and the held-out reading.
Every run resumes or is reused. Writes ablation.json and ablation.md in ``--work``/ablation.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from data.crops import CropSet
from data.infra.cli import add_settings, settings_from
from data.infra.errors import run_cli
from data.infra.io import write_json, write_text
from detect.boxcrops import box_crops
from detect.boxerrors import measure
from detect.predict import Detector
from recognize.config import Config
from recognize.train import train
from submit.evaluation.evaluate import evaluate
from submit.evaluation.tune import tune


class Arm(NamedTuple):
    """How an arm trains the recognizer and reads: crop cache, tune-page validation, thresholds,
    prior, and several views of each box (``submit.views``)."""

    crops: str
    tune_pages: bool
    thresholds: bool
    prior: float
    tta: bool = False


ARMS = {
    "before": Arm("crops.npz", False, False, 0.0),
    "+ tune pages": Arm("crops.npz", True, False, 0.0),
    "+ detector's boxes": Arm("boxes.npz", True, False, 0.0),
    "+ thresholds": Arm("boxes.npz", True, True, 0.0),
    "+ class prior": Arm("boxes.npz", True, True, 0.5),
    "+ box jitter": Arm("boxes-jitter.npz", True, True, 0.5),
    "+ box views": Arm("boxes-jitter.npz", True, True, 0.5, True),
}


def crop_cache(name: str, data: Path, work: Path, device: str) -> Path:
    """The run's crops.npz, or a cache of it plus the detector's boxes (and jittered true boxes)
    made once in the ablation folder."""
    if name == "crops.npz":
        return work / name
    path = work / "ablation" / name
    if not path.is_file():
        detector = Detector.load(work / "detector" / "model.pt", device)
        errors = measure(data, work / "split.json", detector) if "jitter" in name else None
        box_crops(data, CropSet.load(work / "crops.npz"), detector, errors).save(path)
    return path


def run_arm(name: str, arm: Arm, data: Path, work: Path, cfg: Config, device: str) -> dict:
    """Train (or reuse) the arm's recognizer, tune if it tunes, and read the held-out books."""
    out = work / "ablation"
    split = work / "split.json"
    recognizer_name = (
        f"{Path(arm.crops).stem}{'-tune' * arm.tune_pages}{f'-prior{arm.prior}' * (arm.prior > 0)}"
    )
    run = out / "recognizers" / recognizer_name
    crops = crop_cache(arm.crops, data, work, device)
    model = train(
        replace(cfg, prior=arm.prior), crops, run, device, True, split=split if arm.tune_pages else None
    )
    with open(run / "metrics.csv") as f:
        seconds = sum(float(row["seconds"]) for row in csv.DictReader(f))
    began = time.perf_counter()
    thresholds = None
    slug = name.strip("+ ").replace(" ", "-").replace("'", "")
    if arm.thresholds:
        tune(data, split, work / "detector" / "model.pt", model, out / slug / "tune", device, arm.tta)
        thresholds = out / slug / "tune" / "thresholds.json"
    result = evaluate(
        data,
        split,
        work / "detector" / "model.pt",
        model,
        out / slug,
        device,
        pictures=0,
        viewer=0,
        thresholds=thresholds,
    )
    seconds += time.perf_counter() - began
    e, r = result["end_to_end"], result["recognizer"]
    return {
        "arm": name,
        "f1": e["f1"],
        "precision": e["precision"],
        "recall": e["recall"],
        "accuracy_on_detected": r["accuracy_on_detected"],
        "accuracy_on_true_boxes_of_detected": r["accuracy_on_true_boxes_of_detected"],
        "accuracy_on_true_boxes": r["accuracy_on_true_boxes"],
        "conf": result["thresholds"]["conf"],
        "prob": result["thresholds"]["prob"],
        "minutes": seconds / 60,
        "by_training_count": {k: v["accuracy"] for k, v in result["lost"]["by_training_count"].items()},
    }


def table(rows: list[dict]) -> str:
    """The arms as a Markdown table, then accuracy on found characters by training count."""
    head = [
        "arm",
        "held-out F1",
        "precision",
        "recall",
        "accuracy on detected",
        "their true boxes",
        "all true boxes",
    ]
    lines = ["| " + " | ".join([*head, "conf / prob", "minutes"]) + " |", "|" + " --- |" * 9]
    for r in rows:
        values = " | ".join(
            f"{r[k]:.4f}"
            for k in (
                "f1",
                "precision",
                "recall",
                "accuracy_on_detected",
                "accuracy_on_true_boxes_of_detected",
                "accuracy_on_true_boxes",
            )
        )
        lines.append(f"| {r['arm']} | {values} | {r['conf']:.2f} / {r['prob']:.2f} | {r['minutes']:.1f} |")
    buckets = list(rows[0]["by_training_count"]) if rows else []
    lines += [
        "",
        "| arm | " + " | ".join(f"class trained {b}" for b in buckets) + " |",
        "|" + " --- |" * (len(buckets) + 1),
    ]
    for r in rows:
        cells = ["" if v is None else f"{v:.4f}" for v in r["by_training_count"].values()]
        lines.append(f"| {r['arm']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Kaggle-layout folder of the run")
    parser.add_argument(
        "--work", required=True, help="the run's folder: split.json, detector/, crops.npz, boxcrops.npz"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS))
    parser.add_argument("--recognizer-args", default="", help="recognize.train flags, as the Makefile's")
    args = parser.parse_args(argv)
    flags = argparse.ArgumentParser()
    add_settings(flags, Config)
    cfg = settings_from(Config, flags.parse_args(shlex.split(args.recognizer_args)))
    data, work = Path(args.data), Path(args.work)
    rows = [run_arm(name, ARMS[name], data, work, cfg, args.device) for name in args.arms]
    write_json(work / "ablation" / "ablation.json", {"data": str(data), "rows": rows})
    text = table(rows)
    write_text(work / "ablation" / "ablation.md", text + "\n")
    print(text)
    print(f"details: {work / 'ablation'} (ablation.json, and each arm's evaluate.json in its folder)")
    return 0


if __name__ == "__main__":
    run_cli(main)
