"""Crops held once on the training device as uint8, the leakage-free split, balanced batches."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import torch

from data.balance import prior_draw
from data.crops import CropSet
from data.split import book_of

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
    valid_pages: Collection[str] | None = None,
) -> Prepared:
    """Keep ``fraction`` of the groups, split them, and move the crops to ``device`` once.

    Only crops of the first (real) source validate; the other sources' crops always train. With
    ``valid_pages`` (``data.split.tune_pages``) the crops of those pages validate, of the classes
    trained on, and never train, whatever ``group`` and ``valid_fraction`` say. The classes are
    those trained on, with the ``known`` ones (a model to start from) added.
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
    if valid_pages is None:
        extra, keep = keep[~crops.real[keep]], keep[crops.real[keep]]
        by_sample = group == "sample"
        train, valid = split_crops(crops.unicodes[keep], groups[keep], valid_fraction, by_sample, seed)
        train, valid = np.sort(np.concatenate([keep[train], extra])), keep[valid]
    else:
        tune = np.isin(crops.pages[keep], np.asarray(list(valid_pages), dtype=str))
        train, valid = keep[~tune], keep[tune & crops.real[keep]]
        valid = valid[np.isin(crops.unicodes[valid], crops.unicodes[train])]
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


def epoch_plan(prep: Prepared, seed: int, epoch: int, prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Crop positions for one epoch of training, and which are copies: one pass over the training
    crops, as many draws as there are crops, each crop drawn in proportion to its source's weight
    and its class's count ** -prior (``data.balance.prior_draw``; 0: as they come, 1: every class
    alike). The draw depends only on (seed, epoch), so a resumed run sees exactly the same epochs.
    """
    rng = np.random.default_rng([seed, 2, epoch])
    labels, weights = prep.labels[prep.train], prep.weights[prep.train]
    positions, is_copy = prior_draw(labels, prior, len(labels), rng, weights)
    return prep.train[positions], is_copy


def split_crops(
    unicodes: np.ndarray, groups: np.ndarray, fraction: float, by_sample: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices: no sample on both sides, and every validation class is trained.

    ``by_sample``: each class sends ~``fraction`` of its samples to validation, never its last
    one, so a class with a single sample is train-only. Otherwise whole ``groups`` (pages or
    books) go to validation, except the samples of a class that would then have no training
    sample: those stay in training.
    """
    rng = np.random.default_rng(seed)
    n = len(unicodes)
    codes, labels = np.unique(unicodes, return_inverse=True)
    if by_sample:
        counts = np.bincount(labels)
        order = np.lexsort((rng.random(n), labels))
        rank = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
        quota = np.minimum(np.floor(fraction * counts + rng.random(len(counts))), counts - 1)
        valid = np.zeros(n, bool)
        valid[order] = rank < quota[labels[order]]
    else:
        names, group_ids = np.unique(groups, return_inverse=True)
        chosen = rng.random(len(names)) < fraction
        valid = chosen[group_ids]
        trained = np.zeros(len(codes), bool)
        trained[labels[~valid]] = True
        valid &= trained[labels]
    return np.flatnonzero(~valid), np.flatnonzero(valid)
