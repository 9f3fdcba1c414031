"""Kaggle pages + train.csv boxes → an ultralytics detection data set with one class, "char"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import yaml
from tqdm import tqdm

from data.annotations import Annotations
from data.infra.io import read_image, write_json
from data.infra.workers import fork_pool
from detect.tiles import Tiling, boxes_in_window, scaled
from detect.weighted import WEIGHTS


def page_xyxy(annotations: Annotations) -> dict[str, np.ndarray]:
    """Every page's boxes as (x0, y0, x1, y1) float arrays (empty pages included)."""
    return {
        image_id: np.column_stack([g.x, g.y, g.x + g.w, g.y + g.h]).astype(np.float32).reshape(-1, 4)
        for image_id, g in annotations.page_boxes().items()
    }


def _write_page(task: tuple[str, np.ndarray, Tiling, str, str]) -> list[str]:
    """Scale one page, cut its tiles, write their images and YOLO label files; return their names."""
    path, boxes, tiling, images, labels = task
    page = read_image(path)
    scale = tiling.scale
    page = scaled(page, scale)
    windows = tiling.windows(*page.shape[:2])
    names = []
    for k, window in enumerate(windows):
        x0, y0, x1, y1 = window
        name = f"{Path(path).stem}_t{k}" if len(windows) > 1 else Path(path).stem
        names.append(name)
        cv2.imwrite(str(Path(images) / f"{name}.jpg"), page[y0:y1, x0:x1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        tile = boxes_in_window(boxes * scale, window)
        w, h = x1 - x0, y1 - y0
        centre = np.column_stack(
            [
                (tile[:, 0] + tile[:, 2]) / 2 / w,
                (tile[:, 1] + tile[:, 3]) / 2 / h,
                (tile[:, 2] - tile[:, 0]) / w,
                (tile[:, 3] - tile[:, 1]) / h,
            ]
        )
        (Path(labels) / f"{name}.txt").write_text(
            "".join(f"0 {a:.6f} {b:.6f} {c:.6f} {d:.6f}\n" for a, b, c, d in centre)
        )
    return names


def build_dataset(
    annotations: Annotations,
    image_dir: str | Path,
    parts: dict[str, list[str]],
    tiling: Tiling,
    out: str | Path,
    workers: int | None = None,
    weights: dict[str, float] | None = None,
) -> Path:
    """Write images/<part>, labels/<part> and data.yaml under ``out`` (replaced when complete).

    ``weights``: each training page's source weight; unless all are 1, ``weights.json`` gives
    every training tile its page's weight (``detect.weighted``).
    """
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    boxes = page_xyxy(annotations)
    tasks, owners = [], []
    for part, ids in parts.items():
        owners += [(part, i) for i in ids]
        (partial / "images" / part).mkdir(parents=True)
        (partial / "labels" / part).mkdir(parents=True)
        tasks += [
            (
                str(Path(image_dir) / f"{i}.jpg"),
                boxes[i],
                tiling,
                str(partial / "images" / part),
                str(partial / "labels" / part),
            )
            for i in ids
        ]
    workers = workers or min(os.cpu_count() or 1, 8)
    with fork_pool(workers) as pool:
        names = list(
            tqdm(
                pool.imap(_write_page, tasks, chunksize=2),
                total=len(tasks),
                desc="detector data",
                unit="page",
            )
        )
    tiles = sum(map(len, names))
    if weights and any(w != 1 for w in weights.values()):
        trained = [(page, made) for (part, page), made in zip(owners, names, strict=True) if part == "train"]
        write_json(partial / WEIGHTS, {tile: weights[page] for page, made in trained for tile in made})
    spec = {**{part: f"images/{part}" for part in parts}, "names": {0: "char"}}  # relative to data.yaml
    (partial / "data.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (partial / "tiles.txt").write_text(f"{tiles}\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return out / "data.yaml"
