"""Every coordinate transform pinned to hand-computed numbers on constructed cases.

page → scaled page → tiles → YOLO label files; detector output → page pixels; box → crop;
geometry helpers. Each expected number is derived in a comment, never read off the code's output.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml
from known_cases import stub_detector

from data.annotations import Annotations, boxes_frame
from data.crops import SIZE, crop_page, crop_pages, preprocess
from data.geometry import centre_owner, centres, clip_boxes, xyxy
from detect.dataset import build_dataset
from detect.predict import PAD
from detect.tiles import Tiling, scaled
from recognize.dataset import to_input

# --- page → scaled page → tiles ------------------------------------------------------------------

LABEL_TILING = Tiling(imgsz=64, scale=0.5, overlap=16)


def test_scaled_page_sizes() -> None:
    assert scaled(np.zeros((200, 300, 3), np.uint8), 0.5).shape == (100, 150, 3)
    assert scaled(np.zeros((110, 300), np.uint8), 0.5).shape == (55, 150)
    assert scaled(np.zeros((200, 300), np.uint8), 0.4).shape == (80, 120)
    assert scaled(np.zeros((10, 30), np.uint8), 1.5).shape == (15, 45)


def test_scaled_page_pixels() -> None:
    """Halving averages 2 x 2 blocks: a page whose blue is x // 2 and green y // 2 becomes (j, i)."""
    page = gradient_page(300, 200)
    small = scaled(page, 0.5)
    assert (small[..., 0] == np.arange(150)[None, :]).all()
    assert (small[..., 1] == np.arange(100)[:, None]).all()


def test_windows_of_a_scaled_page() -> None:
    # 150 x 100 scaled page, 64 px tiles every 48 px: x starts 0, 48 and the last full tile at
    # 150 - 64 = 86; y starts 0 and 100 - 64 = 36. Rows of tiles top to bottom, left to right.
    assert LABEL_TILING.windows(100, 150) == [
        (0, 0, 64, 64),
        (48, 0, 112, 64),
        (86, 0, 150, 64),
        (0, 36, 64, 100),
        (48, 36, 112, 100),
        (86, 36, 150, 100),
    ]
    # 55 px high: one row of tiles as high as the page.
    assert LABEL_TILING.windows(55, 150) == [(0, 0, 64, 55), (48, 0, 112, 55), (86, 0, 150, 55)]
    assert LABEL_TILING.windows(40, 30) == [(0, 0, 30, 40)]


# --- YOLO label files ----------------------------------------------------------------------------

# Page "wide" is 300 x 200 (scaled 150 x 100, six 64 x 64 tiles as above); page "strip" is
# 300 x 110 (scaled 150 x 55, three 64 x 55 tiles). Boxes in page pixels (x, y, w, h).
LABEL_BOXES = {
    "wide": [
        (20, 20, 40, 32),  # A: scaled (10, 10)-(30, 26), inside tile 0 only
        (112, 40, 32, 20),  # B: scaled (56, 20)-(72, 30), across tile 0's right edge at 64
        (176, 60, 24, 24),  # C: scaled (88, 30)-(100, 42), across tile 3-5's top edge at 36
        (260, 160, 40, 40),  # D: scaled (130, 80)-(150, 100), in the page's bottom right corner
        (80, 56, 40, 24),  # E: scaled (40, 28)-(60, 40), mostly outside tiles 3 and 4
    ],
    "strip": [(100, 20, 24, 44)],  # F: scaled (50, 10)-(62, 32)
}
# Label lines "0 cx cy w h", each divided by the tile's width or height; a box clipped to a tile
# stays when at least half of it is visible.
LABEL_LINES = {
    "wide_t0": [
        "0 0.312500 0.281250 0.312500 0.250000",  # A (10, 10)-(30, 26): centre 20/64, 18/64; 20/64, 16/64
        "0 0.937500 0.390625 0.125000 0.156250",  # B clipped to (56, 20)-(64, 30): exactly half visible
        "0 0.781250 0.531250 0.312500 0.187500",  # E whole: centre 50/64, 34/64; 20/64, 12/64
    ],
    "wide_t1": [  # tile x 48..112
        "0 0.250000 0.390625 0.250000 0.156250",  # B at (8, 20)-(24, 30)
        "0 0.718750 0.562500 0.187500 0.187500",  # C at (40, 30)-(52, 42)
        "0 0.093750 0.531250 0.187500 0.187500",  # E clipped to (0, 28)-(12, 40): 12 of 20 px wide
    ],
    "wide_t2": ["0 0.125000 0.562500 0.187500 0.187500"],  # C at (2, 30)-(14, 42); tile x 86..150
    "wide_t3": [],  # E shows 4 of its 12 rows in it (y 36..40): dropped
    "wide_t4": ["0 0.718750 0.046875 0.187500 0.093750"],  # C clipped to (40, 0)-(52, 6): half
    "wide_t5": [
        "0 0.125000 0.046875 0.187500 0.093750",  # C clipped to (2, 0)-(14, 6)
        "0 0.843750 0.843750 0.312500 0.312500",  # D at (44, 44)-(64, 64)
    ],
    # 64 x 55 tiles: x over 64, y over 55. F at (50, 10)-(62, 32): centre 56/64, 21/55; 12/64, 22/55
    "strip_t0": ["0 0.875000 0.381818 0.187500 0.400000"],
    "strip_t1": ["0 0.125000 0.381818 0.187500 0.400000"],  # F at (2, 10)-(14, 32)
    "strip_t2": [],
}


def gradient_page(width: int, height: int) -> np.ndarray:
    """A BGR page whose blue is x // 2 and green y // 2: every pixel says where it is."""
    page = np.zeros((height, width, 3), np.uint8)
    page[..., 0] = (np.arange(width) // 2)[None, :]
    page[..., 1] = (np.arange(height) // 2)[:, None]
    return page


def label_pages(folder: Path) -> Annotations:
    """The two pages above in ``folder`` (stored losslessly), and their annotations."""
    folder.mkdir()
    owners, values = [], []
    for image_id, boxes in LABEL_BOXES.items():
        width, height = {"wide": (300, 200), "strip": (300, 110)}[image_id]
        png = cv2.imencode(".png", gradient_page(width, height))[1].tobytes()
        (folder / f"{image_id}.jpg").write_bytes(png)  # read by content: lossless page
        owners += [image_id] * len(boxes)
        values += boxes
    return Annotations(list(LABEL_BOXES), boxes_frame(owners, ["U+3042"] * len(owners), values))


@pytest.fixture(scope="module")
def label_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build_dataset on the two pages above, "wide" to train and "strip" to val."""
    folder = tmp_path_factory.mktemp("labels")
    annotations = label_pages(folder / "pages")
    parts = {"train": ["wide"], "val": ["strip"]}
    build_dataset(annotations, folder / "pages", parts, LABEL_TILING, folder / "dataset", workers=1)
    return folder / "dataset"


def test_a_weighted_page_gives_its_tiles_its_weight_and_lists_them_once(tmp_path: Path) -> None:
    from detect.weighted import tile_weights

    annotations = label_pages(tmp_path / "pages")
    parts, weights = {"train": ["wide"], "val": ["strip"]}, {"wide": 3.0, "strip": 1.0}
    made = build_dataset(annotations, tmp_path / "pages", parts, LABEL_TILING, tmp_path / "out", 1, weights)
    train = sorted(p.stem for p in (tmp_path / "out" / "labels" / "train").glob("*.txt"))
    assert train == [f"wide_t{k}" for k in range(6)]
    assert tile_weights(made) == {f"wide_t{k}": 3.0 for k in range(6)}  # the training tiles only
    assert (tmp_path / "out" / "tiles.txt").read_text() == "9\n"  # 6 train tiles, 3 val
    plain = build_dataset(annotations, tmp_path / "pages", parts, LABEL_TILING, tmp_path / "one", 1, {})
    assert tile_weights(plain) is None  # one weight for all: ultralytics' own shuffling


def test_the_weighted_sampler_draws_one_pass_by_weight_and_splits_it_between_ranks() -> None:
    from detect.weighted import WeightedSampler

    sampler = WeightedSampler([1.0, 0.0, 3.0, 0.0], seed=0)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(second) == len(sampler) == 4 and first != second  # a new draw each pass
    assert set(first + second) <= {0, 2}  # a weight of 0 is never drawn
    many = WeightedSampler([1.0, 3.0] * 5000, seed=1)
    drawn = np.bincount(np.array(list(many)) % 2, minlength=2)
    assert abs(drawn[1] / drawn.sum() - 0.75) < 0.02  # in proportion to the weights
    ranks = [WeightedSampler([1.0] * 7, seed=2, rank=r, world=2) for r in (0, 1)]
    whole = list(WeightedSampler([1.0] * 7, seed=2))
    assert [len(r) for r in ranks] == [4, 4]
    assert list(ranks[0]) + list(ranks[1]) == whole[0::2] + whole[1::2]  # interleaved shares of one draw


def test_yolo_label_files_hold_these_lines(label_dataset: Path) -> None:
    found = {
        path.stem: path.read_text().splitlines() for path in sorted(label_dataset.glob("labels/*/*.txt"))
    }
    assert found == LABEL_LINES
    assert sorted(p.stem for p in label_dataset.glob("labels/train/*")) == [f"wide_t{k}" for k in range(6)]
    assert (label_dataset / "tiles.txt").read_text() == "9\n"
    spec = yaml.safe_load((label_dataset / "data.yaml").read_text())
    spec.pop("path", None)  # where the data set lies, not how its labels are laid out
    assert spec == {"train": "images/train", "val": "images/val", "names": {0: "char"}}


@pytest.mark.parametrize(
    ("tile", "window"),
    [
        ("train/wide_t0", (0, 0, 64, 64)),
        ("train/wide_t4", (48, 36, 112, 100)),
        ("val/strip_t2", (86, 0, 150, 55)),
    ],
)
def test_tile_images_are_the_scaled_page_at_their_window(
    label_dataset: Path, tile: str, window: tuple[int, int, int, int]
) -> None:
    """On the scaled gradient page, pixel (row i, column j) has blue j and green i."""
    x0, y0, x1, y1 = window
    image = cv2.imread(str(label_dataset / "images" / f"{tile}.jpg")).astype(int)
    assert image.shape == (y1 - y0, x1 - x0, 3)
    assert np.abs(image[..., 0] - np.arange(x0, x1)[None, :]).max() <= 3  # JPEG quality 95
    assert np.abs(image[..., 1] - np.arange(y0, y1)[:, None]).max() <= 3


# --- detector output → page pixels ---------------------------------------------------------------

# Scale 0.4, 64 px tiles overlapping by 24: a 300 x 200 page is 120 x 80 scaled, tiles at
# x 0, 40, 56 and y 0, 16. A 150 x 250 page is 60 x 100 scaled: tiles (0, 0, 60, 64) and
# (0, 36, 60, 100), each narrower than the network input and padded.
OUTPUT_TILING = Tiling(imgsz=64, scale=0.4, overlap=24)
INNER = (10.2, 20.6, 30.1, 41.3)  # in every tile; in page pixels (tile + window) / 0.4, then
# floor / ceil: (25.5, 51.5)-(75.25, 103.25) + 2.5 * window → x, y = 25, 51 (+ 2.5 window), w, h = 51, 53
EDGE = (50.1, 50.1, 70.3, 70.3)  # crosses the tile's right and bottom edges: kept only where both
# are the page's edges, then clipped to the page


def fixed_boxes(tile: np.ndarray) -> list[tuple[float, float, float, float]]:
    return [INNER, EDGE]


def test_detector_output_becomes_page_pixels() -> None:
    # Both pages (6 + 2 tiles) go to the network together, in batches of 7 and 1.
    detector = stub_detector(fixed_boxes, OUTPUT_TILING, batch=7)
    wide = np.full((200, 300, 3), (10, 20, 30), np.uint8)  # BGR
    tall = np.full((250, 150, 3), (10, 20, 30), np.uint8)
    (wide_boxes, wide_scores), (tall_boxes, tall_scores) = detector.detect([wide, tall])
    assert sorted(wide_boxes.tolist()) == [
        [25, 51, 51, 53],  # window (0, 0)
        [25, 91, 51, 53],  # window (0, 16): y 51 + 2.5 * 16
        [125, 51, 51, 53],  # window (40, 0)
        [125, 91, 51, 53],
        [165, 51, 51, 53],  # window (56, 0)
        [165, 91, 51, 53],
        [265, 165, 35, 35],  # EDGE in the last tile: (50.1 + 56) / 0.4 = 265.25 .. 315.75, clipped at 300
    ]
    assert sorted(tall_boxes.tolist()) == [
        [25, 51, 51, 53],
        [25, 141, 51, 53],  # window (0, 36): y (20.6 + 36) / 0.4 = 141.5 .. 193.25
        [125, 215, 25, 35],  # EDGE in the bottom tile: (125.25, 215.25) .. clipped at (150, 250)
    ]
    assert wide_boxes.dtype == np.int64
    assert wide_scores.tolist() == pytest.approx([0.9] * 7)
    assert tall_scores.tolist() == pytest.approx([0.9] * 3)
    # The network saw RGB in 0-1, each tile at the top left of a 64 x 64 input padded with grey.
    seen = detector.model.seen
    rgb = [30 / 255, 20 / 255, 10 / 255]
    assert len(seen) == 6 + 2 and seen[0].shape == seen[6].shape == (64, 64, 3)
    assert np.allclose(seen[0], rgb) and np.allclose(seen[6][:, :60], rgb)
    assert np.allclose(seen[6][:, 60:], PAD / 255)


# --- box → crop ----------------------------------------------------------------------------------


def framed_page() -> np.ndarray:
    """A 60 x 80 gray page: paper 200, a 16 x 32 box at (20, 10) inked (30) in its top-left quarter,
    and a one-pixel ink frame just outside the box, so a crop off by a pixel takes in ink."""
    page = np.full((60, 80), 200, np.uint8)
    page[9:43, 19:37] = 30  # the frame ...
    page[10:42, 20:36] = 200  # ... around the box x 20..36, y 10..42
    page[10:26, 20:28] = 30  # the box's top 16 rows, left 8 columns
    return page


def test_crop_of_a_tall_box_is_padded_left_and_right() -> None:
    # 32 rows x 16 columns → a 32 x 32 square with the box in columns 8..24; ink in the top 16
    # rows of its left 8 columns: crop rows 0..16, columns 8..16. No resize (already 32).
    expected = np.zeros((SIZE, SIZE), np.uint8)
    expected[0:16, 8:16] = 255
    assert (crop_page(framed_page(), np.array([[20, 10, 16, 32]]))[0] == expected).all()


def test_crop_of_a_large_box_is_halved() -> None:
    # 64 x 64 box, ink in its top 32 rows and left 16 columns; halved: rows 0..16, columns 0..8.
    page = np.full((100, 120), 210, np.uint8)
    page[20:52, 40:56] = 20
    expected = np.zeros((SIZE, SIZE), np.uint8)
    expected[0:16, 0:8] = 255
    assert (crop_page(page, np.array([[40, 20, 64, 64]]))[0] == expected).all()
    wide = crop_page(page, np.array([[40, 20, 64, 32]]))[0]  # 32 x 64: padded above and below
    expected = np.zeros((SIZE, SIZE), np.uint8)
    expected[8:24, 0:8] = 255
    assert (wide == expected).all()


def test_crops_of_boxes_over_the_page_edges_are_the_parts_on_the_page() -> None:
    page = framed_page()  # 80 wide, 60 high
    page[50:60, 0:5] = 30
    page[20:30, 74:80] = 30
    # x -8..8, y 50..66: the region x 0..8, y 50..60. x 70..90, y 20..30: the region x 70..80.
    crops = crop_page(page, np.array([[-8, 50, 16, 16], [70, 20, 20, 10]]))
    assert (crops[0] == preprocess(page[50:60, 0:8])).all()
    assert (crops[1] == preprocess(page[20:30, 70:80])).all()
    assert (crops[0][:, :3] == 0).all()  # 10 rows x 8 columns: padded 1 px each side
    # 10 x 10, ink from column 4: scaled by 3.2, from column 12.8 (pixel 12 a fifth inked, 51)
    assert (crops[1][:, :12] == 0).all() and (crops[1][:, 12] == 51).all() and (crops[1][:, 13:] == 255).all()


def ink_page(seed: int, height: int = 240, width: int = 320) -> np.ndarray:
    """Paper with grain and strokes of several greys, so that Otsu's threshold differs by region."""
    rng = np.random.default_rng(seed)
    page = rng.normal(215, 12, (height, width)).clip(0, 255).astype(np.uint8)
    for _ in range(60):
        x, y = rng.integers(0, width - 8), rng.integers(0, height - 8)
        page[y : y + rng.integers(2, 30), x : x + rng.integers(2, 30)] = rng.integers(10, 160)
    return page


def test_batched_crops_equal_each_crop_cut_alone() -> None:
    """crop_pages cuts every box of several pages, in several views, in one batch; each crop is the
    one ``preprocess`` makes of its region alone: tall, wide, tiny (enlarged), 32-px, large and
    off-page boxes, the views of one character overlapping."""
    rng = np.random.default_rng(7)
    pages = [ink_page(1), ink_page(2, 180, 260)]
    sizes = [(1, 1), (1, 5), (7, 3), (20, 31), (32, 32), (33, 17), (48, 64), (90, 70), (200, 150)]
    first = np.array([[rng.integers(-20, 300), rng.integers(-20, 220), w, h] for w, h in sizes * 3])
    views = first[None] + rng.integers(-3, 4, (5, len(first), 4))
    views[..., 2:] = np.maximum(views[..., 2:], 1)
    cut = crop_pages(pages, [first, views])
    assert cut[0].shape == (len(first), SIZE, SIZE) and cut[1].shape == (5, len(first), SIZE, SIZE)
    for gray, boxes, crops in zip(pages, [first[None], views], [cut[0][None], cut[1]], strict=True):
        height, width = gray.shape
        for box, crop in zip(boxes.reshape(-1, 4), crops.reshape(-1, SIZE, SIZE), strict=True):
            x, y, w, h = box.tolist()
            x0, y0 = min(max(x, 0), width - 1), min(max(y, 0), height - 1)
            x1, y1 = max(min(x + w, width), x0 + 1), max(min(y + h, height), y0 + 1)
            assert np.array_equal(crop, preprocess(gray[y0:y1, x0:x1])), box
    assert [c.shape for c in crop_pages(pages, [np.zeros((0, 4)), np.zeros((7, 0, 4))])] == [
        (0, SIZE, SIZE),
        (7, 0, SIZE, SIZE),
    ]


def test_crops_become_network_input_in_0_to_1() -> None:
    crops = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    x = to_input(crops)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    assert x.flatten().tolist() == pytest.approx([0.0, 1.0, 0.2, 0.4])


# --- geometry helpers ----------------------------------------------------------------------------


def test_clip_boxes_at_the_page_edges() -> None:
    boxes = np.array([[-5, 10, 20, 30], [90, 70, 20, 20], [100, 10, 5, 5], [10, -40, 5, 30]])
    limits = np.array([[100, 80]] * 4)  # width, height
    assert clip_boxes(boxes, limits).tolist() == [
        [0, 10, 15, 30],
        [90, 70, 10, 10],
        [100, 10, 0, 5],
        [10, 0, 5, -10],
    ]
    assert clip_boxes(boxes).tolist() == [[0, 10, 15, 30], [90, 70, 20, 20], [100, 10, 5, 5], [10, 0, 5, -10]]


def test_corners_centres_and_owners_of_non_square_boxes() -> None:
    boxes = np.array([[10, 20, 7, 30], [100, 5, 40, 9]])
    assert xyxy(boxes).tolist() == [[10, 20, 17, 50], [100, 5, 140, 14]]
    assert centres(boxes).tolist() == [[13, 35], [120, 9]]  # x + w // 2, y + h // 2
    truth = np.array([[8, 18, 10, 40], [95, 0, 50, 20], [0, 0, 5, 5]])
    assert centre_owner(boxes, truth).tolist() == [0, 1, -1]
    assert centre_owner(boxes[:, [1, 0, 3, 2]], truth).tolist() == [-1, -1, -1]  # x and y swapped
