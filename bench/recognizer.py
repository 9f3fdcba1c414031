"""Recognizer throughput: training images/s, share of step time spent preparing data, inference crops/s.

    python -m bench.recognizer [--crops build/default/crops.npz] [--device cpu|cuda] [--seconds 20]
        [--profile cpu|fast|gpu|file.toml] [--set 'recognizer.batch=128']
        [--variant 'recognizer.width=64 recognizer.depth=1' ...]

It measures the recognizer of the profile (by default the one ``make submission`` picks for the
device: ``gpu`` on a CUDA GPU, else ``cpu``) with the overrides of ``--set``, and then each
``--variant``: more overrides on top of those, one line each. Without --crops it uses random binary
crops of 1000 classes (speed does not depend on content).

Training runs the steps of ``recognize.engine`` on the epochs the profile's run would draw
(``recognize.dataset.epoch_plan``), in its precision (``Precision``; the one-cycle schedule is
stretched so that a long measurement never runs out of steps): first with the device
synchronized around each batch, which splits the time into building batches (augmentation) and
the step (forward, backward, optimizer); then as ``run_epoch`` runs them, unsynchronized, for the
images/s. Each line extrapolates one epoch (one pass over the training crops) over the real data
set's 683,464 crops, and the profile's whole run of ``recognizer.epochs`` such epochs.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from data.crops import CropSet
from data.infra.cli import add_settings_options, settings_of
from data.infra.device import resolve_device
from data.infra.errors import DataError, run_cli
from data.infra.settings import Settings, assignments
from recognize.dataset import Prepared, epoch_plan, prepare
from recognize.engine import Precision, build, make_batch, train_step
from recognize.predict import Recognizer
from recognize.train import Config

REAL_CROPS = 683_464  # characters in the competition's train.csv: one epoch over them
WARMUP = 3  # batches left out of each measurement


@dataclass
class Speed:
    images_per_s: float  # as run_epoch runs the steps: no synchronization between them
    data_share: float  # of the synchronized step time: building the batch
    precision: str
    train_crops: int


def random_crops(n: int = 30_000, classes: int = 1000) -> CropSet:
    rng = np.random.default_rng(0)
    images = (rng.random((n, 32, 32)) < 0.2).astype(np.uint8) * 255
    codes = np.array([f"U+{0x4E00 + k:04X}" for k in rng.integers(0, classes, n)])
    return CropSet(images, codes, np.array(["p"] * n), np.arange(n))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def batches(prep: Prepared, cfg: Config, device: torch.device):
    """(positions, copies) of every batch of the run's epochs in order, on the device, and on into
    further epochs as the run would draw them, should the measurement outlast the run."""
    for epoch in itertools.count(1):
        positions, copies = epoch_plan(prep, cfg.seed, epoch, cfg.prior)
        positions_t, copies_t = torch.from_numpy(positions).to(device), torch.from_numpy(copies).to(device)
        for b in range(len(positions) // cfg.batch):
            batch = slice(b * cfg.batch, (b + 1) * cfg.batch)
            yield positions_t[batch], copies_t[batch]


def measure(prep: Prepared, cfg: Config, device: torch.device, seconds: float) -> Speed:
    """Training speed over about ``seconds``: half synchronized, half not."""
    if len(prep.train) < cfg.batch:
        raise DataError("--crops", f"{len(prep.train)} training crops, fewer than a batch of {cfg.batch}")
    # the one-cycle schedule stretched so that its steps never run out (the rate costs no time)
    model, optimizer, scheduler = build(prep, replace(cfg, epochs=10**6), device)
    model.train()
    precision = Precision(device, cfg.amp)
    generator = torch.Generator(device=device).manual_seed(cfg.seed)
    steps = batches(prep, cfg, device)
    data_time = step_time = 0.0
    for b, (idx, copies) in enumerate(steps):  # synchronized: where the time goes
        sync(device)
        t0 = time.perf_counter()
        x, y = make_batch(prep, idx, copies, cfg, generator)
        sync(device)
        t1 = time.perf_counter()
        train_step(model, optimizer, scheduler, x, y, precision)
        sync(device)
        t2 = time.perf_counter()
        if b >= WARMUP:
            data_time += t1 - t0
            step_time += t2 - t1
        if data_time + step_time >= seconds / 2:
            break
    images, start = 0, time.perf_counter()
    for idx, copies in steps:  # as run_epoch runs them
        x, y = make_batch(prep, idx, copies, cfg, generator)
        train_step(model, optimizer, scheduler, x, y, precision)
        images += cfg.batch
        if time.perf_counter() - start >= seconds / 2:  # the host runs ahead of a GPU: synced below
            break
    sync(device)
    return Speed(
        images / (time.perf_counter() - start),
        data_time / max(data_time + step_time, 1e-9),
        str(precision),
        len(prep.train),
    )


def inference(prep: Prepared, cfg: Config, crops: CropSet, device: torch.device, seconds: float) -> float:
    """Crops/s of ``Recognizer.predict`` with a network of these settings."""
    model = build(prep, cfg, device)[0]
    recognizer = Recognizer(model, prep.classes, device)
    chunk = crops.images[: 8192 if device.type == "cuda" else 1024]
    recognizer.predict(chunk[:256])
    sync(device)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        recognizer.predict(chunk)
        n += len(chunk)
    sync(device)
    return n / (time.perf_counter() - start)


def duration(minutes: float) -> str:
    return f"{minutes / 60:5.1f} h" if minutes >= 90 else f"{minutes:5.1f} min"


def label(cfg: Config) -> str:
    return f"w{cfg.width} d{cfg.depth}, batch {cfg.batch}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", help="a crop cache (.npz); default: random crops")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--seconds", type=float, default=20, help="training time per setting (inference: half)"
    )
    add_settings_options(parser)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="also measure the profile with these overrides, e.g. 'recognizer.batch=16 recognizer.width=64'",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    settings = settings_of(args)
    crops = CropSet.load(args.crops) if args.crops else random_crops()
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, {len(crops)} crops, "
        f"profile {settings.profile}" + (f" with {args.set}" if args.set.strip() else "")
    )
    arms: list[tuple[str, Settings]] = [(settings.profile, settings)]
    for text in args.variant:
        changes = {name: value for name, value, _ in assignments(text, "--variant")}
        arms.append((f"+ {text}", settings.override(changes, "--variant")))
    for name, s in arms:
        cfg = s.build(Config, "recognizer", seed=s["seed"])
        prep = prepare(crops, cfg.group, cfg.valid, cfg.fraction, cfg.seed, device)
        speed = measure(prep, cfg, device, args.seconds)
        crops_per_s = inference(prep, cfg, crops, device, args.seconds / 2)
        epoch = REAL_CROPS / speed.images_per_s / 60
        run = f"{cfg.epochs} epochs {duration(cfg.epochs * epoch)}"
        print(
            f"{name} ({label(cfg)}, {speed.precision}): train {speed.images_per_s:8.0f} images/s"
            f" | waiting for data {100 * speed.data_share:4.1f}% of step time"
            f" | epoch of {REAL_CROPS:,} crops {duration(epoch)}, {run}"
            f" | inference {crops_per_s:8.0f} crops/s"
        )
    return 0


if __name__ == "__main__":
    run_cli(main)
