"""Learning-rate finder: sweep the learning rate up exponentially for one short pass and plot the loss.

Writes lr_find.csv and lr_find.png (the exploding tail trimmed) into the run folder and prints
the suggested maximum learning rate for one-cycle training: a tenth of the rate at the loss minimum.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from data.crops import CropSet
from data.formats import write_rows
from data.infra.cli import add_run_options, add_settings_options, settings_of
from data.infra.device import resolve_device
from data.infra.errors import run_cli
from data.infra.io import write_json
from recognize.dataset import epoch_plan, prepare, to_input
from recognize.model import Arch, CharNet
from recognize.plots import lr_sweep
from recognize.train import Config


def lr_find(
    cfg: Config,
    crops: str | Path,
    run: str | Path,
    device_name: str = "auto",
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
) -> float:
    """Sweep, save the plot and table, and return the suggested maximum learning rate."""
    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    write_json(run / "lr_find_config.json", asdict(cfg))
    device = resolve_device(device_name)
    torch.manual_seed(cfg.seed)
    prep = prepare(CropSet.load(crops), cfg.group, cfg.valid, cfg.fraction, cfg.seed, device)
    model = CharNet(Arch(len(prep.classes), cfg.width, cfg.depth, cfg.dropout)).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=start, weight_decay=cfg.weight_decay)
    positions = torch.from_numpy(epoch_plan(prep, cfg.seed, 0, cfg.prior)[0]).to(device)
    lrs, losses, average, best = [], [], 0.0, math.inf
    for i in tqdm(range(steps), desc="lr sweep", unit="step"):
        lr = start * (end / start) ** (i / (steps - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        idx = positions[(i * cfg.batch) % max(len(positions) - cfg.batch, 1) :][: cfg.batch]
        loss = F.cross_entropy(model(to_input(prep.images[idx])), prep.targets[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        average = 0.98 * average + 0.02 * loss.item()
        smoothed = average / (1 - 0.98 ** (i + 1))
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
        if not math.isfinite(smoothed) or smoothed > 4 * best:
            break
    lrs_a, losses_a = np.array(lrs), np.array(losses)
    lowest = int(np.nanargmin(losses_a))
    rising = np.flatnonzero((np.arange(len(losses_a)) > lowest) & ~(losses_a <= losses_a[0]))
    shown = slice(0, rising[0] if rising.size else len(losses_a))  # trim the exploding tail
    suggestion = float(lrs_a[lowest] / 10)
    write_rows(
        run / "lr_find.csv",
        ["lr", "smoothed_loss"],
        [[f"{a:.3e}", f"{b:.5f}"] for a, b in zip(lrs, losses, strict=True)],
    )
    lr_sweep(lrs_a[shown], losses_a[shown], suggestion, run / "lr_find.png")
    return suggestion


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", required=True, help="crops .npz from data.crops")
    add_run_options(parser, resume=False)
    add_settings_options(parser)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    s = settings_of(args)
    cfg = s.build(Config, "recognizer", seed=s["seed"])
    suggestion = lr_find(cfg, args.crops, args.run, args.device, steps=args.steps)
    print(f"suggested max learning rate {suggestion:.1e}; plot: {Path(args.run) / 'lr_find.png'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
