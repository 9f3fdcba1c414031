import numpy as np

from data.annotations import boxes_frame
from submit.evaluation.losses import bucket, page_losses, shortfall
from submit.match import PageMatch
from submit.pipeline import PageReading


def test_training_count_buckets() -> None:
    assert [bucket(n) for n in (0, 1, 2, 9, 10, 99, 100, 5000)] == [
        "never", "once", "2-9", "2-9", "10-99", "10-99", "100+", "100+"
    ]  # fmt: skip


def test_where_a_page_loses_its_characters() -> None:
    page = boxes_frame(
        ["p"] * 4,
        ["U+3042", "U+3044", "U+3046", "U+3048"],
        np.array([[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10], [60, 0, 10, 10]]),
    )
    # centres: (5, 5) in box 0, right; (25, 5) in box 1, wrong; (45, 5) and (44, 4) both in box 2;
    # (90, 5) and (94, 4) in none
    found = np.array(
        [[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10], [39, -1, 10, 10], [85, 0, 10, 10], [90, 0, 8, 8]]
    )
    codes = np.array(["U+3042", "U+3046", "U+3046", "U+3046", "U+3042", "U+3042"], dtype=object)
    reading = PageReading("p", (20, 100), found, np.ones(6), codes, np.ones(6))
    counts = {"U+3042": 150, "U+3044": 1}
    lost = page_losses(reading, PageMatch.of(reading, page), counts)
    assert lost == {
        "missed": 2,
        "spurious": 2,
        "found 100+": 1,
        "wrong 100+": 0,
        "found once": 1,
        "wrong once": 1,
    }
    total = shortfall(lost + lost)  # two such pages
    assert (total["missed"], total["spurious"]) == (4, 4)
    assert total["by_training_count"]["100+"] == {"found": 2, "wrong": 0, "accuracy": 1.0}
    assert total["by_training_count"]["once"] == {"found": 2, "wrong": 2, "accuracy": 0.0}
    assert total["by_training_count"]["never"] == {"found": 0, "wrong": 0, "accuracy": None}
