"""The torch device to run on: ``cpu``, ``cuda`` (or ``cuda:N``), ``auto``, or GPU indices ``0,1,...``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from data.infra.errors import DataError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks the first CUDA GPU when there is one, else the CPU.

    A list of GPU indices (``0,1``, for ultralytics' multi-GPU training) names its first GPU here.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    first = name.split(",")[0].strip()
    try:
        device = torch.device(f"cuda:{first}" if first.isdigit() else first)
    except RuntimeError:
        raise DataError("--device", f"{name!r} is not cpu, cuda, cuda:N, auto or a list like 0,1") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DataError("--device", f"{name} requested but no CUDA GPU is available")
    return device


def gpu_list(name: str) -> list[int]:
    """The GPU indices of a device name like ``0,1`` (empty for any other name)."""
    parts = [p.strip() for p in name.split(",")]
    return [int(p) for p in parts] if len(parts) > 1 and all(p.isdigit() for p in parts) else []


@dataclass(frozen=True)
class ReadingSizes:
    """How the pipeline reads pages on a device: ``chunk`` pages at a time (the detector's and the
    recognizer's batches span them), decoded ahead by ``threads`` threads, ``tiles`` detector tiles
    per forward pass."""

    chunk: int
    threads: int
    tiles: int


def reading_sizes(device: torch.device, cores: int | None = None) -> ReadingSizes:
    """Sizes that keep the device busy. A GPU detects a page in a few milliseconds, so it gets
    large chunks and batches and as many decoding threads as the CPU can spare (a JPEG page
    takes tens of milliseconds to decode); on the CPU the detector needs the cores, and two
    decoding threads stay ahead of it."""
    cores = cores or os.cpu_count() or 1
    if device.type == "cuda":
        return ReadingSizes(chunk=32, threads=max(2, min(cores - 2, 12)), tiles=64)
    return ReadingSizes(chunk=8, threads=2 if cores <= 8 else cores // 4, tiles=16)
