"""The class prior of recognizer training: each class drawn in proportion to a power of its size."""

from __future__ import annotations

import numpy as np


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


def class_counts(labels: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's class index and each class's weighted count (all weights 1 by default)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse, np.bincount(inverse, weights=weights).astype(np.float64)
