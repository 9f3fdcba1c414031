"""Recognizer training on several processes with PyTorch's own engine: torchrun + DistributedDataParallel.

Under ``torchrun --nproc_per_node N -m recognize.train ...`` every rank holds the crops, draws the
same epoch plan and trains on its own interleaved share of it, so one optimizer step sees N
batches; gradients are averaged by DDP. Rank 0 alone writes the run folder, checkpoints and plots.
Without torchrun (``WORLD_SIZE`` unset) nothing here does anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from data.infra.device import resolve_device


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, positions: np.ndarray, batch: int) -> np.ndarray:
        """This rank's positions: every size-th, cut so that every rank runs the same number of batches."""
        steps = len(positions) // (batch * self.size)
        return positions[self.rank :: self.size][: steps * batch]

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()

    def from_main(self, value: Any) -> Any:
        """Rank 0's ``value``, on every rank."""
        if self.size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


ALONE = World()  # a single process


def join(device_name: str) -> tuple[World, torch.device]:
    """Join the process group when started by torchrun (NCCL on GPUs, gloo on the CPU); pick the device."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    device = resolve_device(device_name)
    if size == 1:
        return World(), device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size()), device


def leave(world: World) -> None:
    """Leave the process group (after the last collective call)."""
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def parallel(model: torch.nn.Module, world: World, device: torch.device) -> torch.nn.Module:
    """The model wrapped in DistributedDataParallel when there are several processes."""
    if world.size == 1:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
