"""Character crops: cut from pages, binarized with Otsu, padded square, 32x32 uint8, cached once."""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data.annotations import Annotations, load_train
from data.infra.errors import run_cli
from data.infra.io import atomic_path, read_image
from data.infra.workers import fork_pool
from data.sources import first_source, page_sources, source_names

SIZE = 32
RENDERS = "renders"  # the crop source of font renders (data.synth.renders)


PASS = 1024  # characters binarized per pass, which bounds the memory of their squares
THREADED = 4_000_000  # square pixels from which the stacks are resized on several threads


def preprocess(region: np.ndarray) -> np.ndarray:
    """Gray crop → ink-white binary (Otsu) → padded to a square keeping aspect → SIZE×SIZE uint8.

    The definition of a crop, one at a time; ``crop_page`` makes the same crops in batches."""
    _, ink = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return resized(padded(ink))


def padded(ink: np.ndarray) -> np.ndarray:
    """The crop centred on a zero square of its longer side."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.uint8)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = ink
    return square


def resized(square: np.ndarray) -> np.ndarray:
    return cv2.resize(square, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def crop_page(gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Preprocessed crops of the (x, y, w, h) boxes on a gray page, clipped to it: (n, SIZE, SIZE)
    for (n, 4) boxes, and (v, n, SIZE, SIZE) for (v, n, 4), v views of each of n characters."""
    return crop_pages([gray], [boxes])[0]


def crop_pages(grays: list[np.ndarray], boxes: list[np.ndarray]) -> list[np.ndarray]:
    """``crop_page`` of each gray page and its boxes, batched across the pages; each crop equals
    ``preprocess`` of its clipped region pixel for pixel.

    The views of a character are binarized one after another, while its part of the page is in
    the cache, straight into their places in per-side stacks of squares; each stack is then resized
    in one call, on OpenCV's threads (``cv2.getNumThreads``).
    """
    boxes = [
        np.asarray(b, np.int64).reshape(-1, 4) if np.ndim(b) < 2 else np.asarray(b, np.int64) for b in boxes
    ]
    rects = [clipped(b if b.ndim == 3 else b[None], *g.shape) for g, b in zip(grays, boxes, strict=True)]
    # character-major: every view of a character, then the next character
    jobs = [(g, r) for g, page in zip(grays, rects, strict=True) for r in page.transpose(1, 0, 2).tolist()]
    crops = np.zeros((sum(len(r) for _, r in jobs), SIZE, SIZE), np.uint8)
    done = 0
    for start in range(0, len(jobs), PASS):
        part = jobs[start : start + PASS]
        made = binarized(part)
        crops[done : done + len(made)] = made
        done += len(made)
    out, done = [], 0
    for b, page in zip(boxes, rects, strict=True):
        v, n = page.shape[:2]
        out.append(
            crops[done : done + v * n]
            .reshape(n, v, SIZE, SIZE)
            .transpose(1, 0, 2, 3)
            .reshape(*b.shape[:-1], SIZE, SIZE)
        )
        done += v * n
    return out


def clipped(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """(..., 4) x, y, w, h boxes → x0, y0, x1, y1 inside the page, at least one pixel each way."""
    x0 = np.clip(boxes[..., 0], 0, width - 1)
    y0 = np.clip(boxes[..., 1], 0, height - 1)
    x1 = np.maximum(np.minimum(boxes[..., 0] + boxes[..., 2], width), x0 + 1)
    y1 = np.maximum(np.minimum(boxes[..., 1] + boxes[..., 3], height), y0 + 1)
    return np.stack([x0, y0, x1, y1], axis=-1)


def binarized(jobs: list[tuple[np.ndarray, list[list[int]]]]) -> np.ndarray:
    """The crops of each (gray page, views as [x0, y0, x1, y1] lists) of ``jobs``, in order."""
    rects = np.array([view for _, views in jobs for view in views], np.int64).reshape(-1, 4)
    h, w = rects[:, 3] - rects[:, 1], rects[:, 2] - rects[:, 0]
    sides, stack, counts = np.unique(np.maximum(h, w), return_inverse=True, return_counts=True)
    order = np.argsort(stack, kind="stable")
    place = np.empty(len(rects), np.int64)
    place[order] = np.arange(len(rects)) - np.repeat(np.cumsum(counts) - counts, counts)
    squares = [np.zeros((c, s, s), np.uint8) for s, c in zip(sides.tolist(), counts.tolist(), strict=True)]
    tops, lefts = (sides[stack] - h) // 2, (sides[stack] - w) // 2
    where = zip(stack.tolist(), place.tolist(), tops.tolist(), lefts.tolist(), strict=True)
    for gray, views in jobs:
        for x0, y0, x1, y1 in views:
            k, i, top, left = next(where)
            into = squares[k][i, top : top + y1 - y0, left : left + x1 - x0]
            cv2.threshold(gray[y0:y1, x0:x1], 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU, dst=into)
    crops = np.zeros((len(rects), SIZE, SIZE), np.uint8)

    def resize(k: int) -> None:
        side, mine = int(sides[k]), np.flatnonzero(stack == k)
        if side < SIZE:  # enlarged: INTER_AREA is not an area average there, so one at a time
            crops[mine] = [resized(square) for square in squares[k][place[mine]]]
        else:  # a tall strip of squares resizes to the strip of their crops
            strip = squares[k].reshape(-1, side)
            made = cv2.resize(strip, (SIZE, SIZE * len(squares[k])), interpolation=cv2.INTER_AREA)
            crops[mine] = made.reshape(-1, SIZE, SIZE)[place[mine]]

    pixels = int((counts * sides.astype(np.int64) ** 2).sum())
    threads = min(cv2.getNumThreads(), len(sides)) if pixels >= THREADED else 1
    if threads <= 1:  # in a forked worker, a single stack, or too little work to share
        list(map(resize, range(len(sides))))
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="crops") as pool:
            list(pool.map(resize, range(len(sides))))
    return crops


@dataclass
class CropSet:
    """Cached crops with, per crop, its unicode, page, source-sample id (its row in train.csv), source
    and training weight. ``source_names`` lists the sources in order: the first is the real one,
    whose crops alone validate the recognizer (``data.sources``; a plain folder is one source)."""

    images: np.ndarray  # (n, SIZE, SIZE) uint8, ink = 255
    unicodes: np.ndarray  # (n,) str
    pages: np.ndarray  # (n,) str
    samples: np.ndarray  # (n,) int64, unique per annotated character
    sources: np.ndarray | None = None  # (n,) str; None: every crop from one source, "data"
    weights: np.ndarray | None = None  # (n,) float32 draws per epoch relative to 1; None: all 1
    source_names: np.ndarray | None = None  # the sources in order, the real one first

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.sources is None:
            self.sources = np.full(n, "data")
        if self.weights is None:
            self.weights = np.ones(n, np.float32)
        if self.source_names is None:
            self.source_names = np.array(list(dict.fromkeys(self.sources.tolist())) or ["data"])

    def __len__(self) -> int:
        return len(self.images)

    @property
    def real(self) -> np.ndarray:
        """Which crops come from the first (real) source."""
        return self.sources == self.source_names[0]

    def source_weights(self) -> dict[str, float]:
        """{source: weight} of the sources that have crops, in source order."""
        return {
            str(name): float(self.weights[self.sources == name][0])
            for name in self.source_names
            if (self.sources == name).any()
        }

    def save(self, path: str | Path) -> None:
        arrays = {k: getattr(self, k) for k in ("images", "unicodes", "pages", "samples", "sources")}
        with atomic_path(path) as tmp, tmp.open("wb") as f:
            np.savez(f, **arrays, weights=self.weights, source_names=self.source_names)

    @classmethod
    def load(cls, path: str | Path) -> CropSet:
        with np.load(path, allow_pickle=False) as z:
            extra = {k: z[k] for k in ("sources", "weights", "source_names") if k in z.files}
            return cls(z["images"], z["unicodes"], z["pages"], z["samples"], **extra)

    @classmethod
    def join(cls, parts: list[CropSet]) -> CropSet:
        """One crop set of several, in order (their sources in order of appearance)."""
        names = [str(n) for p in parts for n in p.source_names]
        fields = ("images", "unicodes", "pages", "samples", "sources", "weights")
        joined = {k: np.concatenate([getattr(p, k) for p in parts]) for k in fields}
        return cls(**joined, source_names=np.array(list(dict.fromkeys(names))))


def _page_crops(task: tuple[str, np.ndarray]) -> np.ndarray:
    path, boxes = task
    return crop_page(read_image(path, gray=True), boxes)


def build_crops(
    annotations: Annotations,
    image_dir: str | Path,
    workers: int | None = None,
    page_sources: dict[str, tuple[str, float]] | None = None,
    source_names: list[str] | None = None,
) -> CropSet:
    """Crop every annotated character of these pages (one process per core).

    ``page_sources`` maps a page to its source and weight (``data.sources``; default one source).
    """
    boxes = annotations.boxes.reset_index(drop=True)
    groups = [(image_id, group) for image_id, group in boxes.groupby("image_id", sort=False)]
    tasks = [
        (str(Path(image_dir) / f"{image_id}.jpg"), g[["x", "y", "w", "h"]].to_numpy())
        for image_id, g in groups
    ]
    workers = workers or min(os.cpu_count() or 1, 8)
    with fork_pool(workers) as pool:
        parts = list(
            tqdm(pool.imap(_page_crops, tasks, chunksize=4), total=len(tasks), desc="cropping", unit="page")
        )
    order = np.concatenate([g.index.to_numpy() for _, g in groups]) if groups else np.zeros(0, np.int64)
    images = np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.uint8)
    pages = boxes["image_id"].to_numpy(str)[order]
    named = [(page_sources or {}).get(p, ("data", 1.0)) for p in pages]
    return CropSet(
        images=images,
        unicodes=boxes["unicode"].to_numpy(str)[order],
        pages=pages,
        samples=order.astype(np.int64),
        sources=np.array([n for n, _ in named]) if named else None,
        weights=np.array([w for _, w in named], np.float32) if named else None,
        source_names=np.array(source_names) if source_names else None,
    )


def make_crops(data: str | Path, image_ids: list[str] | None = None, real_only: bool = False) -> CropSet:
    """Crops of these pages of ``data`` (all by default; ``real_only``: the first source's) with their
    sources and weights."""
    data = Path(data)
    annotations = load_train(data)
    ids = annotations.image_ids if image_ids is None else image_ids
    annotations = annotations.subset(first_source(data, ids) if real_only else ids)
    pages = page_sources(data, annotations.image_ids)
    return build_crops(annotations, data / "train_images", None, pages, source_names(data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cut, binarize and cache the annotated characters of train pages."
    )
    parser.add_argument("--data", required=True, help="Kaggle-layout folder (train.csv, train_images/)")
    parser.add_argument("--split", help="split.json from data.split: crop only its 'fit' pages")
    parser.add_argument("--out", required=True, help="output .npz")
    parser.add_argument("--real-only", action="store_true", help="only the first source's pages")
    args = parser.parse_args(argv)
    fit = json.loads(Path(args.split).read_text())["fit"] if args.split else None
    crops = make_crops(args.data, fit, args.real_only)
    crops.save(args.out)
    cut = crops.sources != RENDERS
    pages, classes = len(set(crops.pages[cut].tolist())), len(set(crops.unicodes[cut].tolist()))
    print(
        f"wrote {args.out}: {int(cut.sum())} crops of {classes} classes from {pages} pages; "
        f"weights {crops.source_weights()}"
    )
    return 0


if __name__ == "__main__":
    run_cli(main)
