"""One epoch of recognizer training and its validation: batches, augmentation, steps."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from recognize.augment import augment
from recognize.config import Config
from recognize.dataset import Prepared, epoch_plan, to_input
from recognize.distributed import ALONE, World
from recognize.model import CharNet

TRACE_EVERY = 50  # batches per point of the smoothed training-loss trace


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
    """Inputs and targets of one batch: copies always augmented, originals with probability cfg.augment.

    On a GPU every crop is augmented and the chosen ones kept (``torch.where``), since boolean
    indexing would make the host wait for the GPU every step; on the CPU, where nothing waits,
    only the chosen crops are augmented.
    """
    x = to_input(prep.images[idx])
    chosen = copies | (torch.rand(len(idx), generator=generator, device=x.device) < cfg.augment)
    if x.is_cuda:
        return torch.where(chosen.view(-1, 1, 1, 1), augment(x, generator), x), prep.targets[idx]
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
    world: World = ALONE,
) -> float:
    """One training epoch on this rank's share of the epoch plan; returns its mean training loss."""
    model.train()
    device = prep.images.device
    seed = cfg.seed * 1000 + epoch + 7919 * world.rank
    torch.manual_seed(seed)  # dropout: same draws when resumed
    generator = torch.Generator(device=device).manual_seed(seed)
    positions, is_copy = epoch_plan(prep, cfg.cap, cfg.floor, cfg.seed, epoch, cfg.prior)
    order = world.share(np.arange(len(positions)), cfg.batch)
    n_batches = len(order) // cfg.batch
    positions_t = torch.from_numpy(positions[order]).to(device)
    copy_t = torch.from_numpy(is_copy[order]).to(device)
    losses = torch.zeros(n_batches, device=device)
    bar = tqdm(
        range(n_batches),
        desc=f"epoch {epoch}/{cfg.epochs}",
        unit="batch",
        leave=False,
        disable=not world.main,
    )
    for b in bar:
        batch = slice(b * cfg.batch, (b + 1) * cfg.batch)
        x, y = make_batch(prep, positions_t[batch], copy_t[batch], cfg, generator)
        losses[b] = train_step(model, optimizer, scheduler, x, y)
        if (b + 1) % TRACE_EVERY == 0:
            trace.append((epoch - 1 + (b + 1) / n_batches, losses[b + 1 - TRACE_EVERY : b + 1].mean().item()))
            bar.set_postfix(loss=f"{trace[-1][1]:.3f}")
    return losses.mean().item() if n_batches else float("nan")


def steps_per_epoch(prep: Prepared, cfg: Config, world: World = ALONE) -> int:
    """Optimizer steps per epoch: every rank runs one batch per step."""
    return len(epoch_plan(prep, cfg.cap, cfg.floor, cfg.seed, 0, cfg.prior)[0]) // (cfg.batch * world.size)
