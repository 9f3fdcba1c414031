"""PNG plots of the recognizer: loss curves, learning-rate sweep, top losses, activation maps."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.font_manager import FontProperties

from data.fonts import label_font
from data.infra.io import atomic_path


def save(fig: plt.Figure, path: str | Path) -> None:
    """Save a figure as PNG atomically and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def loss_curves(history: list[dict], batch_trace: list[tuple[float, float]], path: str | Path) -> None:
    """Training loss along the batches (smoothed) and per-epoch validation loss and error rate."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    if batch_trace:
        steps, losses = zip(*batch_trace, strict=True)
        left.plot(steps, losses, label="train (running mean)", color="tab:blue", alpha=0.8)
    epochs = [row["epoch"] for row in history]
    left.plot(
        epochs, [row["train_loss"] for row in history], "o-", label="train (epoch mean)", color="tab:blue"
    )
    left.plot(epochs, [row["valid_loss"] for row in history], "o-", label="valid", color="tab:orange")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy")
    left.legend()
    left.grid(alpha=0.3)
    right.plot(epochs, [row["error_rate"] for row in history], "o-", color="tab:red")
    right.set_xlabel("epoch")
    right.set_ylabel("validation error rate")
    right.grid(alpha=0.3)
    save(fig, path)


def lr_sweep(lrs: np.ndarray, losses: np.ndarray, suggestion: float, path: str | Path) -> None:
    """Smoothed loss against learning rate (log axis) with the suggested maximum learning rate."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(lrs, losses)
    ax.axvline(suggestion, color="tab:red", linestyle="--", label=f"suggested max lr {suggestion:.1e}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss (smoothed)")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)


def crop_grid(
    images: np.ndarray,
    titles: list[str],
    path: str | Path,
    overlays: np.ndarray | None = None,
    columns: int = 6,
) -> None:
    """A grid of 32x32 crops with Japanese titles; ``overlays`` (same shape, 0–1) drawn as heatmaps."""
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.9, rows * 2.2), squeeze=False)
    font = FontProperties(fname=str(label_font()), size=9)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=255)
        if overlays is not None:
            ax.imshow(overlays[k], cmap="jet", alpha=0.45, vmin=0, vmax=1, extent=(-0.5, 31.5, 31.5, -0.5))
        ax.set_title(titles[k], fontproperties=font)
    save(fig, path)
