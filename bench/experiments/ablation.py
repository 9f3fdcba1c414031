"""What each change for the competition F1 is worth: the recipe with every lever off, then one
lever on at a time, cumulatively.

    python -m bench.experiments.ablation [--profile P] [--set "..."] [DATA=...]

Each arm is the recipe (``submit.recipe``) up to the held-out evaluation, with these settings:
- ``before``: the recognizer learns the true boxes only, classes drawn as they come, the detector's
  default confidence;
- ``+ detector's boxes``: the detector's own boxes on the same pages train too (``recipe.box_crops``,
  ``detect.boxcrops``), boxes with no character as the background class;
- ``+ thresholds``: detector confidence and class probability chosen on the tune pages (``recipe.tune``);
- ``+ class prior``: classes drawn by count ** (1 - ``recognizer.prior``) with the profile's prior;
- ``+ box jitter``: every true box cut once more, moved by a box error of the detector (``recipe.jitter``);
- ``+ box views``: each box read in several views (``recipe.tta``).
The arms run in <work>/ablation/<arm> and borrow every stage they share with the run itself
(``make submission``'s <work>) or with an earlier arm, so the detector trains once. Minutes are the
arm's own stages. Writes ablation.json and ablation.md in <work>/ablation.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from data.infra.errors import run_cli
from data.infra.io import write_json, write_text
from data.infra.settings import Settings
from data.infra.stages import Stages
from submit import recipe
from submit.cli import recipe_options, resolve

LEVERS = {  # each arm turns one more lever to the profile's value
    "before": set(),
    "+ detector's boxes": {"recipe.box_crops"},
    "+ thresholds": {"recipe.tune"},
    "+ class prior": {"recognizer.prior"},
    "+ box jitter": {"recipe.jitter"},
    "+ box views": {"recipe.tta"},
}
OFF = {"recipe.box_crops": False, "recipe.tune": False, "recognizer.prior": 0.0, "recipe.jitter": False}
OFF |= {"recipe.tta": False}


def arm_settings(s: Settings) -> dict[str, Settings]:
    """Every arm's settings: the levers not yet reached, off."""
    arms, on = {}, set()
    for name, levers in LEVERS.items():
        on |= levers
        arms[name] = s.override({k: v for k, v in OFF.items() if k not in on}, f"ablation: {name}")
    return arms


def slug(name: str) -> str:
    return name.strip("+ ").replace(" ", "-").replace("'", "")


def run_arm(job: recipe.Job, s: Settings, name: str, work: Path, reuse: list[Path]) -> dict:
    """The recipe up to the held-out evaluation with this arm's settings; its row."""
    folder = work / "ablation" / slug(name)
    st = Stages(folder, reuse=reuse)
    done = recipe.run(replace(job, work=folder), s, "evaluate", st)
    seconds = sum(json.loads(p.read_text())["seconds"] for p in (folder / "stages").glob("*.json"))
    result = json.loads(done["evaluate"].read_text())
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--arms", nargs="+", choices=list(LEVERS), default=list(LEVERS))
    args = parser.parse_args(argv)
    job, s, chosen = resolve(args)
    print(chosen)
    work = job.folder(s)
    reuse, rows = [work], []
    for name, settings in arm_settings(s).items():
        if name in args.arms:
            rows.append(run_arm(job, settings, name, work, list(reuse)))
        reuse.append(work / "ablation" / slug(name))
    out = work / "ablation"
    write_json(out / "ablation.json", {"settings": dict(s.values), "rows": rows})
    text = table(rows)
    write_text(out / "ablation.md", text + "\n")
    print(text)
    print(f"details: {out} (ablation.json, and each arm's evaluate/evaluate.json in its folder)")
    return 0


if __name__ == "__main__":
    run_cli(main)
