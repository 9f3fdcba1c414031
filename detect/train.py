"""Train the YOLO character detector from a model yaml (no pretrained weights), resumable.

The run folder is ultralytics' own (args.yaml, results.csv, results.png, weights/last.pt, plots)
plus dataset/ (the converted pages), config.json and inputs.json (``data.infra.runs``), tiling.json
and, once complete, model.pt: the best weights as a plain state dict with the model yaml and
tiling, loadable with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from data.annotations import load_train
from data.infra.checkpoint import load_checkpoint, save_checkpoint
from data.infra.cli import add_run_options, add_settings_options, settings_of
from data.infra.device import gpu_list, resolve_device
from data.infra.errors import run_cli
from data.infra.io import write_json
from data.infra.runs import open_run
from data.sources import page_sources
from detect.cache import available_memory, cache_policy
from detect.dataset import build_dataset
from detect.offline import configure
from detect.settings import DetectorConfig, fit_args, ultralytics_device
from detect.weighted import weighted_trainer


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


def start_weights(init: str | Path, run: Path) -> Path:
    """A detector model.pt of this project as an ultralytics checkpoint to start training from."""
    from ultralytics.nn.tasks import DetectionModel  # configured by train

    checkpoint = load_checkpoint(init)
    model = DetectionModel(checkpoint["yaml"], nc=1, verbose=False)
    model.load_state_dict(checkpoint["state_dict"])
    path = run / "init.pt"
    save_checkpoint(path, {"model": model, "train_args": {}})
    return path


def train(
    data: str | Path,
    split: str | Path,
    run: str | Path,
    cfg: DetectorConfig,
    device_name: str = "auto",
    resume: bool = False,
    init: str | Path | None = None,
) -> Path:
    """Train (or resume) the detector in ``run`` on the split's detector pages; return model.pt.

    Tiles of a source with weight w (``data.sources``) are drawn w times as often
    (``detect.weighted``); ``init`` is a detector model.pt to start from (fine-tuning) instead of
    fresh weights.
    """
    configure()
    from ultralytics import YOLO
    from ultralytics.nn.tasks import torch_safe_load

    data, run = Path(data), Path(run).resolve()
    device, gpus = resolve_device(device_name), gpu_list(device_name)
    settings, inputs = cfg.run_record(data, split, init)
    continuing = open_run(run, settings, inputs, resume)
    last = run / "weights" / "last.pt"
    if continuing and last.exists():
        if torch_safe_load(str(last))[0].get("optimizer") is None:  # ultralytics strips it when training ends
            print(f"{run} is already trained")
        else:
            print(f"resuming {run} from {last}")
            YOLO(str(last)).train(
                trainer=weighted_trainer(),
                resume=True,
                data=str(run / "dataset" / "data.yaml"),  # where the run is now, should it have moved
                save_dir=str(run),
                device=ultralytics_device(device, gpus),
                workers=cfg.workers,
            )
        return export(run)
    parts = json.loads(Path(split).read_text())
    annotations = load_train(data, report=False)
    tiling = cfg.tiling(annotations.subset(parts["detector_train"]))
    write_json(run / "tiling.json", tiling.as_dict())
    print(
        f"tiling: pages scaled by {tiling.scale}, {tiling.imgsz} px tiles overlapping by {tiling.overlap} px"
    )
    weights = {i: w for i, (_, w) in page_sources(data, parts["detector_train"]).items()}
    spec = build_dataset(
        annotations,
        data / "train_images",
        {"train": parts["detector_train"], "val": parts["detector_valid"]},
        tiling,
        run / "dataset",
        weights=weights,
    )
    tiles = len(list((run / "dataset" / "images" / "train").glob("*.jpg")))
    cache, why = cache_policy(tiles, cfg.imgsz, device, available_memory(), shutil.disk_usage(run).free)
    print(f"tile cache: {cache or 'none'} ({why})")
    args = fit_args(cfg, device, cache, gpus)
    if init:
        args["pretrained"] = str(start_weights(init, run))
        print(f"starting from {init}")
    YOLO(cfg.model, task="detect").train(
        trainer=weighted_trainer(),
        data=str(spec),
        project=str(run.parent),
        name=run.name,
        exist_ok=True,
        **args,
    )
    return export(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Kaggle-layout folder")
    parser.add_argument("--split", required=True, help="split.json from data.split")
    add_run_options(parser)
    add_settings_options(parser)
    parser.add_argument("--init", help="a detector model.pt to start from (fine-tuning)")
    args = parser.parse_args(argv)
    s = settings_of(args)
    cfg = s.build(DetectorConfig, "detector", seed=s["seed"])
    model = train(args.data, args.split, args.run, cfg, args.device, args.resume, args.init)
    print(f"model: {model}")
    return 0


if __name__ == "__main__":
    run_cli(main)
