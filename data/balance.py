"""Class balancing for training: cap frequent classes, oversample rare ones with marked copies."""

from __future__ import annotations

import numpy as np


def balance(
    labels: np.ndarray, cap: int, floor: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions into ``labels`` for one epoch, and which of them are extra copies.

    A class with more than ``cap`` samples contributes ``cap`` of them, drawn afresh each call;
    a class with fewer than ``floor`` contributes all of them plus copies drawn with replacement
    up to ``floor``. Copies are marked so the caller can augment them. The result is shuffled.
    """
    order = np.argsort(labels, kind="stable")
    _, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    picked, copies = [], []
    for start, count in zip(starts, counts, strict=True):
        members = order[start : start + count]
        if count > cap:
            picked.append(rng.choice(members, cap, replace=False))
        else:
            picked.append(members)
        if count < floor:
            copies.append(rng.choice(members, floor - count, replace=True))
    originals = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    extra = np.concatenate(copies) if copies else np.zeros(0, np.int64)
    positions = np.concatenate([originals, extra])
    is_copy = np.concatenate([np.zeros(len(originals), bool), np.ones(len(extra), bool)])
    shuffle = rng.permutation(len(positions))
    return positions[shuffle], is_copy[shuffle]
