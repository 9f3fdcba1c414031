"""Class balancing for training: cap frequent classes and oversample rare ones with marked copies,
or draw each class in proportion to a power of its size (a class prior)."""

from __future__ import annotations

import numpy as np


def repeats(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How often each sample is drawn this epoch: its weight, rounded up or down at random (mean = weight)."""
    whole = np.floor(weights)
    return (whole + (rng.random(len(weights)) < weights - whole)).astype(np.int64)


def balance(
    labels: np.ndarray,
    cap: int,
    floor: int,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions into ``labels`` for one epoch, and which of them are extra copies.

    With ``weights`` (draws per epoch, e.g. 10 for a real crop beside font renders of weight 1)
    each sample first enters the pool that many times (``repeats``), its repeats marked as copies.
    A class with more than ``cap`` entries in the pool contributes ``cap`` of them, drawn afresh each
    call; a class with fewer than ``floor`` contributes all of them plus copies drawn with
    replacement up to ``floor``. Copies are marked so the caller can augment them. The result is
    shuffled. Without weights (or with all weights 1) every sample enters once.
    """
    pool = np.arange(len(labels))
    repeated = np.zeros(len(labels), bool)
    if weights is not None and not np.all(weights == 1):
        times = repeats(weights, rng)
        pool = np.repeat(pool, times)
        repeated = np.ones(len(pool), bool)
        repeated[np.cumsum(times)[times > 0] - times[times > 0]] = False
    order = np.argsort(labels[pool], kind="stable")
    _, starts, counts = np.unique(labels[pool][order], return_index=True, return_counts=True)
    picked, copies = [], []
    for start, count in zip(starts, counts, strict=True):
        members = order[start : start + count]  # entries of the pool
        if count > cap:
            picked.append(rng.choice(members, cap, replace=False))
        else:
            picked.append(members)
        if count < floor:
            copies.append(rng.choice(members, floor - count, replace=True))
    originals = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    extra = np.concatenate(copies) if copies else np.zeros(0, np.int64)
    positions = np.concatenate([pool[originals], pool[extra]])
    is_copy = np.concatenate([repeated[originals], np.ones(len(extra), bool)])
    shuffle = rng.permutation(len(positions))
    return positions[shuffle], is_copy[shuffle]


def prior_draw(
    labels: np.ndarray,
    power: float,
    size: int,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` positions into ``labels`` drawn with replacement, each sample with probability
    proportional to its weight times its class's weighted count to the power ``-power``; so a class
    of n samples is drawn in proportion to n ** (1 - power) (0: as they come, 1: every class alike).
    Every draw of a sample after its first is marked as a copy. The result is in draw order.
    """
    positions = rng.choice(len(labels), size, p=prior_weights(labels, power, weights))
    is_copy = np.ones(size, bool)
    is_copy[np.unique(positions, return_index=True)[1]] = False
    return positions, is_copy


def prior_weights(labels: np.ndarray, power: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Each sample's chance in ``prior_draw``: its weight times its class's weighted count ** -power,
    normalized to sum to 1."""
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, np.float64)
    inverse, counts = class_counts(labels, weights)
    p = weights * counts[inverse] ** -power
    return p / p.sum()


def capped_size(labels: np.ndarray, cap: int, floor: int, weights: np.ndarray | None = None) -> int:
    """How many draws an epoch of ``balance`` makes, on average: each class's weighted count held
    between ``floor`` and ``cap``."""
    _, counts = class_counts(labels, weights)
    return int(np.rint(np.clip(counts, floor, max(cap, floor)).sum()))


def class_counts(labels: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's class index and each class's weighted count (all weights 1 by default)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse, np.bincount(inverse, weights=weights).astype(np.float64)
