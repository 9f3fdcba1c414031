"""Class balancing for training: cap frequent classes, oversample rare ones with marked copies."""

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
