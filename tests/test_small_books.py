"""A book of one, two or three pages trains: each split that has too few pages says what it does
instead, in one line, and which scores are optimistic."""

from pathlib import Path

import pytest
from test_sources import kaggle_folder

from data.sources import combine
from data.split import make_split, unseen_tune_pages

PAGE = "U+306B 1 1 9 9"


def book(root: Path, pages: int) -> Path:
    """A one-book Kaggle-layout folder of ``pages`` pages, bk-001 onwards."""
    return kaggle_folder(root, {f"bk-{p:03d}": PAGE for p in range(1, pages + 1)}, {"U+306B": "に"})


def with_standin(root: Path, pages: int) -> Path:
    """That book joined with a stand-in of ten pages (``EXTRA=``)."""
    standin = kaggle_folder(root / "standin", {f"gen-{p:03d}": PAGE for p in range(10)}, {"U+306B": "に"})
    combine([(book(root / "book", pages), 3.0), (standin, 1.0)], root / "union")
    return root / "union"


def warnings(capsys: pytest.CaptureFixture) -> list[str]:
    return capsys.readouterr().err.splitlines()


SHARED = "on the page it trains on; its validation scores and the thresholds tuned there are optimistic"
NONE_HELD = "warning: held-out split: only 1 page of the first source, so no page is held out and there is no held-out score"  # noqa: E501


def test_one_page_trains_and_validates_on_itself(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    split = make_split(book(tmp_path, 1))
    assert split == {
        "fit": ["bk-001"],
        "holdout": [],
        "detector_train": ["bk-001"],
        "detector_valid": ["bk-001"],
    }
    assert unseen_tune_pages(split) == []  # the recognizer trains on the page, validates on nothing
    assert warnings(capsys) == [
        NONE_HELD,
        "warning: detector-validation split: only 1 page left to fit (bk-001), so the detector validates "
        f"{SHARED} because they share the page",
    ]


def test_two_pages_hold_one_out_and_validate_on_the_other(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    split = make_split(book(tmp_path, 2))
    (kept,), (held,) = split["fit"], split["holdout"]
    assert {kept, held} == {"bk-001", "bk-002"}
    assert split["detector_train"] == split["detector_valid"] == [kept]
    assert warnings(capsys) == [
        f"warning: held-out split: only one book (bk), so it holds out {held}, 1 of the 2 pages of book bk; "
        "scores on them will be optimistic because they share the book with the pages the models fit",
        f"warning: detector-validation split: only 1 page left to fit ({kept}), so the detector validates "
        f"{SHARED} because they share the page",
    ]


def test_three_pages_hold_one_out_and_validate_on_one(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    split = make_split(book(tmp_path, 3))
    assert len(split["holdout"]) == 1 and len(split["fit"]) == 2
    assert sorted(split["detector_train"] + split["detector_valid"]) == split["fit"]
    assert len(split["detector_valid"]) == 1 and unseen_tune_pages(split) == split["detector_valid"]
    lines = warnings(capsys)
    assert [line.split(":")[1] for line in lines] == [" held-out split", " detector-validation split"]
    assert all(
        "only one book (bk)" in line and "optimistic because they share the book" in line for line in lines
    )


def test_holdout_zero_keeps_every_page(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    split = make_split(book(tmp_path, 3), holdout=0.0)
    assert split["holdout"] == [] and split["fit"] == ["bk-001", "bk-002", "bk-003"]
    assert warnings(capsys)[0] == (
        "warning: held-out split: holdout is 0, so no page is held out and there is no held-out score"
    )


@pytest.mark.parametrize("pages", [1, 2])
def test_a_small_book_with_the_standin_validates_the_detector_on_the_standin(
    tmp_path: Path, capsys: pytest.CaptureFixture, pages: int
) -> None:
    split = make_split(with_standin(tmp_path, pages))
    assert len(split["fit"]) == 10 + 1 and len(split["holdout"]) == pages - 1
    (valid,) = split["detector_valid"]
    assert valid.startswith("standin~") and unseen_tune_pages(split) == [valid]
    assert len(split["detector_train"]) == 10
    assert warnings(capsys)[-1] == (
        "warning: detector-validation split: 1 page of the first source left to fit, "
        "so the detector validates on 1 page of the other sources"
    )
