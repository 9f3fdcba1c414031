import numpy as np
import pandas as pd
import pytest

from submit.metric import Score, score, score_page


def boxes(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["image_id", "unicode", "x", "y", "w", "h"])


def points(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["image_id", "unicode", "x", "y"])


TRUTH = boxes(("p", "U+3042", 10, 10, 20, 20), ("p", "U+3044", 40, 10, 20, 20))


@pytest.mark.parametrize(
    ("preds", "expected"),
    [
        ([("p", "U+3042", 20, 20), ("p", "U+3044", 50, 20)], Score(2, 0, 0)),  # both right
        ([("p", "U+3044", 20, 20)], Score(0, 1, 2)),  # wrong class inside the right box
        ([("p", "U+3042", 20, 20), ("p", "U+3042", 21, 21)], Score(1, 1, 1)),  # duplicate: one hit only
        ([("p", "U+3042", 10, 20)], Score(0, 1, 2)),  # on the left edge: not inside
        ([("p", "U+3042", 30, 20)], Score(0, 1, 2)),  # on the right edge (x + w): not inside
        ([("p", "U+3042", 20, 30)], Score(0, 1, 2)),  # on the bottom edge
        ([("p", "U+3042", 11, 29)], Score(1, 0, 1)),  # just inside a corner
        ([], Score(0, 0, 2)),  # nothing predicted
        ([("q", "U+3042", 20, 20)], Score(0, 0, 2)),  # prediction for a page not in the truth is ignored
    ],
)
def test_hand_built_cases(preds: list, expected: Score) -> None:
    assert score(TRUTH, ["p"], points(*preds)) == expected


def test_empty_pages() -> None:
    truth = boxes(("p", "U+3042", 10, 10, 20, 20))
    assert score(truth, ["p", "empty"], points(("empty", "U+3042", 5, 5))) == Score(0, 1, 1)
    assert score(truth.iloc[:0], ["empty"], points()) == Score(0, 0, 0)


def test_boxes_claim_predictions_in_order() -> None:
    # Two overlapping boxes of one class; the first box takes the first prediction inside it.
    truth = boxes(("p", "U+3042", 0, 0, 10, 10), ("p", "U+3042", 5, 0, 10, 10))
    preds = points(("p", "U+3042", 7, 5), ("p", "U+3042", 3, 5))
    assert score(truth, ["p"], preds) == Score(1, 1, 1)  # the official greedy rule, not the best matching
    assert score(truth, ["p"], preds.iloc[::-1]) == Score(2, 0, 0)


def test_pooled_f1() -> None:
    result = Score(tp=3, fp=1, fn=2)
    assert result.precision == pytest.approx(0.75)
    assert result.recall == pytest.approx(0.6)
    assert result.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Score().f1 == 0.0


def reference(truth: list, preds: list) -> tuple[int, int, int]:
    """Slow, independent statement of the rule: plain loops over pages, boxes and points."""
    tp = fp = fn = 0
    for page in {t[0] for t in truth}:
        page_preds = [p for p in preds if p[0] == page]
        used = [False] * len(page_preds)
        for _, code, x, y, w, h in (t for t in truth if t[0] == page):
            for k, (_, pcode, px, py) in enumerate(page_preds):
                if not used[k] and pcode == code and x < px < x + w and y < py < y + h:
                    used[k] = True
                    tp += 1
                    break
            else:
                fn += 1
        fp += used.count(False)
    return tp, fp, fn


def test_matches_slow_reference_on_random_pages() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        truth, preds = [], []
        for page in range(rng.integers(1, 5)):
            for _ in range(rng.integers(0, 30)):
                truth.append(
                    (
                        f"p{page}",
                        f"U+30{rng.integers(40, 44)}",
                        *map(int, rng.integers(0, 60, 2)),
                        *map(int, rng.integers(1, 25, 2)),
                    )
                )
            for _ in range(rng.integers(0, 40)):
                preds.append((f"p{page}", f"U+30{rng.integers(40, 44)}", *map(int, rng.integers(0, 85, 2))))
        ids = sorted({t[0] for t in truth})
        result = score(boxes(*truth), ids, points(*preds))
        assert (result.tp, result.fp, result.fn) == reference(truth, [p for p in preds if p[0] in ids])


def test_score_page_on_arrays() -> None:
    result = score_page(
        np.array(["a"]), np.array([[0, 0, 4, 4]]), np.array(["a", "a"]), np.array([[2, 2], [9, 9]])
    )
    assert result == Score(1, 1, 0)
