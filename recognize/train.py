"""Train the character CNN: AdamW + one-cycle, a checkpoint every epoch, resumable, plotted.

The run folder holds config.json, metrics.csv (epoch, train_loss, valid_loss, error_rate, lr,
seconds), loss.png, split.npz, epoch-NN.pt, best.pt, last.pt (resume state) and, once the run is
complete, model.pt (the best epoch) and the interpretation plots.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from data.checkpoint import load_checkpoint, save_checkpoint
from data.crops import CropSet
from data.device import resolve_device
from data.errors import DataError, run_cli
from data.formats import write_rows
from data.io import atomic_path, write_json
from recognize.augment import augment
from recognize.dataset import GROUPS, Prepared, epoch_plan, prepare, to_input
from recognize.model import Arch, CharNet
from recognize.plots import loss_curves

TRACE_EVERY = 50  # batches per point of the smoothed training-loss trace


@dataclass
class Config:
    """Everything that defines a run (saved as config.json; a resumed run must match it)."""

    crops: str
    epochs: int = 7
    lr: float = 1e-3
    batch: int = 16
    weight_decay: float = 1e-2
    cap: int = 500
    floor: int = 500
    valid: float = 0.3
    group: str = "sample"
    fraction: float = 1.0
    width: int = 64
    depth: int = 1
    dropout: float = 0.25
    augment: float = 0.5  # probability that an original (not a copy) is augmented too
    seed: int = 0


def model_payload(model: CharNet, classes: list[str], epoch: int, error_rate: float) -> dict:
    """What a predictor needs: weights, architecture, classes."""
    return {
        "state_dict": model.state_dict(),
        "arch": model.arch.as_dict(),
        "classes": classes,
        "epoch": epoch,
        "error_rate": error_rate,
    }


@torch.no_grad()
def evaluate(model: CharNet, prep: Prepared, positions: np.ndarray, batch: int = 1024) -> tuple[float, float]:
    """Mean cross-entropy and error rate over ``positions``."""
    model.eval()
    total_loss, wrong = 0.0, 0
    for start in range(0, len(positions), batch):
        idx = torch.from_numpy(positions[start : start + batch]).to(prep.images.device)
        logits = model(to_input(prep.images[idx]))
        target = prep.targets[idx]
        total_loss += F.cross_entropy(logits, target, reduction="sum").item()
        wrong += (logits.argmax(1) != target).sum().item()
    n = max(len(positions), 1)
    return total_loss / n, wrong / n


def make_batch(
    prep: Prepared, idx: torch.Tensor, copies: torch.Tensor, cfg: Config, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of one batch: copies always augmented, originals with probability cfg.augment."""
    x = to_input(prep.images[idx])
    chosen = copies | (torch.rand(len(idx), generator=generator, device=x.device) < cfg.augment)
    x[chosen] = augment(x[chosen], generator)
    return x, prep.targets[idx]


def train_step(
    model: CharNet,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    x: torch.Tensor,
    y: torch.Tensor,
) -> torch.Tensor:
    """Forward, backward, optimizer and schedule step; returns the loss (still on the device)."""
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.detach()


def run_epoch(
    model: CharNet,
    prep: Prepared,
    cfg: Config,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    trace: list,
) -> float:
    """One training epoch; returns the mean training loss."""
    model.train()
    device = prep.images.device
    torch.manual_seed(cfg.seed * 1000 + epoch)  # dropout: same draws when resumed
    generator = torch.Generator(device=device).manual_seed(cfg.seed * 1000 + epoch)
    positions, is_copy = epoch_plan(prep, cfg.cap, cfg.floor, cfg.seed, epoch)
    n_batches = len(positions) // cfg.batch
    positions_t = torch.from_numpy(positions).to(device)
    copy_t = torch.from_numpy(is_copy).to(device)
    losses = torch.zeros(n_batches, device=device)
    bar = tqdm(range(n_batches), desc=f"epoch {epoch}/{cfg.epochs}", unit="batch", leave=False)
    for b in bar:
        batch = slice(b * cfg.batch, (b + 1) * cfg.batch)
        x, y = make_batch(prep, positions_t[batch], copy_t[batch], cfg, generator)
        losses[b] = train_step(model, optimizer, scheduler, x, y)
        if (b + 1) % TRACE_EVERY == 0:
            trace.append((epoch - 1 + (b + 1) / n_batches, losses[b + 1 - TRACE_EVERY : b + 1].mean().item()))
            bar.set_postfix(loss=f"{trace[-1][1]:.3f}")
    return losses.mean().item() if n_batches else float("nan")


def steps_per_epoch(prep: Prepared, cfg: Config) -> int:
    return len(epoch_plan(prep, cfg.cap, cfg.floor, cfg.seed, 0)[0]) // cfg.batch


def build(prep: Prepared, cfg: Config, device: torch.device) -> tuple[CharNet, torch.optim.Optimizer, object]:
    torch.manual_seed(cfg.seed)
    model = CharNet(Arch(len(prep.classes), cfg.width, cfg.depth, cfg.dropout)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=max(steps_per_epoch(prep, cfg), 1)
    )
    return model, optimizer, scheduler


def check_run_folder(run: Path, cfg: Config, resume: bool) -> dict | None:
    """The resume state if resuming; refuse to overwrite a different or finished-elsewhere run."""
    saved = run / "config.json"
    if not saved.exists():
        return None
    if not resume:
        raise DataError(
            run, "run folder already holds a run: pass --resume to continue it, or choose another --run"
        )
    before = json.loads(saved.read_text())
    changed = [f.name for f in fields(Config) if before.get(f.name) != getattr(cfg, f.name)]
    if changed:
        raise DataError(
            saved, f"--resume with different settings ({', '.join(changed)}); choose another --run"
        )
    return load_checkpoint(run / "last.pt") if (run / "last.pt").exists() else None


def train(cfg: Config, run: str | Path, device_name: str = "auto", resume: bool = False) -> Path:
    """Train (or continue) the run in ``run``; return the path of the final model."""
    run = Path(run)
    device = resolve_device(device_name)
    state = check_run_folder(run, cfg, resume)
    run.mkdir(parents=True, exist_ok=True)
    write_json(run / "config.json", asdict(cfg))
    crops = CropSet.load(cfg.crops)
    if not len(crops):
        raise DataError(cfg.crops, "no crops to train on")
    prep = prepare(crops, cfg.group, cfg.valid, cfg.fraction, cfg.seed, device)
    with atomic_path(run / "split.npz") as tmp, tmp.open("wb") as f:
        np.savez(f, train=prep.train, valid=prep.valid, classes=np.array(prep.classes))
    model, optimizer, scheduler = build(prep, cfg, device)
    history, trace, best, start = [], [], float("inf"), 1
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, trace, best, start = (
            state["history"],
            [tuple(t) for t in state["trace"]],
            state["best"],
            state["epoch"] + 1,
        )
        print(f"resuming {run} after epoch {state['epoch']}")
    print(
        f"training on {device}: {len(prep.train)} crops ({len(prep.classes)} classes), "
        f"{len(prep.valid)} validation crops, {steps_per_epoch(prep, cfg)} steps per epoch"
    )
    for epoch in range(start, cfg.epochs + 1):
        began = time.time()
        train_loss = run_epoch(model, prep, cfg, epoch, optimizer, scheduler, trace)
        valid_loss, error = evaluate(model, prep, prep.valid) if len(prep.valid) else (float("nan"),) * 2
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
        payload = model_payload(model, prep.classes, epoch, error)
        save_checkpoint(run / f"epoch-{epoch:02d}.pt", payload)
        if score <= best:
            best = score
            save_checkpoint(run / "best.pt", payload)
        save_checkpoint(
            run / "last.pt",
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "best": best,
                "history": history,
                "trace": trace,
            },
        )
        write_rows(run / "metrics.csv", list(history[0]), [[str(v) for v in row.values()] for row in history])
        loss_curves(history, trace, run / "loss.png")
        print(
            f"epoch {epoch}: train loss {train_loss:.4f}, valid loss {valid_loss:.4f}, "
            f"error rate {error:.4f} ({history[-1]['seconds']} s)"
        )
    final = run / "model.pt"
    save_checkpoint(final, load_checkpoint(run / "best.pt"))
    return final


def config_parser() -> argparse.ArgumentParser:
    """Command-line options for every Config field (shared with lr_find)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--crops", required=True, help="crops .npz from data.crops")
    parser.add_argument("--run", required=True, help="run folder")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    defaults = Config(crops="")
    for f in fields(Config):
        if f.name == "crops":
            continue
        kwargs = {"choices": GROUPS} if f.name == "group" else {}
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=type(getattr(defaults, f.name)),
            default=getattr(defaults, f.name),
            **kwargs,
        )
    return parser


def config_from(args: argparse.Namespace) -> Config:
    return Config(**{f.name: getattr(args, f.name) for f in fields(Config)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(parents=[config_parser()], description=__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true", help="continue the run in --run from its last epoch")
    parser.add_argument("--no-interpret", action="store_true", help="skip top losses and heatmaps at the end")
    args = parser.parse_args(argv)
    final = train(config_from(args), args.run, args.device, args.resume)
    if not args.no_interpret:
        from recognize.interpret import interpret

        interpret(args.run, args.device)
    print(f"model: {final}")
    return 0


if __name__ == "__main__":
    run_cli(main)
