"""The model, AdamW and the one-cycle schedule of a recognizer run, optionally from a trained model."""

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
