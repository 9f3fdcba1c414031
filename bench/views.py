"""What the box views are worth and cost: held-out F1 and seconds with no views, every box in every
view, and the other views for the unsure boxes only.

    python -m bench.views [the options of python -m submit: --data, --work, --device, --profile,
        --set ...]

It takes the split's models of the run the recipe made with these options (``make evaluate``
first; nothing is trained). The tune pages are read once, every box in every view, and each
option's thresholds are chosen on them as ``submit.evaluation.tune`` does (``unsure``: the gate
``recipe.views_share`` keeps). Each option then reads the held-out books; the table gives its
F1, its seconds cutting crops and classifying them, and the share of boxes it read in every view.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np

from bench.pipeline import recipe_outputs
from data.annotations import load_train
from data.infra.errors import run_cli
from data.split import tune_pages
from submit.cli import recipe_options, resolve
from submit.evaluation.tune import CONFS, GATES, best, gate, grid_f1
from submit.metric import score
from submit.pipeline import Pipeline, Thresholds, points_frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    args = parser.parse_args(argv)
    _, s, _ = resolve(args)
    done = recipe_outputs(args, "evaluate")
    data, split = done["data"], json.loads(done["split"].read_text())
    models = (done["detector"], done["recognizer"])
    truth = load_train(data, report=False)
    tune = truth.subset(tune_pages(split))
    reader = Pipeline.load(*models, args.device, Thresholds(conf=float(CONFS[0]), tta=True))
    readings = list(reader.read([data / "train_images" / f"{i}.jpg" for i in tune.image_ids], "tune pages"))
    f1 = grid_f1(tune.boxes, readings, GATES)
    row = gate(f1, s["recipe.views_share"])
    options = {
        "no views": replace(best(f1[0]), tta=False),
        "every box": replace(best(f1[-1]), tta=True),
        "unsure boxes": replace(
            best(f1[row]), tta=True, unsure=None if row == len(f1) - 1 else float(GATES[row])
        ),
    }
    held = truth.subset(split["holdout"])
    paths = [data / "train_images" / f"{i}.jpg" for i in held.image_ids]
    print(f"{len(tune.image_ids)} tune pages; {len(held.image_ids)} held-out pages", end=", ")
    print(f"{len(held.boxes)} characters")
    heads = ("tune F1", "F1", "crop s", "classify s", "viewed")
    print(f"  {'views':14s} {'thresholds':36s} " + " ".join(f"{h:>10s}" for h in heads))
    for name, chosen in options.items():
        pipeline = Pipeline.load(*models, args.device, replace(chosen, prob=0.0))
        everything = list(pipeline.read(paths, name))
        kept = [chosen.keep(r) for r in everything]
        result = score(held.boxes, held.image_ids, points_frame(kept))
        first = np.concatenate([r.first_probs for r in everything])
        viewed = (first < (np.inf if chosen.unsure is None else chosen.unsure)).mean() if chosen.tta else 0.0
        at = f"conf {chosen.conf}, prob {chosen.prob}" + (
            f", unsure < {chosen.unsure}" if chosen.unsure else ""
        )
        tuned = f1[{"no views": 0, "every box": -1, "unsure boxes": row}[name]].max()
        cells = (f"{tuned:.4f}", f"{result.f1:.4f}", f"{pipeline.seconds['crop+binarize']:.2f}")
        cells += (f"{pipeline.seconds['classify']:.2f}", f"{viewed:.1%}")
        print(f"  {name:14s} {at:36s} " + " ".join(f"{c:>10s}" for c in cells))
    return 0


if __name__ == "__main__":
    run_cli(main)
