"""The detector's settings, what a run records of them, and the ultralytics arguments they become."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from data.annotations import Annotations
from data.infra.errors import DataError
from data.infra.runs import input_path
from data.sources import weights_record
from detect.tiles import Tiling, derive_tiling

ROOT = Path(__file__).resolve().parents[1]  # a relative model yaml is a file of the repository


@dataclass
class DetectorConfig:
    """The settings of a detector run: the profiles' ``[detector]`` section and the seed (saved as
    config.json)."""

    model: str  # a model yaml: this project's detect/chars.yaml, or an ultralytics name like yolo11s.yaml
    epochs: int
    imgsz: int  # tile side in pixels
    char_px: float  # pages are scaled so the median character is this tall in the network
    page_scale: float  # > 0: this scale instead of the derived one (with overlap)
    overlap: int
    batch: int  # tiles per step, in all (ultralytics splits them across several GPUs)
    workers: int  # data-loading processes per GPU (ultralytics uses none on the CPU)
    mosaic: float
    close_mosaic: int  # the last epochs without mosaic
    warmup_epochs: float
    optimizer: str  # SGD, AdamW, ...: never ultralytics' "auto", which changes with the data's size
    lr0: float
    momentum: float  # SGD's momentum, Adam's beta1
    warmup_bias_lr: float
    patience: int
    amp: bool  # mixed precision on a CUDA GPU (ultralytics' AMP)
    seed: int

    def __post_init__(self) -> None:
        if self.optimizer == "auto":
            raise DataError("detector.optimizer", "name an optimizer: 'auto' picks by the number of steps")
        candidate = ROOT / self.model
        if not Path(self.model).is_absolute() and candidate.is_file():
            self.model = str(candidate)

    def run_record(
        self, data: Path, split: str | Path, init: str | Path | None = None
    ) -> tuple[dict, dict[str, Path]]:
        """The settings and input files of a run on ``data`` with ``split`` (see ``data.infra.runs``).

        A model yaml that is a file is an input; an ultralytics model name is a setting. The
        sources' weights (``data.sources``) are settings; a model to start from (``init``) an input.
        """
        weights = weights_record(data)
        settings = {**asdict(self), **({"source_weights": weights} if weights else {})}
        inputs = {
            "train.csv": data / "train.csv",
            "unicode_translation.csv": data / "unicode_translation.csv",
            "train_images": data / "train_images",
            "split": Path(split),
        }
        if Path(self.model).is_file():
            inputs["model"] = Path(settings.pop("model"))
        if init:
            inputs["init"] = Path(init)
        return settings, inputs

    @classmethod
    def of_run(cls, run: str | Path) -> DetectorConfig:
        """The settings of the detector run in ``run``."""
        settings = json.loads((Path(run) / "config.json").read_text())
        if "model" not in settings:
            settings["model"] = str(input_path(run, "model"))
        return cls(**{f.name: settings[f.name] for f in fields(cls) if f.name in settings})

    def tiling(self, annotations: Annotations) -> Tiling:
        """The fixed tiling, or the one derived from the character sizes of these annotations."""
        if self.page_scale > 0:
            return Tiling(self.imgsz, self.page_scale, self.overlap)
        boxes = annotations.boxes
        return derive_tiling(boxes["w"].to_numpy(), boxes["h"].to_numpy(), self.imgsz, self.char_px)


def ultralytics_device(device: torch.device, gpus: list[int] | None = None) -> str:
    """ultralytics' device string: ``cpu``, one GPU index, or a list like ``0,1`` (its own DDP)."""
    if gpus:
        return ",".join(map(str, gpus))
    return "cpu" if device.type == "cpu" else str(device.index or 0)


def fit_args(
    cfg: DetectorConfig, device: torch.device, cache: str | bool = False, gpus: list[int] | None = None
) -> dict:
    """ultralytics ``train`` arguments for these settings (what bench/detector.py times, too)."""
    return dict(
        epochs=cfg.epochs,
        imgsz=cfg.imgsz,
        batch=cfg.batch,
        workers=cfg.workers,
        device=ultralytics_device(device, gpus),
        pretrained=False,
        seed=cfg.seed,
        deterministic=device.type == "cpu",  # on CUDA the fast non-deterministic kernels
        cache=cache,
        patience=cfg.patience,
        mosaic=cfg.mosaic,
        close_mosaic=cfg.close_mosaic,
        warmup_epochs=cfg.warmup_epochs,
        optimizer=cfg.optimizer,
        lr0=cfg.lr0,
        momentum=cfg.momentum,
        warmup_bias_lr=cfg.warmup_bias_lr,
        amp=cfg.amp,
        nbs=cfg.batch,  # one optimizer step per batch (ultralytics otherwise accumulates up to 64 images)
        fliplr=0.0,  # mirrored characters are bleed-through, not text
        scale=0.25,
        max_det=1500,
        single_cls=True,
        plots=True,
        verbose=False,
    )
