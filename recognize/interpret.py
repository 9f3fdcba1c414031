"""What the recognizer gets wrong, in bounded memory: top losses, confusions, per-class accuracy, heatmaps.

Everything streams over validation batches: memory grows with the number of validation crops
and classes, never with classes squared.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from data.crops import CropSet
from data.formats import char_of, write_rows
from data.infra.device import resolve_device
from data.infra.errors import run_cli
from data.infra.runs import input_path
from recognize.dataset import to_input
from recognize.plots import crop_grid
from recognize.predict import Recognizer


def interpret(
    run: str | Path, device: str = "auto", top: int = 24, maps: int = 18, batch: int = 1024
) -> dict:
    """Write top_losses.png, confused.csv, per_class.csv and cam.png into the run folder."""
    run = Path(run)
    recognizer = Recognizer.load(run / "model.pt", resolve_device(device))
    crops = CropSet.load(input_path(run, "crops"))
    with np.load(run / "split.npz") as split:
        valid = split["valid"]
    if not len(valid):
        print("no validation crops: nothing to interpret")
        return {}
    index = {c: i for i, c in enumerate(recognizer.classes)}
    n_classes = len(index)
    truth = np.array([index[u] for u in crops.unicodes[valid]])
    worst_loss, worst_pos, worst_pred = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
    confused: Counter[tuple[int, int]] = Counter()
    seen, right = np.zeros(n_classes, np.int64), np.zeros(n_classes, np.int64)
    model, dev = recognizer.model, recognizer.device
    with torch.no_grad():
        for start in range(0, len(valid), batch):
            pos = valid[start : start + batch]
            target = torch.from_numpy(truth[start : start + batch]).to(dev)
            logits = model(to_input(torch.from_numpy(crops.images[pos]).to(dev)))
            loss = F.cross_entropy(logits, target, reduction="none").cpu().numpy()
            pred = logits.argmax(1).cpu().numpy()
            t = target.cpu().numpy()
            seen += np.bincount(t, minlength=n_classes)
            right += np.bincount(t[pred == t], minlength=n_classes)
            wrong = pred != t
            pairs, counts = np.unique(t[wrong] * n_classes + pred[wrong], return_counts=True)
            confused.update(
                dict(
                    zip(
                        ((int(p) // n_classes, int(p) % n_classes) for p in pairs),
                        counts.tolist(),
                        strict=True,
                    )
                )
            )
            merged_loss = np.concatenate([worst_loss, loss])
            keep = np.argsort(-merged_loss)[:top]
            worst_loss = merged_loss[keep]
            worst_pos = np.concatenate([worst_pos, pos])[keep]
            worst_pred = np.concatenate([worst_pred, pred])[keep]

    classes = recognizer.classes
    titles = [
        f"{char_of(crops.unicodes[p])}→{char_of(classes[q])} {loss:.1f}"
        for p, q, loss in zip(worst_pos, worst_pred, worst_loss, strict=True)
    ]
    crop_grid(crops.images[worst_pos], titles, run / "top_losses.png")
    write_rows(
        run / "confused.csv",
        ["true", "predicted", "true_char", "predicted_char", "count"],
        [
            [classes[a], classes[b], char_of(classes[a]), char_of(classes[b]), str(n)]
            for (a, b), n in confused.most_common()
        ],
    )
    order = np.argsort(-seen)
    write_rows(
        run / "per_class.csv",
        ["unicode", "char", "valid_samples", "accuracy"],
        [
            [classes[k], char_of(classes[k]), str(seen[k]), f"{right[k] / seen[k]:.4f}"]
            for k in order
            if seen[k]
        ],
    )

    sample = np.random.default_rng(0).choice(valid, min(maps, len(valid)), replace=False)
    codes, probs, heat = recognizer.predict(crops.images[sample], with_maps=True)
    titles = [
        f"{char_of(crops.unicodes[p])}→{char_of(c)} {q:.2f}"
        for p, c, q in zip(sample, codes, probs, strict=True)
    ]
    crop_grid(crops.images[sample], titles, run / "cam.png", overlays=heat)
    error = 1 - right.sum() / seen.sum()
    print(
        f"interpretation in {run}: error rate {error:.4f} on {len(valid)} crops, "
        f"{len(confused)} confused pairs; top_losses.png, cam.png, confused.csv, per_class.csv"
    )
    return {"error_rate": float(error), "valid": len(valid)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a finished recognizer run folder")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--top", type=int, default=24, help="how many top losses to show")
    args = parser.parse_args(argv)
    interpret(args.run, args.device, args.top)
    return 0


if __name__ == "__main__":
    run_cli(main)
