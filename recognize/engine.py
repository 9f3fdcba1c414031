"""The recognizer's training engine: model, optimizer and schedule, one epoch of steps, validation.

An epoch is one pass over the training crops, drawn by the class prior (``recognize.dataset.
epoch_plan``). AdamW follows a one-cycle schedule whose peak rate is ``lr`` for a batch of
``lr_batch`` crops, scaled linearly to the batch every optimizer step sees (``batch`` times the
number of training processes), and which warms up over its first ``warmup`` share of steps. On a
CUDA GPU with ``amp`` the steps run in mixed precision: bfloat16 where the GPU has it, otherwise
float16 with loss scaling. The CPU always trains in float32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from recognize.augment import augment
from recognize.dataset import Prepared, epoch_plan, to_input
from recognize.distributed import ALONE, World
from recognize.model import Arch, CharNet

if TYPE_CHECKING:
    from recognize.train import Config

TRACE_EVERY = 50  # batches per point of the smoothed training-loss trace


class Precision:
    """How the steps compute: autocast's dtype (None: float32) and a loss scaler for float16."""

    def __init__(self, device: torch.device, amp: bool) -> None:
        self.device_type = device.type
        self.dtype = None
        if amp and device.type == "cuda":
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None

    def __str__(self) -> str:
        return "float32" if self.dtype is None else str(self.dtype).removeprefix("torch.")

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.dtype is not None)


def peak_lr(cfg: Config, world: World = ALONE) -> float:
    """The schedule's peak learning rate: ``lr`` scaled linearly from ``lr_batch`` to the batch of
    one optimizer step."""
    return cfg.lr * cfg.batch * world.size / cfg.lr_batch


def steps_per_epoch(prep: Prepared, cfg: Config, world: World = ALONE) -> int:
    """Optimizer steps per epoch: every rank runs one batch per step."""
    return len(prep.train) // (cfg.batch * world.size)


def build(
    prep: Prepared, cfg: Config, device: torch.device, world: World = ALONE
) -> tuple[CharNet, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """A fresh model (seeded), AdamW, and one-cycle over all epochs of the run."""
    torch.manual_seed(cfg.seed)
    model = CharNet(Arch(len(prep.classes), cfg.width, cfg.depth, cfg.dropout)).to(device)
    peak = peak_lr(cfg, world)
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=peak,
        epochs=cfg.epochs,
        steps_per_epoch=max(steps_per_epoch(prep, cfg, world), 1),
        pct_start=cfg.warmup,
    )
    return model, optimizer, scheduler


def start_from(model: CharNet, checkpoint: dict, classes: list[str]) -> tuple[int, int]:
    """Copy a trained model's weights into ``model``: every float tensor of the same shape (weights
    and BatchNorm statistics), and the output layer's rows class by class (matched by unicode; a
    class it did not know keeps its fresh row). Returns (tensors copied, classes matched).
    """
    own = model.state_dict()
    state = {k: v.to(own[k].device) if k in own else v for k, v in checkpoint["state_dict"].items()}
    out = next(k for k in reversed(own) if k.endswith(".weight"))  # the output layer
    bias = out[: -len("weight")] + "bias"
    copied = 0
    for name, tensor in state.items():
        same = name in own and own[name].shape == tensor.shape and tensor.is_floating_point()
        if name not in (out, bias) and same:
            own[name] = tensor.clone()
            copied += 1
    index = {c: i for i, c in enumerate(checkpoint["classes"])}
    mine = [k for k, c in enumerate(classes) if c in index]
    theirs = [index[classes[k]] for k in mine]
    if out in state and state[out].shape[1:] == own[out].shape[1:]:
        own[out][mine] = state[out][theirs]
        own[bias][mine] = state[bias][theirs]
    model.load_state_dict(own)
    return copied, len(mine)


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
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    x: torch.Tensor,
    y: torch.Tensor,
    precision: Precision,
) -> torch.Tensor:
    """Forward, backward, optimizer and schedule step; returns the loss (still on the device)."""
    with precision.autocast():
        loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    if precision.scaler is None:
        loss.backward()
        optimizer.step()
    else:
        precision.scaler.scale(loss).backward()
        precision.scaler.step(optimizer)
        precision.scaler.update()
    scheduler.step()
    return loss.detach()


def run_epoch(
    model: torch.nn.Module,
    prep: Prepared,
    cfg: Config,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    trace: list,
    precision: Precision,
    world: World = ALONE,
) -> float:
    """One training epoch on this rank's share of the epoch plan; returns its mean training loss."""
    model.train()
    device = prep.images.device
    seed = cfg.seed * 1000 + epoch + 7919 * world.rank
    torch.manual_seed(seed)  # dropout: same draws when resumed
    generator = torch.Generator(device=device).manual_seed(seed)
    positions, is_copy = epoch_plan(prep, cfg.seed, epoch, cfg.prior)
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
        losses[b] = train_step(model, optimizer, scheduler, x, y, precision)
        if (b + 1) % TRACE_EVERY == 0:
            trace.append((epoch - 1 + (b + 1) / n_batches, losses[b + 1 - TRACE_EVERY : b + 1].mean().item()))
            bar.set_postfix(loss=f"{trace[-1][1]:.3f}")
    return losses.mean().item() if n_batches else float("nan")
