"""Detector throughput: prediction pages/s at the trained settings, and training tiles/s.

    python -m bench.detector [--fraction 0.2] [--run RUN] [the options of python -m submit:
        --data, --work, --device, --profile, --set ...]

By default it times the detector run the recipe made with these options (``make detector`` first;
nothing is trained if it is not up to date, it says which stage is not), or the finished run
folder ``--run``. Prediction runs over the test pages of the run's data after a warm-up page.
Training runs one epoch of ultralytics on a fraction of the run's own converted data set with the
run's settings (``DetectorConfig.of_run``, ``fit_args``), its trainer (tiles drawn by their
source's weight) and its tile cache (data loading and loss included, validation off).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.pipeline import recipe_outputs
from data.infra.device import gpu_list, resolve_device
from data.infra.errors import DataError, run_cli
from data.infra.io import read_image
from detect.cache import available_memory, cache_policy
from detect.offline import configure
from detect.predict import Detector
from detect.settings import DetectorConfig, fit_args
from detect.weighted import weighted_trainer
from submit.cli import recipe_options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[recipe_options()])
    parser.add_argument("--run", help="a finished detector run folder (default: the recipe's)")
    parser.add_argument(
        "--fraction", type=float, default=0.2, help="share of the training tiles for one epoch"
    )
    args = parser.parse_args(argv)
    if args.run:
        if not args.data:
            parser.error("--run needs --data (the Kaggle-layout folder whose test_images/ are read)")
        run, data = Path(args.run), Path(args.data)
    else:
        done = recipe_outputs(args, "detector")
        run, data = done["detector"].parent, done["data"]
    if not (run / "model.pt").is_file():
        raise DataError(run / "model.pt", "not found: not a finished detector run")
    device = resolve_device(args.device)
    detector = Detector.load(run / "model.pt", device)
    paths = sorted((data / "test_images").glob("*.jpg"))
    if not paths:
        raise DataError(data / "test_images", "no test pages to read")
    pages = [read_image(p) for p in paths]
    list(detector.detect(pages[:1]))
    start = time.perf_counter()
    boxes = sum(len(b) for b, _ in detector.detect(pages))
    predict_rate = len(pages) / (time.perf_counter() - start)
    print(f"device {device}; tiling {detector.tiling}")
    print(
        f"prediction: {predict_rate:.2f} pages/s over {len(pages)} pages "
        f"({boxes} boxes; JPEG decoding excluded)"
    )

    configure()
    from ultralytics import YOLO

    cfg = DetectorConfig.of_run(run)
    all_tiles = len(list((run / "dataset" / "images" / "train").glob("*.jpg")))
    tiles = int(all_tiles * args.fraction)
    with tempfile.TemporaryDirectory(dir=run.parent) as tmp:
        cache, why = cache_policy(tiles, cfg.imgsz, device, available_memory(), shutil.disk_usage(tmp).free)
        print(f"tile cache: {cache or 'none'} ({why})")
        timed = dict(epochs=1, fraction=args.fraction, val=False, plots=False, warmup_epochs=0)
        YOLO(cfg.model, task="detect").train(
            trainer=weighted_trainer(),
            data=str(run / "dataset" / "data.yaml"),
            project=tmp,
            name="bench",
            **(fit_args(cfg, device, cache, gpu_list(args.device)) | timed),
        )
        seconds = float((Path(tmp) / "bench" / "results.csv").read_text().splitlines()[1].split(",")[1])
    print(
        f"training: {tiles / seconds:.2f} tiles/s of {cfg.imgsz} px, batch {cfg.batch} "
        f"({tiles} of {all_tiles} tiles, one epoch in {seconds:.0f} s; the run trained {cfg.epochs} epochs)"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
