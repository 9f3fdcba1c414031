"""Tiles drawn by their source's weight: the detector's sampler, and the ultralytics trainer that
uses it.

In a union of sources (``data.sources``) a real page may count ten times a stand-in page. The data
set lists every tile once, and ``weights.json`` beside its data.yaml gives each training tile its
page's weight. Each epoch then draws as many tiles as there are, with replacement, each in
proportion to its weight: one pass over the tiles in expectation, whatever the weights. Without
``weights.json`` (one source) ultralytics' own loader shuffles the tiles as usual.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import torch
from torch.utils.data import Sampler

WEIGHTS = "weights.json"


class WeightedSampler(Sampler[int]):
    """Each epoch ``len(weights)`` indices drawn with replacement in proportion to ``weights``,
    seeded by (seed, epoch); with several processes each takes its interleaved share."""

    def __init__(self, weights: list[float], seed: int, rank: int = 0, world: int = 1) -> None:
        self.weights = torch.as_tensor(weights, dtype=torch.float64)
        self.seed, self.rank, self.world, self.epoch = seed, rank, world, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(len(self.weights) / self.world)

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        self.epoch += 1  # a single process is never told the epoch: each pass draws afresh
        drawn = torch.multinomial(self.weights, len(self.weights), replacement=True, generator=generator)
        return iter(drawn[self.rank :: self.world].tolist())


def tile_weights(data_yaml: str | Path) -> dict[str, float] | None:
    """The training tiles' weights by file stem, or None when every tile counts once."""
    path = Path(data_yaml).with_name(WEIGHTS)
    return json.loads(path.read_text()) if path.is_file() else None


@cache
def weighted_trainer() -> type:
    """ultralytics' DetectionTrainer with a training loader that draws tiles by weight: a class made
    on first use, since ultralytics is imported only once ``detect.offline`` has run (its DDP
    launch pickles the class by value)."""
    from ultralytics.data.build import InfiniteDataLoader, seed_worker
    from ultralytics.models.yolo.detect import DetectionTrainer
    from ultralytics.utils import RANK

    class WeightedTrainer(DetectionTrainer):
        def get_dataloader(self, dataset_path: str, batch_size: int = 16, rank: int = 0, mode: str = "train"):
            weights = tile_weights(self.args.data) if mode == "train" else None
            if weights is None:
                return super().get_dataloader(dataset_path, batch_size, rank, mode)
            dataset = self.build_dataset(dataset_path, mode, batch_size)
            world = max(self.world_size, 1)
            sampler = WeightedSampler(
                [weights[Path(f).stem] for f in dataset.im_files], self.args.seed, max(RANK, 0), world
            )
            gpus = torch.cuda.device_count() if self.device.type == "cuda" else 0
            workers = min((os.cpu_count() or 1) // max(gpus, 1), self.args.workers)
            return InfiniteDataLoader(
                dataset=dataset,
                batch_size=min(batch_size, len(dataset)),
                sampler=sampler,
                num_workers=workers,
                prefetch_factor=4 if workers else None,
                pin_memory=gpus > 0,
                collate_fn=dataset.collate_fn,
                worker_init_fn=seed_worker,
                generator=torch.Generator().manual_seed(self.args.seed),
            )

    return WeightedTrainer
