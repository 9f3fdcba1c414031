"""Property-based tests: the CSV formats round-trip byte for byte, the metric keeps its invariants,
and tiles merged back give the page's boxes. Examples are derandomized so every run is the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.annotations import read_annotations, write_annotations
from data.formats import (
    format_labels,
    parse_labels,
    read_points,
    read_translation,
    write_rows,
    write_translation,
)
from data.geometry import centres, points_inside
from detect.tiles import Tiling, boxes_in_window, merge_tiles
from submit.metric import Score, score
from submit.submission import write_submission

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

codes = st.builds(lambda n: f"U+{n:04X}", st.integers(0x20, 0x10FFFF))
image_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=20)
small = st.integers(0, 5000)
positive = st.integers(1, 500)


# --- formats -------------------------------------------------------------------------------------


@EXAMPLES
@given(
    st.lists(st.tuples(codes, st.lists(st.integers(-(10**6), 10**6), min_size=4, max_size=4)), max_size=30)
)
def test_labels_round_trip(boxes: list[tuple[str, list[int]]]) -> None:
    codes_in = [c for c, _ in boxes]
    values = np.array([v for _, v in boxes], np.int64).reshape(-1, 4)
    text = format_labels(codes_in, values)
    codes_out, values_out = parse_labels(text, 5, "train.csv", 2)
    assert codes_out == codes_in and values_out.tolist() == values.tolist()
    assert format_labels(codes_out, values_out) == text
    points = values[:, :2]
    assert format_labels(*parse_labels(format_labels(codes_in, points), 3, "s.csv", 2)) == format_labels(
        codes_in, points
    )


def box_rows() -> st.SearchStrategy:
    """Boxes as train.csv holds them after tidying: inside the page's top-left corner, no exact repeats."""
    box = st.tuples(codes, small, small, positive, positive)
    return st.lists(box, max_size=12, unique=True)


@EXAMPLES
@given(st.dictionaries(image_ids, box_rows(), min_size=1, max_size=6))
def test_train_csv_written_then_read_is_byte_identical(tmp_path: Path, pages: dict[str, list[tuple]]) -> None:
    rows = [
        (image_id, " ".join(" ".join(map(str, box)) for box in boxes)) for image_id, boxes in pages.items()
    ]
    write_rows(tmp_path / "train.csv", ["image_id", "labels"], rows)
    annotations = read_annotations(tmp_path / "train.csv")
    assert annotations.image_ids == list(pages)
    assert annotations.boxes[["unicode", "x", "y", "w", "h"]].to_numpy().tolist() == [
        list(box) for boxes in pages.values() for box in boxes
    ]
    write_annotations(annotations, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "train.csv").read_bytes()


@EXAMPLES
@given(
    st.lists(image_ids, min_size=1, max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(
            st.just(ids), st.lists(st.tuples(st.sampled_from(ids), codes, small, small), max_size=40)
        )
    )
)
def test_submission_written_then_read_is_byte_identical(
    tmp_path: Path, case: tuple[list[str], list[tuple[str, str, int, int]]]
) -> None:
    ids, rows = case
    points = pd.DataFrame(rows, columns=["image_id", "unicode", "x", "y"])
    known = set(points["unicode"])
    assert write_submission(points, ids, tmp_path / "a.csv", known) == len(rows)
    read_ids, back = read_points(tmp_path / "a.csv", known)
    assert read_ids == ids
    expected = sorted(rows, key=lambda r: ids.index(r[0]))  # grouped by page, in order within a page
    assert list(back.itertuples(index=False, name=None)) == expected
    write_submission(back, read_ids, tmp_path / "b.csv", known)
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()


@EXAMPLES
@given(st.dictionaries(codes, st.characters(exclude_categories=("Cs",)), max_size=20))
def test_translation_table_round_trips_any_character(tmp_path: Path, table: dict[str, str]) -> None:
    write_translation(table, tmp_path / "t.csv")
    assert read_translation(tmp_path / "t.csv") == table
    write_translation(read_translation(tmp_path / "t.csv"), tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "t.csv").read_bytes()


# --- metric invariants ---------------------------------------------------------------------------

CELL = 20  # disjoint boxes: each inside its own cell of a 10 x 10 grid on a 200 x 200 page
CODES = ["U+3042", "U+3044", "U+3046"]


@st.composite
def page_case(draw: st.DrawFn, disjoint: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Truth boxes and prediction points of one page "p", with few classes so points often match."""
    boxes = []
    for cell in draw(st.lists(st.integers(0, 99), max_size=12, unique=True)):
        if disjoint:
            x0 = (cell % 10) * CELL + draw(st.integers(0, 8))
            y0 = (cell // 10) * CELL + draw(st.integers(0, 8))
            w, h = draw(st.integers(1, CELL - 9)), draw(st.integers(1, CELL - 9))
        else:
            x0, y0 = draw(st.integers(0, 180)), draw(st.integers(0, 180))
            w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
        boxes.append(("p", draw(st.sampled_from(CODES)), x0, y0, w, h))
    points = draw(
        st.lists(st.tuples(st.just("p"), st.sampled_from(CODES), st.integers(0, 200), st.integers(0, 200)))
    )
    # aim about half of the points at a box's centre, the way a good submission does
    aimed = [("p", b[1], b[2] + b[4] // 2, b[3] + b[5] // 2) for b in boxes if draw(st.booleans())]
    truth = pd.DataFrame(boxes, columns=["image_id", "unicode", "x", "y", "w", "h"])
    predictions = pd.DataFrame(
        draw(st.permutations(points + aimed)), columns=["image_id", "unicode", "x", "y"]
    )
    return truth, predictions


def hits(truth: pd.DataFrame, predictions: pd.DataFrame) -> int:
    """Boxes holding a point of their class strictly inside (on disjoint boxes: the true positives)."""
    inside = points_inside(truth[["x", "y", "w", "h"]].to_numpy(), predictions[["x", "y"]].to_numpy())
    same = truth["unicode"].to_numpy()[:, None] == predictions["unicode"].to_numpy()[None, :]
    return int((inside & same).any(axis=1).sum())


@EXAMPLES
@given(page_case(), st.randoms(use_true_random=False))
def test_on_disjoint_boxes_a_box_counts_once_whatever_the_order(case: tuple, random) -> None:
    truth, predictions = case
    result = score(truth, ["p"], predictions)
    n_truth, n_pred = len(truth), len(predictions)
    assert result == Score(hits(truth, predictions), n_pred - result.tp, n_truth - result.tp)
    order = list(range(n_pred))
    random.shuffle(order)
    assert score(truth, ["p"], predictions.iloc[order]) == result  # points permuted within the page
    doubled = pd.concat([predictions, predictions], ignore_index=True)
    assert score(truth, ["p"], doubled) == Score(result.tp, 2 * n_pred - result.tp, result.fn)  # duplicates


@EXAMPLES
@given(page_case(disjoint=False), st.integers(-50, 50), st.integers(-50, 50))
def test_score_is_the_same_moved_transposed_renamed_or_split_over_pages(
    case: tuple, dx: int, dy: int
) -> None:
    truth, predictions = case
    result = score(truth, ["p"], predictions)
    assert result.tp + result.fp == len(predictions) and result.tp + result.fn == len(truth)
    assert result.tp <= hits(truth, predictions)  # a box claims at most one point
    moved = score(
        truth.assign(x=truth.x + dx, y=truth.y + dy),
        ["p"],
        predictions.assign(x=predictions.x + dx, y=predictions.y + dy),
    )
    assert moved == result
    transposed = score(
        truth.rename(columns={"x": "y", "y": "x", "w": "h", "h": "w"}),
        ["p"],
        predictions.rename(columns={"x": "y", "y": "x"}),
    )
    assert transposed == result
    rename = dict(zip(CODES, CODES[1:] + CODES[:1], strict=True))
    renamed = score(
        truth.assign(unicode=truth.unicode.map(rename)),
        ["p"],
        predictions.assign(unicode=predictions.unicode.map(rename)),
    )
    assert renamed == result
    other = score(truth.assign(image_id="q"), ["q"], predictions.assign(image_id="q"))
    both = score(
        pd.concat([truth, truth.assign(image_id="q")]),
        ["q", "p"],
        pd.concat([predictions.assign(image_id="q"), predictions]),
    )
    assert other == result and both == result + result


@EXAMPLES
@given(
    st.integers(1, 5),
    st.lists(st.tuples(st.integers(11, 29), st.integers(21, 59)), max_size=8),
    st.integers(0, 3),
)
def test_stacked_boxes_each_claim_their_own_point(boxes: int, inside: list, outside: int) -> None:
    """``boxes`` copies of one box (x 10..30, y 20..60), points strictly inside and some outside:
    every point counts at most once and every box at most once, so tp = min(boxes, points inside)."""
    truth = pd.DataFrame(
        [("p", "U+3042", 10, 20, 20, 40)] * boxes, columns=["image_id", "unicode", "x", "y", "w", "h"]
    )
    rows = [("p", "U+3042", x, y) for x, y in inside] + [("p", "U+3042", 30, 20 + k) for k in range(outside)]
    predictions = pd.DataFrame(rows, columns=["image_id", "unicode", "x", "y"])
    tp = min(boxes, len(inside))
    assert score(truth, ["p"], predictions) == Score(tp, len(rows) - tp, boxes - tp)
    reversed_order = predictions.iloc[::-1]
    assert score(truth, ["p"], reversed_order) == Score(tp, len(rows) - tp, boxes - tp)


@EXAMPLES
@given(st.lists(st.tuples(small, small, st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=20))
def test_a_box_holds_its_centre_exactly_when_it_is_at_least_2_px_each_way(boxes: list[tuple]) -> None:
    values = np.array(boxes)
    inside = points_inside(values, centres(values)).diagonal()
    assert inside.tolist() == ((values[:, 2] >= 2) & (values[:, 3] >= 2)).tolist()


# --- tiles merged back ---------------------------------------------------------------------------


@st.composite
def tiled_page(draw: st.DrawFn) -> tuple[Tiling, int, int, np.ndarray]:
    """A tiling, a scaled page size and disjoint boxes smaller than the overlap less the margins."""
    overlap = draw(st.sampled_from([16, 24, 32]))
    tiling = Tiling(imgsz=64, scale=1.0, overlap=overlap)
    width, height = draw(st.integers(20, 300)), draw(st.integers(20, 300))
    side = overlap - 8  # cells of this side, one box in each
    columns, rows = width // side, height // side
    cell = st.tuples(st.integers(0, max(columns - 1, 0)), st.integers(0, max(rows - 1, 0)))
    boxes = []
    for column, row in draw(st.lists(cell, max_size=15, unique=True)) if columns and rows else []:
        dx, dy = draw(st.integers(0, side - 2)), draw(st.integers(0, side - 2))
        w, h = draw(st.integers(2, side - dx)), draw(st.integers(2, side - dy))
        x0, y0 = column * side + dx, row * side + dy
        boxes.append((x0, y0, x0 + w, y0 + h))
    return tiling, width, height, np.array(boxes, np.float32).reshape(-1, 4)


@EXAMPLES
@given(tiled_page())
def test_tiles_merged_back_give_every_box_once(case: tuple) -> None:
    """Perfect per-tile detections (every visible part of every box) merge back to exactly the boxes."""
    tiling, width, height, boxes = case
    windows = tiling.windows(height, width)
    parts = []
    for window in windows:
        found = boxes_in_window(boxes, window, min_visible=0.0)
        parts.append((found.astype(np.float32), np.full(len(found), 0.9, np.float32)))
    merged, scores = merge_tiles(parts, windows, width, height, iou=0.5)
    assert sorted(merged.tolist()) == sorted(boxes.tolist())
    assert len(scores) == len(boxes)


@settings(EXAMPLES, max_examples=400)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(2, 14), st.integers(2, 14)), max_size=8
    ),
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=10),
    st.randoms(use_true_random=False),
)
def test_every_keep_mask_scores_as_its_predictions_alone(truth: list, points: list, random) -> None:
    """The tuning grid's true positives of each subset of predictions, found side by side
    (``true_positives``), are those of the subset scored alone (``claimed``): overlapping boxes,
    shared candidates and all."""
    from submit.metric import claimed, true_positives

    boxes = np.array(truth, np.int64).reshape(-1, 4)
    truth_codes = np.array([random.choice("ab") for _ in truth])
    pred_codes = np.array([random.choice("ab") for _ in points])
    where = np.array(points, np.int64).reshape(-1, 2)
    keep = np.array([[random.random() < 0.6 for _ in points] for _ in range(6)], bool).reshape(6, -1)
    alone = [int(claimed(truth_codes, boxes, pred_codes[k], where[k]).sum()) for k in keep]
    assert true_positives(truth_codes, boxes, pred_codes, where, keep).tolist() == alone
