import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny import detector_config

from data.infra.errors import DataError
from detect.predict import Detector
from detect.tiles import Tiling, boxes_in_window, derive_tiling, merge_tiles


def test_training_and_prediction_never_touch_the_network(offline_detector: dict) -> None:
    assert offline_detector["control"], "the guard did not see the control connection"
    assert offline_detector["attempts"] == []


def test_configuring_ultralytics_keeps_torch_on_every_core() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # ultralytics set it here

    def threads(code: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        return int(out.stdout.split()[-1])

    alone = threads("import torch; print(torch.get_num_threads())")
    configured = "from detect.offline import configure; configure(); import ultralytics, torch; "
    assert threads(configured + "print(torch.get_num_threads())") == alone
    code = configured + "from ultralytics.utils import torch_utils; print(torch_utils.NUM_THREADS)"
    assert threads(code) == alone


def test_run_folder_and_plain_weights(offline_detector: dict) -> None:
    run = offline_detector["run"]
    for name in [
        "results.csv",
        "args.yaml",
        "weights/last.pt",
        "weights/best.pt",
        "config.json",
        "inputs.json",
        "model.pt",
        "dataset/data.yaml",
    ]:
        assert (run / name).is_file(), name
    checkpoint = torch.load(run / "model.pt", weights_only=True)
    assert checkpoint["tiling"] == {"imgsz": 160, "scale": 0.5, "overlap": 32}
    assert not list(Path(".").glob("*.pt")) and not list(run.rglob("yolo*.pt"))  # nothing downloaded
    settings = json.loads(
        (Path("detect").resolve().parents[0] / ".cache/ultralytics/Ultralytics/settings.json").read_text()
    )
    assert settings["sync"] is False and settings["api_key"] == ""


def test_detections_are_the_network_s_tile_boxes_in_page_pixels(
    offline_detector: dict, tiny_data: Path
) -> None:
    """The trained model on a 200 x 300 part of a page: one 100 x 150 tile at scale 0.5, so each
    page box is the network's tile box doubled, floored and ceiled, and clipped to the page."""
    from data.infra.io import read_image
    from detect.tiles import scaled

    detector = Detector.load(offline_detector["model"], "cpu", conf=1e-4)
    assert detector.tiling == Tiling(imgsz=160, scale=0.5, overlap=32)
    page = read_image(sorted((tiny_data / "train_images").glob("*.jpg"))[0])[100:400, 100:300]
    [(boxes, scores)] = list(detector.detect([page]))
    [(tile_boxes, tile_scores)] = detector._run([scaled(page, 0.5)])
    x0, y0 = np.floor(tile_boxes[:, 0] * 2).clip(0, 199), np.floor(tile_boxes[:, 1] * 2).clip(0, 299)
    x1, y1 = np.ceil(tile_boxes[:, 2] * 2).clip(x0 + 1, 200), np.ceil(tile_boxes[:, 3] * 2).clip(y0 + 1, 300)
    assert len(boxes) > 0 and boxes.dtype == np.int64
    assert boxes.tolist() == np.column_stack([x0, y0, x1 - x0, y1 - y0]).astype(int).tolist()
    assert scores.tolist() == tile_scores.tolist()


def test_a_finished_run_resumes_as_trained(
    offline_detector: dict, tiny_data: Path, tiny_split: Path, capsys: pytest.CaptureFixture
) -> None:
    from detect.settings import DetectorConfig
    from detect.train import train

    run = offline_detector["run"]
    cfg = DetectorConfig.of_run(run)
    assert cfg == detector_config(batch=4)
    with pytest.raises(DataError, match="pass --resume"):
        train(tiny_data, tiny_split, run, cfg, "cpu")
    assert train(tiny_data, tiny_split, run, cfg, "cpu", resume=True) == Path(run).resolve() / "model.pt"
    assert capsys.readouterr().out.splitlines()[-1] == f"{Path(run).resolve()} is already trained"


def test_windows_cover_the_page_with_overlap() -> None:
    tiling = Tiling(imgsz=320, scale=0.5, overlap=48)
    windows = tiling.windows(700, 500)
    covered = np.zeros((700, 500), bool)
    for x0, y0, x1, y1 in windows:
        assert x1 - x0 <= 320 and y1 - y0 <= 320
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    xs = sorted({w[0] for w in windows})
    assert all(b - a <= 320 - 48 for a, b in itertools.pairwise(xs))
    assert Tiling(imgsz=640, scale=1.0, overlap=128).windows(600, 400) == [(0, 0, 400, 600)]  # one tile


def test_tiling_is_derived_from_the_character_sizes_in_train_csv() -> None:
    from data.annotations import Annotations, boxes_frame

    widths, heights = np.array([70, 76, 200]), np.array([80, 88, 120])  # mean 96, median 88
    # median height 88 -> scale 22/88 = 0.25; 99th percentile of the longer side 197.6 px ->
    # 197.6 * 0.25 * 1.25 = 61.75 -> overlap 64 (steps of 8)
    assert derive_tiling(widths, heights, 320, 22) == Tiling(320, 0.25, 64)
    assert derive_tiling(widths, heights * 2, 320, 22) == Tiling(320, 0.125, 40)
    assert derive_tiling(widths * 8, heights, 320, 22).overlap == 160  # at most half a tile
    annotations = Annotations(
        ["p"],
        boxes_frame(["p"] * 3, ["U+3042"] * 3, np.column_stack([np.zeros(3), np.zeros(3), widths, heights])),
    )
    derived = detector_config(imgsz=320, char_px=22, page_scale=0.0)
    assert derived.tiling(annotations) == Tiling(320, 0.25, 64)
    fixed = detector_config(imgsz=320, page_scale=0.5, overlap=48)
    assert fixed.tiling(annotations) == Tiling(320, 0.5, 48)


def test_boxes_in_window_clip_and_drop() -> None:
    boxes = np.array([[10, 10, 30, 30], [90, 10, 130, 30], [115, 10, 135, 30]], np.float32)
    inside = boxes_in_window(boxes, (0, 0, 120, 100))
    assert inside.tolist() == [[10, 10, 30, 30], [90, 10, 120, 30]]  # the third is mostly outside


def test_merge_drops_cut_boxes_and_duplicates() -> None:
    windows = [(0, 0, 100, 100), (60, 0, 160, 100)]
    whole = (np.array([[70, 10, 90, 30]], np.float32), np.array([0.9], np.float32))  # in tile 1
    again = (np.array([[10, 10, 30, 30]], np.float32), np.array([0.8], np.float32))  # same char in tile 2
    cut = (np.array([[0, 50, 8, 70], [85, 50, 100, 70]], np.float32), np.array([0.7, 0.7], np.float32))
    boxes, _ = merge_tiles(
        [whole, (np.concatenate([again[0], cut[0]]), np.concatenate([again[1], cut[1]]))],
        windows,
        200,  # the page is wider than both tiles: every tile edge at x = 100 or 160 is an inner edge
        100,
        iou=0.5,
    )
    assert boxes.tolist() == [[70, 10, 90, 30]]


def test_tile_cache_policy_checks_memory_and_disk() -> None:
    from detect.cache import cache_policy

    gib = 2**30
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    tiles = 1000  # 1000 tiles of 320 px: 0.29 GiB decoded
    assert cache_policy(tiles, 320, cpu, 64 * gib, 500 * gib)[0] is False
    assert cache_policy(tiles, 320, gpu, 3 * gib, 500 * gib) == (
        "ram",
        "1000 tiles need 0.3 GiB decoded, a third of the 3 GiB of free memory at most",
    )
    assert cache_policy(tiles, 320, gpu, int(0.8 * gib), 1 * gib)[0] == "disk"
    assert cache_policy(tiles, 320, gpu, int(0.8 * gib), int(0.5 * gib))[0] is False
