"""Page → boxes → crops → classes: the whole reading of a page, timed by stage, kept by thresholds."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from data.formats import BACKGROUND
from data.geometry import centres
from data.infra.device import ReadingSizes, reading_sizes, resolve_device
from data.infra.errors import DataError
from data.infra.io import read_ahead, read_image, write_json
from detect.predict import Detector
from recognize.predict import Recognizer
from submit.views import Characters, read_characters

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
    first_unicodes: np.ndarray | None = None  # the box as found alone (``submit.views``)
    first_probs: np.ndarray | None = None
    candidates: np.ndarray | None = None  # (n, top) likeliest classes, best first (``Pipeline.top``)
    candidate_probs: np.ndarray | None = None

    @property
    def points(self) -> np.ndarray:
        return centres(self.boxes)

    def kept(self, keep: np.ndarray) -> PageReading:
        """This reading with only the boxes ``keep`` marks."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name)[keep]
                for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)
            },
        )


@dataclass(frozen=True)
class Thresholds:
    """Which readings count: boxes the detector is ``conf`` sure of, classes the recognizer gives
    ``prob`` or more, never the background class; ``tta``: the recognizer reads several views of
    each box (``submit.views``), or with ``unsure`` only of the boxes whose first reading's
    probability is below it. ``submit.evaluation.tune`` chooses them on the tune pages."""

    conf: float = 0.25
    prob: float = 0.0
    tta: bool = False
    unsure: float | None = None

    @classmethod
    def load(cls, path: str | Path | None) -> Thresholds:
        """thresholds.json (``submit.evaluation.tune``); without a path the defaults."""
        if path is None:
            return cls()
        saved = json.loads(Path(path).read_text())
        unsure = saved.get("unsure")
        return cls(
            float(saved["conf"]),
            float(saved["prob"]),
            bool(saved.get("tta", False)),
            None if unsure is None else float(unsure),
        )

    def save(self, path: str | Path, **details) -> None:
        write_json(path, {**asdict(self), **details})

    def keep(self, reading: PageReading) -> PageReading:
        return reading.kept(
            (reading.scores >= self.conf) & (reading.probs >= self.prob) & (reading.unicodes != BACKGROUND)
        )


class Pipeline:
    """A detector and a recognizer; ``seconds`` accumulates the time spent in each stage. ``top``
    > 1: each reading keeps the recognizer's ``top`` likeliest classes per box too. ``sizes``:
    how many pages a chunk holds and how they are decoded (default: ``reading_sizes`` of the
    recognizer's device)."""

    def __init__(
        self,
        detector: Detector,
        recognizer: Recognizer,
        thresholds: Thresholds = Thresholds(),
        top: int = 1,
        sizes: ReadingSizes | None = None,
    ) -> None:
        self.detector, self.recognizer = detector, recognizer
        self.sizes = sizes or reading_sizes(recognizer.device)
        self.thresholds, self.top = thresholds, top
        self.seconds: Counter[str] = Counter()

    @classmethod
    def load(
        cls,
        detector: str | Path,
        recognizer: str | Path,
        device: str = "auto",
        thresholds: Thresholds = Thresholds(),
        top: int = 1,
        **options,
    ) -> Pipeline:
        """Both models from their files, the detector at the thresholds' confidence, sized for the
        device (``reading_sizes``); ``options`` (iou) go to the detector."""
        found = resolve_device(device)
        sizes = reading_sizes(found)
        return cls(
            Detector.load(detector, found, conf=thresholds.conf, batch=sizes.tiles, **options),
            Recognizer.load(recognizer, found),
            thresholds,
            top,
            sizes,
        )

    def read(
        self,
        paths: list[Path],
        desc: str = "reading pages",
        skip: Callable[[Path, DataError], None] | None = None,
    ) -> Iterator[PageReading]:
        """The reading of every page (``read_pages``)."""
        return (reading for reading, _ in self.read_pages(paths, desc, skip))

    def read_pages(
        self,
        paths: list[Path],
        desc: str = "reading pages",
        skip: Callable[[Path, DataError], None] | None = None,
    ) -> Iterator[tuple[PageReading, np.ndarray]]:
        """Read every page, in chunks, and yield each reading with its decoded BGR page: detection
        and classification are batched across the pages of a chunk, while background threads
        decode the next pages (``read`` time is the wait).

        An unreadable image raises DataError, or with ``skip`` is handed to it and left out.
        """
        chunk = self.sizes.chunk
        bar = tqdm(total=len(paths), desc=desc, unit="page")
        images = read_ahead(paths, ahead=2 * chunk, workers=self.sizes.threads, read=image_or_error)
        for start in range(0, len(paths), chunk):
            began = time.perf_counter()
            named, pages = [], []
            for path in paths[start : start + chunk]:
                page = next(images)
                if isinstance(page, DataError):
                    if skip is None:
                        raise page
                    skip(path, page)
                else:
                    pages.append(page)
                    named.append(path)
            self.seconds["read"] += time.perf_counter() - began
            if pages:
                yield from zip(self.read_chunk(named, pages), pages, strict=True)
            bar.update(len(paths[start : start + chunk]))
        bar.close()

    def read_chunk(self, paths: list[Path], pages: list[np.ndarray]) -> list[PageReading]:
        """The readings of decoded pages, kept by the thresholds."""
        began = time.perf_counter()
        found = list(self.detector.detect(pages))
        self.seconds["detect"] += time.perf_counter() - began
        read = self.classify(pages, [boxes for boxes, _ in found])
        return [
            self.thresholds.keep(PageReading(path.stem, page.shape[:2], boxes, scores, **vars(chars)))
            for path, page, (boxes, scores), chars in zip(paths, pages, found, read, strict=True)
        ]

    def classify(
        self, pages: list[np.ndarray], boxes: list[np.ndarray], seconds: Counter[str] | None = None
    ) -> list[Characters]:
        """The recognizer's reading of these boxes of these BGR (or gray) pages, in the views
        the thresholds ask for (``submit.views``); its time adds to ``seconds`` (default: the
        pipeline's own)."""
        grays = [page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) for page in pages]
        t, seconds = self.thresholds, self.seconds if seconds is None else seconds
        return read_characters(self.recognizer, grays, boxes, t.tta, t.unsure, self.top, seconds)


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
