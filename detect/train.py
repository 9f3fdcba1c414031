"""Train the YOLO character detector from a model yaml (no pretrained weights), resumable.

The run folder is ultralytics' own (args.yaml, results.csv, results.png, weights/last.pt, plots)
plus dataset/ (the converted pages), detector.json (our settings) and, once complete, model.pt:
the best weights as a plain state dict with the model yaml and tiling, loadable with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from data.annotations import Annotations, load_train
from data.checkpoint import save_checkpoint
from data.device import resolve_device
from data.errors import DataError, run_cli
from data.io import write_json
from detect.dataset import build_dataset
from detect.offline import configure
from detect.tiles import Tiling, derive_tiling

MODEL_YAML = Path(__file__).with_name("chars.yaml")


@dataclass
class DetectorConfig:
    """Settings of a detector run (saved as detector.json)."""

    model: str = str(MODEL_YAML)  # a model yaml: this project's chars.yaml, or e.g. ultralytics' yolo11s.yaml
    epochs: int = 30
    imgsz: int = 640
    char_px: float = 20.0  # pages are scaled so the median character is this tall in the network
    page_scale: float = 0.0  # > 0: this scale instead of the derived one (with --overlap)
    overlap: int = 0
    batch: int = 16
    workers: int = 2
    seed: int = 0
    mosaic: float = 1.0
    close_mosaic: int = 5
    warmup_epochs: float = 1.0
    lr0: float = 0.0  # 0: ultralytics chooses optimizer and learning rate; > 0: AdamW at this rate
    patience: int = 100

    def tiling(self, annotations: Annotations) -> Tiling:
        """The fixed tiling, or the one derived from the character sizes of these annotations."""
        if self.page_scale > 0:
            return Tiling(self.imgsz, self.page_scale, self.overlap)
        boxes = annotations.boxes
        return derive_tiling(boxes["w"].to_numpy(), boxes["h"].to_numpy(), self.imgsz, self.char_px)


def ultralytics_device(device: torch.device) -> str:
    return "cpu" if device.type == "cpu" else str(device.index or 0)


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


def fit_args(cfg: DetectorConfig, device: torch.device, cache: str | bool = False) -> dict:
    """ultralytics ``train`` arguments for these settings (what bench/detector.py times, too)."""
    return dict(
        epochs=cfg.epochs,
        imgsz=cfg.imgsz,
        batch=cfg.batch,
        workers=cfg.workers,
        device=ultralytics_device(device),
        pretrained=False,
        seed=cfg.seed,
        deterministic=True,
        cache=cache,
        patience=cfg.patience,
        mosaic=cfg.mosaic,
        close_mosaic=cfg.close_mosaic,
        warmup_epochs=cfg.warmup_epochs,
        optimizer="AdamW" if cfg.lr0 else "auto",
        lr0=cfg.lr0 or 0.01,
        nbs=cfg.batch,  # one optimizer step per batch (ultralytics otherwise accumulates up to 64 images)
        fliplr=0.0,  # mirrored characters are bleed-through, not text
        scale=0.25,
        max_det=1500,
        single_cls=True,
        plots=True,
        verbose=False,
    )


def export(run: Path) -> Path:
    """Save the best weights as a plain state dict with everything needed to rebuild the model."""
    from ultralytics.nn.tasks import torch_safe_load  # configured by train

    best = run / "weights" / "best.pt"
    checkpoint, _ = torch_safe_load(str(best))
    model = (checkpoint.get("ema") or checkpoint["model"]).float()
    final = run / "model.pt"
    save_checkpoint(
        final,
        {
            "state_dict": model.state_dict(),
            "yaml": model.yaml,
            "tiling": json.loads((run / "tiling.json").read_text()),
            "epoch": int(checkpoint.get("epoch", -1)),
        },
    )
    return final


def train(
    data: str | Path,
    split: str | Path,
    run: str | Path,
    cfg: DetectorConfig,
    device_name: str = "auto",
    resume: bool = False,
) -> Path:
    """Train (or resume) the detector in ``run`` on the split's detector pages; return model.pt."""
    configure()
    from ultralytics import YOLO
    from ultralytics.nn.tasks import torch_safe_load

    data, run = Path(data), Path(run).resolve()
    device = resolve_device(device_name)
    saved = run / "detector.json"
    if saved.exists():
        if not resume:
            raise DataError(
                run, "run folder already holds a run: pass --resume to continue it, or choose another --run"
            )
        if json.loads(saved.read_text()) != asdict(cfg):
            raise DataError(saved, "--resume with different settings; choose another --run")
    run.mkdir(parents=True, exist_ok=True)
    write_json(saved, asdict(cfg))
    last = run / "weights" / "last.pt"
    if resume and last.exists():
        if torch_safe_load(str(last))[0].get("optimizer") is None:  # ultralytics strips it when training ends
            print(f"{run} is already trained")
        else:
            print(f"resuming {run} from {last}")
            YOLO(str(last)).train(resume=True, device=ultralytics_device(device), workers=cfg.workers)
        return export(run)
    parts = json.loads(Path(split).read_text())
    annotations = load_train(data, report=False)
    tiling = cfg.tiling(annotations.subset(parts["detector_train"]))
    write_json(run / "tiling.json", tiling.as_dict())
    print(
        f"tiling: pages scaled by {tiling.scale}, {tiling.imgsz} px tiles overlapping by {tiling.overlap} px"
    )
    spec = build_dataset(
        annotations,
        data / "train_images",
        {"train": parts["detector_train"], "val": parts["detector_valid"]},
        tiling,
        run / "dataset",
    )
    tiles = len(list((run / "dataset" / "images" / "train").glob("*.jpg")))
    cache, why = cache_policy(tiles, cfg.imgsz, device, available_memory(), shutil.disk_usage(run).free)
    print(f"tile cache: {cache or 'none'} ({why})")
    YOLO(cfg.model, task="detect").train(
        data=str(spec),
        project=str(run.parent),
        name=run.name,
        exist_ok=True,
        **fit_args(cfg, device, cache),
    )
    return export(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Kaggle-layout folder")
    parser.add_argument("--split", required=True, help="split.json from data.split")
    parser.add_argument("--run", required=True, help="run folder")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--resume", action="store_true")
    defaults = DetectorConfig()
    for f in fields(DetectorConfig):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=type(getattr(defaults, f.name)),
            default=getattr(defaults, f.name),
        )
    args = parser.parse_args(argv)
    cfg = DetectorConfig(**{f.name: getattr(args, f.name) for f in fields(DetectorConfig)})
    print(f"model: {train(args.data, args.split, args.run, cfg, args.device, args.resume)}")
    return 0


if __name__ == "__main__":
    run_cli(main)
