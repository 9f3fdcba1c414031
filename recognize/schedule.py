"""The model, AdamW and the one-cycle schedule of a recognizer run."""

from __future__ import annotations

import torch

from recognize.config import Config
from recognize.dataset import Prepared
from recognize.distributed import ALONE, World
from recognize.loop import steps_per_epoch
from recognize.model import Arch, CharNet


def build(
    prep: Prepared, cfg: Config, device: torch.device, world: World = ALONE
) -> tuple[CharNet, torch.optim.Optimizer, object]:
    """A fresh model (seeded), AdamW, and one-cycle over all epochs of the run."""
    torch.manual_seed(cfg.seed)
    model = CharNet(Arch(len(prep.classes), cfg.width, cfg.depth, cfg.dropout)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=max(steps_per_epoch(prep, cfg, world), 1)
    )
    return model, optimizer, scheduler
