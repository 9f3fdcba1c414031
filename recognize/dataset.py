"""Crops held once on the training device as uint8, the leakage-free split, balanced batches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from data.balance import balance
from data.crops import CropSet
from data.split import book_of, split_crops

GROUPS = ("sample", "page", "book")


def to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 crops (n, 32, 32) → float network input (n, 1, 32, 32) in [0, 1], ink = 1."""
    return images.unsqueeze(1).float().div_(255)


@dataclass
class Prepared:
    """Everything a training run needs, on its device."""

    classes: list[str]  # unicode of each label
    labels: np.ndarray  # label of every crop
    samples: np.ndarray  # source-sample id of every crop
    train: np.ndarray  # crop positions used for training
    valid: np.ndarray  # crop positions used for validation
    weights: np.ndarray  # draws per epoch of every crop (its source's weight)
    images: torch.Tensor  # (n, 32, 32) uint8 on the device
    targets: torch.Tensor  # (n,) int64 on the device


def prepare(
    crops: CropSet,
    group: str,
    valid_fraction: float,
    fraction: float,
    seed: int,
    device: torch.device,
    known: list[str] | None = None,
) -> Prepared:
    """Keep ``fraction`` of the groups, split them, and move the crops to ``device`` once.

    Only crops of the first (real) source validate; the other sources' crops always train. The
    classes are those trained on, with the ``known`` ones (a model to start from) added.
    """
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}")
    groups = {
        "sample": crops.samples.astype(str),
        "page": crops.pages,
        "book": np.array([book_of(p) for p in crops.pages]),
    }[group]
    rng = np.random.default_rng([seed, 1])
    if fraction < 1:
        names, ids = np.unique(groups, return_inverse=True)
        keep = np.flatnonzero((rng.random(len(names)) < fraction)[ids])
    else:
        keep = np.arange(len(crops))
    extra, keep = keep[~crops.real[keep]], keep[crops.real[keep]]
    train, valid = split_crops(crops.unicodes[keep], groups[keep], valid_fraction, group == "sample", seed)
    train, valid = np.sort(np.concatenate([keep[train], extra])), keep[valid]
    classes = np.unique(np.concatenate([crops.unicodes[train], np.array(known or [], dtype=str)]))
    index = {c: i for i, c in enumerate(classes)}
    all_labels = np.array([index.get(u, -1) for u in crops.unicodes], dtype=np.int64)
    return Prepared(
        classes=[str(c) for c in classes],
        labels=all_labels,
        samples=crops.samples,
        train=train,
        valid=valid,
        weights=crops.weights,
        images=torch.from_numpy(crops.images).to(device),
        targets=torch.from_numpy(all_labels).to(device),
    )


def epoch_plan(prep: Prepared, cap: int, floor: int, seed: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Crop positions for one epoch of training (balanced, shuffled) and which are copies.

    The draw depends only on (seed, epoch), so a resumed run sees exactly the same epochs.
    """
    rng = np.random.default_rng([seed, 2, epoch])
    positions, is_copy = balance(prep.labels[prep.train], cap, floor, rng, prep.weights[prep.train])
    return prep.train[positions], is_copy
