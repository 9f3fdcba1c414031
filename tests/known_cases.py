"""Constructed pages with known characters, and stand-in networks whose answers are known.

A drawn character is a ``CELLS`` x ``CELLS`` grid of ``CELL``-px cells of blue ink: an outer ring of
ink around a 4 x 4 code whose set bits are ink and clear bits paper. Class ``k`` is drawn as code
``k + 1`` (never 0 or all bits, so a crop always holds ink and paper). Two stand-ins read such
pages through the real code paths:

- ``StubYolo`` replaces the detector network: given the batch of tiles the Detector builds, it
  returns raw YOLO output (batch, 4 + 1, SLOTS): centre x, y, width, height in network-input
  pixels and a score. ``find_ink`` puts one box on every blob of blue ink; a fixed function puts
  boxes at known tile coordinates.
- ``CodeReader`` replaces CharNet: it reads the code from the 32 x 32 binarized crop and answers
  its class with a fixed logit, so Recognizer, crops and the class list run for real.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from data.formats import char_of, write_rows
from detect.predict import Detector
from detect.tiles import Tiling
from recognize.predict import Recognizer

INK_BGR = (200, 60, 60)  # blue: found only in RGB input scaled to 0-1 (see find_ink)
PAPER = 230
CELL = 8  # px of a code cell on the page
CELLS = 6  # a character is CELLS x CELLS cells: a ring of ink around a 4 x 4 code
SIDE = CELL * CELLS  # 48 px
CLASSES = ["U+3042", "U+3044", "U+304B", "U+3057", "U+306B", "U+306E", "U+308A"]  # sorted, as trained
LOGIT = 10.0
SLOTS = 64  # detections per tile in the raw output (never 6: that shape means an end-to-end model)
TILING = Tiling(imgsz=64, scale=0.5, overlap=32)  # characters are 24 px in the network

# Two pages, (width, height) and rows of characters as (class, x, y) of a SIDE x SIDE box: non-square,
# one landscape and one portrait, characters across tile edges and on the page's edges.
ROWS: dict[str, tuple[tuple[int, int], tuple[list[tuple[int, int, int]], ...]]] = {
    "bk1-001": (
        (360, 260),
        (
            [(0, 10, 12), (3, 70, 12), (5, 130, 14), (6, 186, 40), (1, 250, 20), (2, 312, 0)],
            [(4, 0, 100), (0, 60, 110), (2, 120, 122), (1, 200, 126), (3, 300, 150)],
            [(5, 40, 212), (6, 112, 200), (4, 240, 212)],
        ),
    ),
    "bk1-002": (
        (250, 330),
        (
            [(1, 8, 8), (2, 66, 30), (6, 124, 16), (0, 190, 60), (3, 20, 90), (5, 100, 120)],
            [(4, 170, 150), (2, 30, 180), (1, 202, 282), (0, 60, 260), (3, 130, 240)],
        ),
    ),
}
PAGES = {image_id: (size, [c for row in rows for c in row]) for image_id, (size, rows) in ROWS.items()}


def bits(code: int) -> np.ndarray:
    """The 4 x 4 cells of a code, row by row from the top left, least significant bit first."""
    return ((code >> np.arange(16)) & 1).astype(bool).reshape(4, 4)


def draw_character(page: np.ndarray, label: int, x: int, y: int) -> None:
    """Draw class ``label`` as a SIDE x SIDE character with its top left corner at (x, y)."""
    page[y : y + SIDE, x : x + SIDE] = INK_BGR
    for (row, col), ink in np.ndenumerate(bits(label + 1)):
        if not ink:
            top, left = y + CELL * (row + 1), x + CELL * (col + 1)
            page[top : top + CELL, left : left + CELL] = PAPER


def draw_page(width: int, height: int, characters: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """A BGR page of paper with these characters drawn on it."""
    page = np.full((height, width, 3), PAPER, np.uint8)
    for label, x, y in characters:
        draw_character(page, label, x, y)
    return page


def truth_boxes(characters: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """The x, y, w, h boxes of drawn characters."""
    return np.array([[x, y, SIDE, SIDE] for _, x, y in characters], np.int64).reshape(-1, 4)


def write_kaggle_folder(folder: Path) -> Path:
    """PAGES as a Kaggle-layout folder: the same pages as train and test images, with their answers."""
    rows = []
    for part in ("train_images", "test_images"):
        (folder / part).mkdir(parents=True)
    for image_id, ((width, height), characters) in PAGES.items():
        page = draw_page(width, height, characters)
        encoded = cv2.imencode(".png", page)[1].tobytes()  # lossless; pages are read by content, not name
        for part in ("train_images", "test_images"):
            (folder / part / f"{image_id}.jpg").write_bytes(encoded)
        labels = " ".join(f"{CLASSES[k]} {x} {y} {SIDE} {SIDE}" for k, x, y in characters)
        rows.append((image_id, labels))
    write_rows(folder / "train.csv", ["image_id", "labels"], rows)
    write_rows(folder / "test_answers.csv", ["image_id", "labels"], rows)
    write_rows(folder / "sample_submission.csv", ["image_id", "labels"], [(i, "") for i in PAGES])
    write_rows(folder / "unicode_translation.csv", ["Unicode", "char"], [(c, char_of(c)) for c in CLASSES])
    return folder


# --- stand-in networks ---------------------------------------------------------------------------


def find_ink(tile: np.ndarray) -> list[tuple[float, float, float, float]]:
    """x0, y0, x1, y1 of every blob of blue ink in an RGB tile with values in 0-1 (holes filled)."""
    ink = ((tile[..., 2] > 0.5) & (tile[..., 0] < 0.3)).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [(x, y, x + w, y + h) for x, y, w, h in map(cv2.boundingRect, contours)]


class StubYolo(torch.nn.Module):
    """Raw YOLO output (batch, 5, SLOTS) with the boxes ``find`` gives for each tile, scored 0.9."""

    def __init__(self, find: Callable[[np.ndarray], list[tuple[float, float, float, float]]]) -> None:
        super().__init__()
        self.find = find
        self.seen: list[np.ndarray] = []  # every tile it was given, as H x W x 3 RGB in 0-1

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
        out = torch.zeros(len(x), 5, SLOTS)
        for k, tile in enumerate(x.permute(0, 2, 3, 1).numpy()):
            self.seen.append(tile)
            for j, (x0, y0, x1, y1) in enumerate(self.find(tile)):
                out[k, :, j] = torch.tensor([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0.9])
        return out, {}  # ultralytics' DetectionModel in eval mode returns (output, features)


def stub_detector(find: Callable = find_ink, tiling: Tiling = TILING, batch: int = 16) -> Detector:
    """A Detector whose network is StubYolo(find); tiling, batching, merging and scaling are real."""
    from detect.offline import configure

    configure()  # Detector._run imports ultralytics' NMS
    return Detector(StubYolo(find), tiling, torch.device("cpu"), batch=batch)


class CodeReader(torch.nn.Module):
    """Reads the 4 x 4 code of a 32 x 32 crop (ink = 1) and gives its class the logit LOGIT, else 0."""

    SAMPLE = (8, 13, 18, 24)  # crop pixels at the centres of the code cells (48 px scaled to 32)

    def __init__(self, classes: int, shift: int = 0) -> None:
        super().__init__()
        self.classes, self.shift = classes, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = torch.tensor(self.SAMPLE)
        cells = x[:, 0][:, index][:, :, index] > 0.5
        code = (cells.flatten(1).long() << torch.arange(16)).sum(1)
        label = code - 1 + self.shift
        logits = torch.zeros(len(x), self.classes)
        known = (label >= 0) & (label < self.classes)
        logits[known.nonzero()[:, 0], label[known]] = LOGIT
        return logits


def code_recognizer(shift: int = 0) -> Recognizer:
    """A Recognizer for CLASSES whose network is CodeReader (``shift``: answer the class that many on)."""
    return Recognizer(CodeReader(len(CLASSES), shift), list(CLASSES), torch.device("cpu"))


def certain_probability(classes: int = len(CLASSES)) -> float:
    """The probability softmax gives a class whose logit is LOGIT when every other logit is 0."""
    return float(np.exp(LOGIT) / (np.exp(LOGIT) + classes - 1))
