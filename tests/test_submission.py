from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.formats import read_points, read_translation
from data.infra.errors import DataError
from submit.submission import MAX_POINTS_PER_PAGE, expected_pages, validate_submission, write_submission


@pytest.fixture()
def setting(tiny_data: Path) -> tuple[list[str], dict[str, str], Path]:
    pages = expected_pages(tiny_data / "sample_submission.csv", tiny_data / "test_images")
    return pages, read_translation(tiny_data / "unicode_translation.csv"), tiny_data / "test_images"


def test_writes_one_row_per_page(setting: tuple, tmp_path: Path) -> None:
    pages, known, images = setting
    code = next(iter(known))
    points = pd.DataFrame(
        {"image_id": [pages[0], pages[0]], "unicode": [code, code], "x": [5, 9], "y": [7, 3]}
    )
    out = tmp_path / "submission.csv"
    assert write_submission(points, pages, out, known, images) == 2
    ids, back = read_points(out)
    assert ids == pages
    assert back[["x", "y"]].to_numpy().tolist() == [[5, 7], [9, 3]]


def test_invalid_points_leave_no_file(setting: tuple, tmp_path: Path) -> None:
    pages, known, images = setting
    code = next(iter(known))
    out = tmp_path / "submission.csv"
    outside = pd.DataFrame({"image_id": [pages[0]], "unicode": [code], "x": [100000], "y": [1]})
    with pytest.raises(DataError, match="lies outside the"):
        write_submission(outside, pages, out, known, images)
    unknown = pd.DataFrame({"image_id": [pages[0]], "unicode": ["U+0041"], "x": [1], "y": [1]})
    with pytest.raises(DataError, match="unknown unicode U\\+0041"):
        write_submission(unknown, pages, out, known, images)
    assert list(tmp_path.iterdir()) == []


def test_missing_extra_and_crowded_pages(setting: tuple, tmp_path: Path) -> None:
    pages, known, _ = setting
    path = tmp_path / "s.csv"
    path.write_text("image_id,labels\n" + "".join(f"{p},\n" for p in pages[1:]))
    with pytest.raises(DataError, match=f"page {pages[0]} is missing"):
        validate_submission(path, pages, known)
    path.write_text("image_id,labels\n" + "".join(f"{p},\n" for p in [*pages, "test_extra"]))
    with pytest.raises(DataError, match="page test_extra is not a test page"):
        validate_submission(path, pages, known)
    code = next(iter(known))
    crowded = " ".join(f"{code} 1 1" for _ in range(1201))
    path.write_text("image_id,labels\n" + "".join(f"{p},{crowded if p == pages[0] else ''}\n" for p in pages))
    with pytest.raises(DataError, match="1201 points"):
        validate_submission(path, pages, known)


def test_crowded_pages_keep_their_highest_scored_points(
    setting: tuple, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pages, known, images = setting
    code = next(iter(known))
    n = MAX_POINTS_PER_PAGE + 5
    scores = np.linspace(1, 0.5, n)
    low = [3, 100, 500, 700, n - 1]  # the five lowest scores, spread over the page's points
    scores[low] = [0.1, 0.2, 0.05, 0.3, 0.4]
    crowded = pd.DataFrame(
        {"image_id": pages[0], "unicode": code, "x": np.arange(n) % 40 + 1, "y": np.arange(n) // 40 + 1}
    )
    tied = crowded.iloc[: MAX_POINTS_PER_PAGE + 1].assign(image_id=pages[1])
    points = pd.concat([crowded.assign(score=scores), tied.assign(score=0.5)], ignore_index=True)
    out = tmp_path / "submission.csv"
    assert write_submission(points, pages, out, known, images) == 2 * MAX_POINTS_PER_PAGE
    assert capsys.readouterr().err == (
        f"warning: {out}: kept the 1200 highest-scored points of each page over the limit, "
        "dropped 6 points on 2 pages\n"
    )
    expected = pd.concat([crowded.drop(index=low), tied.iloc[:-1]])  # ties: the earlier points stay
    write_submission(expected, pages, tmp_path / "expected.csv", known, images)
    assert out.read_bytes() == (tmp_path / "expected.csv").read_bytes()
