"""Where ultralytics keeps decoded training tiles: RAM, disk or nowhere, chosen from free memory and disk."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def available_memory() -> int:
    """Bytes of memory the kernel can give without swapping (MemAvailable)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def cache_policy(
    tiles: int, imgsz: int, device: torch.device, free_ram: int, free_disk: int
) -> tuple[str | bool, str]:
    """Where ultralytics keeps decoded tiles: ("ram" | "disk" | False, why).

    On the CPU the network costs far more than decoding a tile (about 1 ms of a 40 ms image), so
    tiles are read from their JPEG files and memory stays flat however many pages there are. On a
    GPU decoding must keep up: tiles go to RAM when they take at most a third of the free memory,
    else to uncompressed files on disk when they take at most half of the free disk, else nowhere.
    """
    need = tiles * imgsz * imgsz * 3
    size = f"{tiles} tiles need {need / 2**30:.1f} GiB decoded"
    if device.type == "cpu":
        return False, f"{size}; on the CPU decoding is cheap beside the network, so no cache"
    if need <= free_ram / 3:
        return "ram", f"{size}, a third of the {free_ram / 2**30:.0f} GiB of free memory at most"
    if need <= free_disk / 2:
        return "disk", f"{size}, more than a third of the {free_ram / 2**30:.0f} GiB of free memory"
    return False, f"{size}, more than a third of free memory and half of free disk"
