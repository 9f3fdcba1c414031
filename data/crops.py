"""Character crops: cut from pages, binarized with Otsu, padded square, 32x32 uint8, cached once."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data.annotations import Annotations, load_train
from data.errors import run_cli
from data.io import atomic_path, read_image

SIZE = 32


def preprocess(region: np.ndarray) -> np.ndarray:
    """Gray crop → ink-white binary (Otsu) → padded to a square keeping aspect → SIZE×SIZE uint8."""
    _, ink = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.uint8)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = ink
    return cv2.resize(square, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def crop_page(gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Preprocessed crops (n, SIZE, SIZE) of the (x, y, w, h) boxes on a gray page, clipped to it."""
    height, width = gray.shape
    out = np.zeros((len(boxes), SIZE, SIZE), np.uint8)
    for i, (x, y, w, h) in enumerate(np.asarray(boxes, dtype=np.int64)):
        x0, y0 = min(max(x, 0), width - 1), min(max(y, 0), height - 1)
        x1, y1 = max(min(x + w, width), x0 + 1), max(min(y + h, height), y0 + 1)
        out[i] = preprocess(gray[y0:y1, x0:x1])
    return out


@dataclass
class CropSet:
    """Cached crops with, per crop, its unicode, page and source-sample id (its row in train.csv)."""

    images: np.ndarray  # (n, SIZE, SIZE) uint8, ink = 255
    unicodes: np.ndarray  # (n,) str
    pages: np.ndarray  # (n,) str
    samples: np.ndarray  # (n,) int64, unique per annotated character

    def __len__(self) -> int:
        return len(self.images)

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as tmp, tmp.open("wb") as f:
            np.savez(f, images=self.images, unicodes=self.unicodes, pages=self.pages, samples=self.samples)

    @classmethod
    def load(cls, path: str | Path) -> CropSet:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["images"], z["unicodes"], z["pages"], z["samples"])


def _page_crops(task: tuple[str, np.ndarray]) -> np.ndarray:
    path, boxes = task
    return crop_page(read_image(path, gray=True), boxes)


def build_crops(annotations: Annotations, image_dir: str | Path, workers: int | None = None) -> CropSet:
    """Crop every annotated character of these pages (one process per core)."""
    boxes = annotations.boxes.reset_index(drop=True)
    groups = [(image_id, group) for image_id, group in boxes.groupby("image_id", sort=False)]
    tasks = [
        (str(Path(image_dir) / f"{image_id}.jpg"), g[["x", "y", "w", "h"]].to_numpy())
        for image_id, g in groups
    ]
    workers = workers or min(os.cpu_count() or 1, 8)
    with multiprocessing.get_context("fork").Pool(workers, cv2.setNumThreads, (1,)) as pool:
        parts = list(
            tqdm(pool.imap(_page_crops, tasks, chunksize=4), total=len(tasks), desc="cropping", unit="page")
        )
    order = np.concatenate([g.index.to_numpy() for _, g in groups]) if groups else np.zeros(0, np.int64)
    images = np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.uint8)
    return CropSet(
        images=images,
        unicodes=boxes["unicode"].to_numpy(str)[order],
        pages=boxes["image_id"].to_numpy(str)[order],
        samples=order.astype(np.int64),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cut, binarize and cache the annotated characters of train pages."
    )
    parser.add_argument("--data", required=True, help="Kaggle-layout folder (train.csv, train_images/)")
    parser.add_argument("--split", help="split.json from data.split: crop only its 'fit' pages")
    parser.add_argument("--out", required=True, help="output .npz")
    args = parser.parse_args(argv)
    data = Path(args.data)
    annotations = load_train(data)
    if args.split:
        annotations = annotations.subset(json.loads(Path(args.split).read_text())["fit"])
    crops = build_crops(annotations, data / "train_images")
    crops.save(args.out)
    print(
        f"wrote {args.out}: {len(crops)} crops of {len(set(crops.unicodes))} classes from "
        f"{len(annotations.image_ids)} pages"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
