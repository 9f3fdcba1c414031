"""Detector throughput: prediction pages/s at the trained settings, and training tiles/s.

    python bench/detector.py --data build/data/default --run build/default/detector [--fraction 0.2]

Prediction runs over the test pages after a warm-up page. Training runs one epoch of ultralytics
on a fraction of the run's own converted data set with the run's settings (data loading and loss
included, validation off).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from data.infra.device import resolve_device
from data.infra.io import read_image
from detect.offline import configure
from detect.predict import Detector
from detect.settings import DetectorConfig, fit_args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Kaggle-layout folder (its test_images/ are read)")
    parser.add_argument("--run", required=True, help="a finished detector run folder")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--fraction", type=float, default=0.2, help="share of the training tiles for one epoch"
    )
    args = parser.parse_args()
    device = resolve_device(args.device)
    run = Path(args.run)
    detector = Detector.load(run / "model.pt", device)
    paths = sorted((Path(args.data) / "test_images").glob("*.jpg"))
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
    tiles = int(len(list((run / "dataset" / "images" / "train").glob("*.jpg"))) * args.fraction)
    with tempfile.TemporaryDirectory() as tmp:
        timed = dict(epochs=1, fraction=args.fraction, val=False, plots=False, warmup_epochs=0)
        YOLO(cfg.model, task="detect").train(
            data=str(run / "dataset" / "data.yaml"),
            project=tmp,
            name="bench",
            **(fit_args(cfg, device) | timed),
        )
        seconds = float((Path(tmp) / "bench" / "results.csv").read_text().splitlines()[1].split(",")[1])
    print(
        f"training: {tiles / seconds:.2f} tiles/s of {cfg.imgsz} px "
        f"({tiles} tiles, one epoch in {seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
