"""Atomic file writes and image reading with one-line errors."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from data.infra.errors import DataError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8, no newline translation)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def read_image(path: str | Path, gray: bool = False) -> np.ndarray:
    """Read a page image (BGR, or gray when ``gray``); raise DataError if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file not found")
    buffer = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR) if buffer.size else None
    if image is None:
        raise DataError(path, "unreadable or corrupt image")
    return image


def image_size(path: str | Path) -> tuple[int, int]:
    """Return (width, height) from the image header without decoding the pixels."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file not found")
    try:
        with Image.open(path) as image:
            return image.size
    except Image.DecompressionBombError:
        limit = 2 * Image.MAX_IMAGE_PIXELS
        raise DataError(path, f"image too large to open (over {limit:,} pixels)") from None
    except Exception as error:  # PIL (or a plugin hook someone installed on it) could not parse it
        raise DataError(path, f"unreadable or corrupt image ({error.__class__.__name__})") from None


def read_ahead(
    paths: Iterable[str | Path], ahead: int = 4, workers: int = 2, read: Callable[[Path], Any] = read_image
) -> Iterator[Any]:
    """Decode page images (``read``) in background threads, up to ``ahead`` pages before the consumer,
    in order.

    OpenCV releases the GIL while it decodes, so reading overlaps the model's work on earlier pages.
    """
    with ThreadPoolExecutor(workers, thread_name_prefix="read-ahead") as pool:
        queue: deque = deque()
        for path in paths:
            queue.append(pool.submit(read, Path(path)))
            if len(queue) > ahead:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


def page_files(inputs: list[str | Path]) -> list[Path]:
    """The image files named, and those inside the folders named (sorted); DataError if none or a clash."""
    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        elif item.is_file():
            files.append(item)
        else:
            raise DataError(item, "no such file or folder")
    if not files:
        suffixes = " ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(", ".join(map(str, inputs)), f"no page images ({suffixes})")
    seen: dict[str, Path] = {}
    for path in files:
        if path.stem in seen:
            raise DataError(path, f"two pages would write the same files (also {seen[path.stem]})")
        seen[path.stem] = path
    return files
