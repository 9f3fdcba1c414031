import subprocess
import sys
from pathlib import Path

import pytest

from data.annotations import Quirks, read_annotations, write_annotations
from data.formats import read_points, read_sample_submission, read_translation, write_rows, write_translation
from data.infra.errors import DataError
from data.infra.io import image_size


def test_round_trip_is_byte_identical(tiny_data: Path, tmp_path: Path) -> None:
    table = read_translation(tiny_data / "unicode_translation.csv")
    annotations = read_annotations(tiny_data / "train.csv", table, tiny_data / "train_images")
    write_annotations(annotations, tmp_path / "train.csv")
    write_translation(table, tmp_path / "unicode_translation.csv")
    ids = read_sample_submission(tiny_data / "sample_submission.csv")
    _, points = read_points(tiny_data / "sample_submission.csv")
    labels = {
        i: " ".join(f"{r.unicode} {r.x} {r.y}" for r in points[points.image_id == i].itertuples())
        for i in ids
    }
    write_rows(tmp_path / "sample_submission.csv", ["image_id", "labels"], [(i, labels[i]) for i in ids])
    for name in ["train.csv", "unicode_translation.csv", "sample_submission.csv"]:
        assert (tmp_path / name).read_bytes() == (tiny_data / name).read_bytes(), name


def test_round_trip_keeps_empty_pages_and_quoted_characters(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_bytes(b"image_id,labels\nbk1-001,\nbk1-002,U+306B 1 2 3 4 U+306E 5 6 7 8\n")
    annotations = read_annotations(train)
    assert annotations.image_ids == ["bk1-001", "bk1-002"]
    assert annotations.boxes[["x", "y", "w", "h"]].to_numpy().tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    write_annotations(annotations, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == train.read_bytes()

    table = tmp_path / "unicode_translation.csv"
    table.write_bytes('Unicode,char\nU+0022,""""\nU+002C,","\nU+306B,に\n'.encode())
    assert read_translation(table) == {"U+0022": '"', "U+002C": ",", "U+306B": "に"}
    write_translation(read_translation(table), tmp_path / "t2.csv")
    assert (tmp_path / "t2.csv").read_bytes() == table.read_bytes()


BAD_TRAIN = {
    "odd token count": ("bk1-001,U+306B 1 2 3\n", "4 tokens"),
    "non-integer coordinate": ("bk1-001,U+306B 1 2.5 3 4\n", "non-integer coordinate '2.5'"),
    "malformed unicode": ("bk1-001,306B 1 2 3 4\n", "malformed unicode '306B'"),
    "duplicate image_id": ("bk1-001,\nbk1-001,\n", "duplicate image_id 'bk1-001'"),
    "extra field": ("bk1-001,U+306B 1 2 3 4,oops\n", "expected 2 fields, found 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRAIN))
def test_malformed_train_rows_name_file_line_and_problem(case: str, tmp_path: Path) -> None:
    body, problem = BAD_TRAIN[case]
    path = tmp_path / "train.csv"
    path.write_text("image_id,labels\n" + body)
    with pytest.raises(DataError) as error:
        read_annotations(path, known={"U+306B"})
    message = str(error.value)
    assert message.startswith(f"{path}, line ")
    assert problem in message
    assert "\n" not in message


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("image_id,label\nbk1-001,\n")
    with pytest.raises(DataError, match="missing column 'labels'"):
        read_annotations(path)


def test_quirks_are_tolerated_and_counted_without_images(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(
        "image_id,labels\n"
        "bk1-001,U+9999 1 2 3 4 U+306B -1 2 3 4 U+306B 1 2 0 4 U+306B 1 2 3 4 U+306B 1 2 3 4\n"
        "bk1-002,\n"
    )
    annotations = read_annotations(path, known={"U+306B"})
    assert annotations.image_ids == ["bk1-001", "bk1-002"]
    assert annotations.boxes[["unicode", "x", "y", "w", "h"]].to_numpy().tolist() == [
        ["U+9999", 1, 2, 3, 4],
        ["U+306B", 0, 2, 2, 4],
        ["U+306B", 1, 2, 3, 4],
    ]
    assert annotations.quirks == Quirks(
        clipped=1, dropped=1, duplicates=1, unknown=1, unknown_codes=1, empty_pages=1
    )


def test_box_outside_page_is_clipped_and_unreadable_image_is_fatal(tiny_data: Path, tmp_path: Path) -> None:
    images = tmp_path / "train_images"
    images.mkdir()
    page = next((tiny_data / "train_images").glob("*.jpg"))
    (images / "p1.jpg").write_bytes(page.read_bytes())
    (images / "broken.jpg").write_bytes(b"not a jpeg at all")
    width, height = image_size(page)
    path = tmp_path / "train.csv"
    path.write_text(f"image_id,labels\np1,U+306B 10 10 5000 5 U+306B 10 {height} 5 5\n")
    annotations = read_annotations(path, image_dir=images)
    assert annotations.boxes[["x", "y", "w", "h"]].to_numpy().tolist() == [[10, 10, width - 10, 5]]
    assert annotations.quirks == Quirks(clipped=1, dropped=1)
    path.write_text("image_id,labels\np1,\nbroken,\n")
    with pytest.raises(DataError, match=r"line 3: page image .*broken\.jpg: unreadable or corrupt image"):
        read_annotations(path, image_dir=images)
    path.write_text("image_id,labels\nabsent,\n")
    with pytest.raises(DataError, match=r"line 2: page image .*absent\.jpg: image file not found"):
        read_annotations(path, image_dir=images)


def test_command_line_prints_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "train.csv"
    bad.write_text("image_id,labels\nbk1-001,U+306B 1 2 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "submit.metric", "--truth", str(bad), "--submission", str(bad)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"error: {bad}, line 2: 4 tokens")
