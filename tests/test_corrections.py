"""The viewer's exported corrections become a Kaggle-layout book; bad input: one line, file and row."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from data.annotations import load_train
from data.corrections import main as corrections_main
from data.infra.errors import DataError


def pages(root: Path) -> Path:
    """bk-001.jpg (80 x 60) and bk-002.png (50 x 40)."""
    root.mkdir()
    cv2.imwrite(str(root / "bk-001.jpg"), np.full((60, 80, 3), 230, np.uint8))
    cv2.imwrite(str(root / "bk-002.png"), np.full((40, 50, 3), 200, np.uint8))
    return root


def exported(path: Path, *rows: str) -> Path:
    path.write_text("image_id,labels\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def test_a_book_from_corrections(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    images = pages(tmp_path / "pages")
    csv = exported(tmp_path / "train.csv", "bk-002,U+304B 1 2 10 20 U+3042 30 0 20 40", "bk-001,")
    book = tmp_path / "book"
    assert corrections_main(["--csv", str(csv), "--images", str(images), "--out", str(book)]) == 0
    assert capsys.readouterr().out == (
        f"wrote {book}: 2 pages, 2 boxes, 2 codes; "
        f"train on it with `make submission DATA={book} EXTRA=default`\n"
    )
    assert (
        book / "train.csv"
    ).read_text() == "image_id,labels\nbk-002,U+304B 1 2 10 20 U+3042 30 0 20 40\nbk-001,\n"
    assert (book / "unicode_translation.csv").read_text(
        encoding="utf-8"
    ) == "Unicode,char\nU+3042,あ\nU+304B,か\n"
    assert sorted(p.name for p in (book / "train_images").iterdir()) == ["bk-001.jpg", "bk-002.jpg"]
    assert (book / "train_images" / "bk-001.jpg").read_bytes() == (images / "bk-001.jpg").read_bytes()
    assert cv2.imread(str(book / "train_images" / "bk-002.jpg")).shape == (40, 50, 3)
    annotations = load_train(book)
    assert annotations.image_ids == ["bk-002", "bk-001"] and len(annotations.boxes) == 2
    assert not (tmp_path / "book.partial").exists()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("bk-009,U+3042 1 1 5 5", "line 3: page 'bk-009' has no image among the pages given"),
        (
            "bk-002,U+3042 1 1 5 5 U+304B 40 30 11 5",
            "line 3: box 2 of page bk-002 (U+304B 40 30 11 5) is off the 50x40 page",
        ),
        ("bk-002,U+3042 -1 1 5 5", "line 3: box 1 of page bk-002 (U+3042 -1 1 5 5) is off the 50x40 page"),
        ("bk-002,U+3042 1 1 0 5", "line 3: box 1 of page bk-002 (U+3042 1 1 0 5) is off the 50x40 page"),
        ("bk-002,あ 1 1 5 5", "line 3: malformed unicode 'あ' in labels"),
        ("bk-002,u+3042 1 1 5 5", "line 3: malformed unicode 'u+3042' in labels"),
        ("bk-001,", "line 3: duplicate image_id 'bk-001' (first on line 2)"),
    ],
)
def test_bad_corrections_name_the_file_and_row(tmp_path: Path, row: str, problem: str) -> None:
    images = pages(tmp_path / "pages")
    csv = exported(tmp_path / "train.csv", "bk-001,U+3042 0 0 80 60", row)
    book = tmp_path / "book"
    with pytest.raises(DataError) as caught:
        corrections_main(["--csv", str(csv), "--images", str(images), "--out", str(book)])
    assert str(caught.value) == f"{csv}, {problem}"
    assert not book.exists()


def test_a_page_in_two_exports_is_refused(tmp_path: Path) -> None:
    images = pages(tmp_path / "pages")
    first = exported(tmp_path / "a.csv", "bk-001,")
    second = exported(tmp_path / "b.csv", "bk-002,", "bk-001,U+3042 0 0 1 1")
    with pytest.raises(DataError, match=rf"^{second}, line 3: page 'bk-001' is also in {first}$"):
        corrections_main(
            ["--csv", str(first), str(second), "--images", str(images), "--out", str(tmp_path / "o")]
        )
