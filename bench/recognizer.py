"""Recognizer throughput: training images/s, share of step time spent preparing data, inference crops/s.

    python bench/recognizer.py [--crops build/default/crops.npz] [--device cpu|cuda] [--seconds 20]

Without --crops it uses random binary crops of 1000 classes (speed does not depend on content).
Two settings are measured: the seed's network (width 64 → 512x4x4, batch 16) and the CPU preset
used by `make submission` on the embedded data (width 32, depth 0, batch 64); on a GPU also the
seed's network at batch 1024. Each line extrapolates the time of one epoch over the real data set's
683,464 crops.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from data.crops import CropSet
from data.infra.device import resolve_device
from recognize.config import Config
from recognize.dataset import epoch_plan, prepare
from recognize.loop import make_batch, train_step
from recognize.predict import Recognizer
from recognize.schedule import build

SETTINGS = {
    "seed network (w64 d1, batch 16)": {"width": 64, "depth": 1, "batch": 16},
    "CPU preset (w32 d0, batch 64)": {"width": 32, "depth": 0, "batch": 64},
}
GPU_SETTINGS = {"seed network (w64 d1, batch 1024)": {"width": 64, "depth": 1, "batch": 1024}}
REAL_CROPS = 683_464  # characters in the competition's train.csv: one epoch over them


def random_crops(n: int = 30_000, classes: int = 1000) -> CropSet:
    rng = np.random.default_rng(0)
    images = (rng.random((n, 32, 32)) < 0.2).astype(np.uint8) * 255
    codes = np.array([f"U+{0x4E00 + k:04X}" for k in rng.integers(0, classes, n)])
    return CropSet(images, codes, np.array(["p"] * n), np.arange(n))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(crops: CropSet, cfg: Config, device: torch.device, seconds: float) -> tuple[float, float]:
    """Training images/s and the fraction of wall time spent building batches."""
    prep = prepare(crops, cfg.group, cfg.valid, 1.0, cfg.seed, device)
    model, optimizer, scheduler = build(prep, cfg, device)
    model.train()
    positions, copies = epoch_plan(prep, cfg.cap, cfg.floor, cfg.seed, 1, cfg.prior)
    positions_t, copies_t = torch.from_numpy(positions).to(device), torch.from_numpy(copies).to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    data_time = step_time = 0.0
    images, b = 0, 0
    while data_time + step_time < seconds and (b + 1) * cfg.batch <= len(positions):
        batch = slice(b * cfg.batch, (b + 1) * cfg.batch)
        sync(device)
        t0 = time.perf_counter()
        x, y = make_batch(prep, positions_t[batch], copies_t[batch], cfg, generator)
        sync(device)
        t1 = time.perf_counter()
        train_step(model, optimizer, scheduler, x, y)
        sync(device)
        t2 = time.perf_counter()
        if b >= 3:  # warm-up
            data_time += t1 - t0
            step_time += t2 - t1
            images += cfg.batch
        b += 1
    return images / (data_time + step_time), data_time / (data_time + step_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", help="a crop cache (.npz); default: random crops")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    device = resolve_device(args.device)
    crops = CropSet.load(args.crops) if args.crops else random_crops()
    print(f"device {device}, torch threads {torch.get_num_threads()}, {len(crops)} crops")
    settings = SETTINGS | (GPU_SETTINGS if device.type == "cuda" else {})
    for name, setting in settings.items():
        cfg = Config(**setting, cap=100, floor=20)
        speed, waiting = measure(crops, cfg, device, args.seconds)
        model = build(prepare(crops, "sample", 0.3, 1.0, 0, device), cfg, device)[0]
        recognizer = Recognizer(model, [f"c{k}" for k in range(model.arch.classes)], device)
        recognizer.predict(crops.images[:4096])
        sync(device)
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < args.seconds / 2:
            recognizer.predict(crops.images[:8192])
            n += 8192
        sync(device)
        inference = n / (time.perf_counter() - start)
        print(
            f"{name:34s} train {speed:8.0f} images/s | waiting for data {100 * waiting:4.1f}% of step time"
            f" | epoch of {REAL_CROPS:,} crops {REAL_CROPS / speed / 60:6.1f} min"
            f" | inference {inference:8.0f} crops/s"
        )


if __name__ == "__main__":
    main()
