"""Train the character CNN: its settings, the run folder, resume, a checkpoint every epoch, plots.

The steps themselves are ``recognize.engine``'s. The run folder holds config.json and inputs.json
(``data.infra.runs``), metrics.csv (epoch, train_loss, valid_loss, error_rate, lr, seconds),
loss.png, split.npz, epoch-NN.pt, best.pt, last.pt (resume state) and, once the run is complete,
model.pt (the best epoch) and the interpretation plots.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data.crops import CropSet
from data.formats import write_rows
from data.infra.checkpoint import load_checkpoint, save_checkpoint
from data.infra.cli import add_run_options, add_settings_options, settings_of
from data.infra.errors import DataError, run_cli
from data.infra.io import atomic_path
from data.infra.runs import open_run
from data.split import unseen_tune_pages
from recognize.dataset import GROUPS, prepare
from recognize.distributed import World, join, leave, parallel
from recognize.engine import Precision, build, evaluate, peak_lr, run_epoch, start_from, steps_per_epoch
from recognize.model import CharNet
from recognize.plots import loss_curves


@dataclass
class Config:
    """The settings that shape a recognizer run: the profiles' ``[recognizer]`` section and the
    seed (saved as config.json; a resumed run must match them)."""

    epochs: int  # passes over the training crops, each drawn by the class prior
    batch: int  # crops per step and process
    lr: float  # the one-cycle schedule's peak learning rate for a step of lr_batch crops ...
    lr_batch: int  # ... scaled linearly to the crops of one optimizer step (recognize.engine)
    warmup: float  # the share of the steps over which the rate rises to its peak
    weight_decay: float
    prior: float  # classes drawn in proportion to count ** (1 - prior): 0 as they come, 1 all alike
    valid: float  # without a split's tune pages: the share of the crops (by group) that validates
    group: str  # sample, page or book: what stays on one side of that validation split
    fraction: float  # the share of the groups used at all (quick experiments)
    width: int  # channels of the first block; each of the 3 stride-2 stages doubles them
    depth: int  # extra stride-1 blocks after each stride-2 block
    dropout: float
    augment: float  # the chance that a crop drawn for the first time in an epoch is augmented
    amp: bool  # mixed precision on a CUDA GPU (recognize.engine.Precision)
    seed: int

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise DataError("recognizer.group", f"{self.group!r} is not one of {', '.join(GROUPS)}")


def model_payload(model: CharNet, classes: list[str], epoch: int, error_rate: float) -> dict:
    """What a predictor needs: weights, architecture, classes."""
    return {
        "state_dict": model.state_dict(),
        "arch": model.arch.as_dict(),
        "classes": classes,
        "epoch": epoch,
        "error_rate": error_rate,
    }


def train(
    cfg: Config,
    crops: str | Path,
    run: str | Path,
    device_name: str = "auto",
    resume: bool = False,
    init: str | Path | None = None,
    split: str | Path | None = None,
) -> Path:
    """Train (or continue) the run in ``run`` on ``crops``; return the path of the final model.

    ``init``: a recognizer model.pt to start from (fine-tuning), its classes matched by unicode.
    ``split``: a split.json whose tune pages (``data.split.unseen_tune_pages``) validate and never train.
    The run's config.json records each crop source's weight; inputs.json the crops, ``init`` and
    ``split``.
    """
    run = Path(run)
    world, device = join(device_name)
    crop_set = CropSet.load(crops)
    if not len(crop_set):
        raise DataError(crops, "no crops to train on")
    weights = crop_set.source_weights()
    settings = {**asdict(cfg), **({"source_weights": weights} if weights != {"data": 1.0} else {})}
    inputs = {"crops": crops, **({"init": init} if init else {}), **({"split": split} if split else {})}
    continuing = world.from_main(open_run(run, settings, inputs, resume) if world.main else None)
    state = load_checkpoint(run / "last.pt", device) if continuing and (run / "last.pt").exists() else None
    base = load_checkpoint(init) if init else None
    known = list(base["classes"]) if base else None
    tune = unseen_tune_pages(json.loads(Path(split).read_text())) if split else None
    prep = prepare(crop_set, cfg.group, cfg.valid, cfg.fraction, cfg.seed, device, known, tune)
    if world.main:
        with atomic_path(run / "split.npz") as tmp, tmp.open("wb") as f:
            np.savez(f, train=prep.train, valid=prep.valid, classes=np.array(prep.classes))
    net, optimizer, scheduler = build(prep, cfg, device, world)
    precision = Precision(device, cfg.amp)
    if base is not None and state is None:
        copied, matched = start_from(net, base, prep.classes)
        say(world, f"starting from {init}: {copied} tensors, {matched} of {len(prep.classes)} classes")
    history, trace, best, start = [], [], float("inf"), 1
    if state is not None:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if precision.scaler is not None and "scaler" in state:
            precision.scaler.load_state_dict(state["scaler"])
        history, trace, best, start = (
            state["history"],
            [tuple(t) for t in state["trace"]],
            state["best"],
            state["epoch"] + 1,
        )
        say(world, f"resuming {run} after epoch {state['epoch']}")
    say(
        world,
        f"training on {device} x {world.size} in {precision}: {len(prep.train)} crops "
        f"({len(prep.classes)} classes), {len(prep.valid)} validation crops, "
        f"{steps_per_epoch(prep, cfg, world)} steps per epoch, peak learning rate {peak_lr(cfg, world):.2e}",
    )
    model = parallel(net, world, device)
    for epoch in range(start, cfg.epochs + 1):
        began = time.time()
        train_loss = run_epoch(model, prep, cfg, epoch, optimizer, scheduler, trace, precision, world)
        if not world.main:
            world.barrier()  # rank 0 validates and saves
            continue
        valid_loss, error = evaluate(net, prep, prep.valid) if len(prep.valid) else (float("nan"),) * 2
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": valid_loss,
                "error_rate": error,
                "lr": scheduler.get_last_lr()[0],
                "seconds": round(time.time() - began, 1),
            }
        )
        score = error if len(prep.valid) else -epoch
        payload = model_payload(net, prep.classes, epoch, error)
        save_checkpoint(run / f"epoch-{epoch:02d}.pt", payload)
        if score <= best:
            best = score
            save_checkpoint(run / "best.pt", payload)
        save_checkpoint(
            run / "last.pt",
            {
                "model": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "best": best,
                "history": history,
                "trace": trace,
                **({"scaler": precision.scaler.state_dict()} if precision.scaler is not None else {}),
            },
        )
        write_rows(run / "metrics.csv", list(history[0]), [[str(v) for v in row.values()] for row in history])
        loss_curves(history, trace, run / "loss.png")
        print(
            f"epoch {epoch}: train loss {train_loss:.4f}, valid loss {valid_loss:.4f}, "
            f"error rate {error:.4f} ({history[-1]['seconds']} s)"
        )
        world.barrier()
    final = run / "model.pt"
    if world.main:
        save_checkpoint(final, load_checkpoint(run / "best.pt"))
    world.barrier()
    return final


def say(world: World, message: str) -> None:
    """Print on rank 0 only."""
    if world.main:
        print(message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", required=True, help="crops .npz from data.crops")
    add_run_options(parser)
    add_settings_options(parser)
    parser.add_argument("--no-interpret", action="store_true", help="skip top losses and heatmaps at the end")
    parser.add_argument("--init", help="a recognizer model.pt to start from (classes matched by unicode)")
    parser.add_argument(
        "--split", help="split.json: its tune pages validate and never train (instead of --valid/--group)"
    )
    args = parser.parse_args(argv)
    s = settings_of(args)
    cfg = s.build(Config, "recognizer", seed=s["seed"])
    final = train(cfg, args.crops, args.run, args.device, args.resume, args.init, args.split)
    world, _ = join(args.device)
    leave(world)
    if not world.main:
        return 0
    if not args.no_interpret:
        from recognize.interpret import interpret

        interpret(args.run, args.device)
    print(f"model: {final}")
    return 0


if __name__ == "__main__":
    run_cli(main)
