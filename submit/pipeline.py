"""Page → boxes → crops → classes: the whole reading of a page, timed by stage, kept by thresholds."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from data.formats import BACKGROUND
from data.geometry import centres
from data.infra.errors import DataError
from data.infra.io import read_ahead, read_image, write_json
from detect.predict import Detector
from recognize.predict import Recognizer
from submit.views import crop_views

STAGES = ("read", "detect", "crop+binarize", "classify", "write")


@dataclass
class PageReading:
    """What the pipeline read on one page."""

    image_id: str
    shape: tuple[int, int]
    boxes: np.ndarray  # (n, 4) x, y, w, h
    scores: np.ndarray  # detector confidence
    unicodes: np.ndarray  # recognized class per box
    probs: np.ndarray  # recognizer probability per box

    @property
    def points(self) -> np.ndarray:
        return centres(self.boxes)

    def kept(self, keep: np.ndarray) -> PageReading:
        """This reading with only the boxes ``keep`` marks."""
        return replace(
            self,
            boxes=self.boxes[keep],
            scores=self.scores[keep],
            unicodes=self.unicodes[keep],
            probs=self.probs[keep],
        )


@dataclass(frozen=True)
class Thresholds:
    """Which readings count: boxes the detector is ``conf`` sure of, classes the recognizer gives
    ``prob`` or more, never the background class; ``tta``: the recognizer reads several views of
    each box (``submit.views``). ``submit.evaluation.tune`` chooses the thresholds on the tune pages."""

    conf: float = 0.25
    prob: float = 0.0
    tta: bool = False

    @classmethod
    def load(cls, path: str | Path | None) -> Thresholds:
        """thresholds.json (``submit.evaluation.tune``); without a path the defaults."""
        if path is None:
            return cls()
        saved = json.loads(Path(path).read_text())
        return cls(float(saved["conf"]), float(saved["prob"]), bool(saved.get("tta", False)))

    def save(self, path: str | Path, **details) -> None:
        write_json(path, {**asdict(self), **details})

    def keep(self, reading: PageReading) -> PageReading:
        return reading.kept(
            (reading.scores >= self.conf) & (reading.probs >= self.prob) & (reading.unicodes != BACKGROUND)
        )


class Pipeline:
    """A detector and a recognizer; ``seconds`` accumulates the time spent in each stage."""

    def __init__(
        self,
        detector: Detector,
        recognizer: Recognizer,
        chunk: int = 8,
        thresholds: Thresholds = Thresholds(),
    ) -> None:
        self.detector, self.recognizer, self.chunk, self.thresholds = detector, recognizer, chunk, thresholds
        self.seconds: Counter[str] = Counter()

    @classmethod
    def load(
        cls,
        detector: str | Path,
        recognizer: str | Path,
        device: str = "auto",
        thresholds: Thresholds = Thresholds(),
        **options,
    ) -> Pipeline:
        """Both models from their files, the detector at the thresholds' confidence; ``options``
        (iou, batch) go to the detector."""
        return cls(
            Detector.load(detector, device, conf=thresholds.conf, **options),
            Recognizer.load(recognizer, device),
            thresholds=thresholds,
        )

    def read(
        self,
        paths: list[Path],
        desc: str = "reading pages",
        skip: Callable[[Path, DataError], None] | None = None,
    ) -> Iterator[PageReading]:
        """Read every page, in chunks: detection and classification are batched across the pages
        of a chunk, while background threads decode the next pages (``read`` time is the wait).

        An unreadable image raises DataError, or with ``skip`` is handed to it and left out.
        """
        bar = tqdm(total=len(paths), desc=desc, unit="page")
        images = read_ahead(paths, ahead=2 * self.chunk, read=image_or_error)
        for start in range(0, len(paths), self.chunk):
            began = time.perf_counter()
            chunk, pages = [], []
            for path in paths[start : start + self.chunk]:
                page = next(images)
                if isinstance(page, DataError):
                    if skip is None:
                        raise page
                    skip(path, page)
                else:
                    pages.append(page)
                    chunk.append(path)
            self.seconds["read"] += time.perf_counter() - began
            if not pages:
                bar.update(len(paths[start : start + self.chunk]))
                continue

            began = time.perf_counter()
            found = list(self.detector.detect(pages))
            self.seconds["detect"] += time.perf_counter() - began

            began = time.perf_counter()
            crops = [
                crop_views(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), boxes, self.thresholds.tta)
                for page, (boxes, _) in zip(pages, found, strict=True)
            ]
            self.seconds["crop+binarize"] += time.perf_counter() - began

            began = time.perf_counter()
            codes, probs = self.recognizer.predict(np.concatenate(crops, axis=-3))
            self.seconds["classify"] += time.perf_counter() - began

            offsets = np.cumsum([0] + [c.shape[-3] for c in crops])
            for k, (path, page, (boxes, scores)) in enumerate(zip(chunk, pages, found, strict=True)):
                part = slice(offsets[k], offsets[k + 1])
                reading = PageReading(path.stem, page.shape[:2], boxes, scores, codes[part], probs[part])
                yield self.thresholds.keep(reading)
            bar.update(len(paths[start : start + self.chunk]))
        bar.close()


def image_or_error(path: Path) -> np.ndarray | DataError:
    """The page image, or the DataError that reading it raised (for ``read``'s ``skip``)."""
    try:
        return read_image(path)
    except DataError as error:
        return error


def points_frame(readings: list[PageReading]) -> pd.DataFrame:
    """Submission points (image_id, unicode, x, y) of these readings, their detector confidence
    ``conf`` and recognizer probability ``prob``, and a ``score`` to rank them by: the product.
    Only image_id, unicode, x and y are written."""
    rows = [
        (r.image_id, u, int(x), int(y), float(s), float(p), float(s) * float(p))
        for r in readings
        for u, (x, y), s, p in zip(r.unicodes, r.points, r.scores, r.probs, strict=True)
    ]
    return pd.DataFrame(rows, columns=["image_id", "unicode", "x", "y", "conf", "prob", "score"])
