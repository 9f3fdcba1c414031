import hashlib
from pathlib import Path

import numpy as np

from data.fonts import glyph_fonts, label_font
from data.formats import read_annotations, read_sample_submission, read_translation
from data.io import read_image
from data.synth import generate


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "synth.json"
    }


def test_kaggle_layout_and_valid_labels(tiny_data: Path) -> None:
    for name in ["train.csv", "unicode_translation.csv", "sample_submission.csv", "test_answers.csv"]:
        assert (tiny_data / name).is_file()
    table = read_translation(tiny_data / "unicode_translation.csv")
    train = read_annotations(tiny_data / "train.csv", table, tiny_data / "train_images")
    answers = read_annotations(tiny_data / "test_answers.csv", table, tiny_data / "test_images")
    assert len(train.image_ids) == len(list((tiny_data / "train_images").glob("*.jpg")))
    assert read_sample_submission(tiny_data / "sample_submission.csv") == sorted(answers.image_ids)
    assert len(train.boxes) > 100
    books = {i.replace("-", "_").split("_")[0] for i in train.image_ids}
    assert len(books) == 3


def test_same_seed_same_bytes_other_seed_other_pages(tiny_data: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", preset="tiny", seed=0, workers=1)
    assert digest(again) == digest(tiny_data)
    other = generate(tmp_path / "other", preset="tiny", seed=1, workers=2)
    assert digest(other) != digest(tiny_data)
    assert not (tmp_path / "again.partial").exists()


def test_pages_look_like_paper_with_ink(tiny_data: Path) -> None:
    train = read_annotations(tiny_data / "train.csv")
    page_id = train.boxes["image_id"].iloc[0]
    page = read_image(tiny_data / "train_images" / f"{page_id}.jpg")
    assert page.ndim == 3 and page.shape[2] == 3
    paper = np.median(page.reshape(-1, 3), axis=0)
    assert paper[2] > paper[0] + 15 and paper.mean() > 150  # cream: more red than blue, and light
    box = train.boxes.iloc[0]
    ink = page[box.y : box.y + box.h, box.x : box.x + box.w].min()
    assert ink < paper.mean() - 80  # a labelled character has dark ink in its box


def test_frequencies_have_a_long_tail() -> None:
    from data.synth import class_inventory

    chars, probs = class_inventory(1000, 1.6, glyph_fonts(), np.random.default_rng(0))
    assert len(set(chars)) == 1000
    assert "\u3041" <= chars[0] <= "\u3096"  # the most frequent class is a hiragana
    expected = probs * 95_000  # about as many characters as the default preset writes
    assert (expected <= 2).sum() > 150
    assert probs[0] < 0.1


def test_fonts_come_from_installed_packages() -> None:
    for path in [*glyph_fonts(), label_font()]:
        assert "site-packages" in str(path) and path.stat().st_size > 1_000_000
