"""Checkpoint files: written atomically, read back with ``weights_only=True``."""

from __future__ import annotations

from pathlib import Path

import torch

from data.infra.errors import DataError
from data.infra.io import atomic_path


def save_checkpoint(path: str | Path, payload: dict) -> None:
    """Save tensors and plain values (no pickled objects) atomically. The same payload gives the
    same bytes wherever it is saved (torch names the archive inside after a path it is given, here
    a temporary one), so a model saved again keeps the fingerprint the runs that use it recorded."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        torch.save(payload, f)


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> dict:
    """Load a checkpoint of this project; a missing or bad file is a one-line DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "model file not found (train it first, e.g. `make recognizer`)")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # any unpickling failure means a bad file
        raise DataError(path, f"not a loadable checkpoint ({error.__class__.__name__}: {error})") from None
