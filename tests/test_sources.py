"""Several Kaggle-layout folders in one run: the union folder, its split, weights and rare-class renders."""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from data.balance import prior_draw, prior_weights
from data.crops import CropSet, make_crops
from data.infra.errors import DataError
from data.sources import combine, page_sources, parse_source, read_sources, source_names
from data.split import book_of, make_split
from data.synth.renders import rare_classes, render_crops
from recognize.dataset import prepare

REAL = {  # image_id → labels: three books, one page without characters
    "100241706_00005_1": "U+306B 10 10 20 20 U+306E 40 10 20 20",
    "100241706_00005_2": "U+306B 10 10 20 20",
    "brsk001-009": "U+4E00 10 40 20 20",
    "hnsd001-011": "",
}
EXTRA = {"100241706_00005_1": "U+306B 5 5 10 10", "bk2-001": "U+30A2 5 5 10 10 U+306B 20 5 10 10"}


def kaggle_folder(root: Path, pages: dict[str, str], codes: dict[str, str], test: bool = False) -> Path:
    """A Kaggle-layout folder of 80 x 60 pages with dark boxes where the labels say."""
    (root / "train_images").mkdir(parents=True)
    for image_id, labels in pages.items():
        page = np.full((60, 80, 3), 230, np.uint8)
        tokens = labels.split()
        for k in range(0, len(tokens), 5):
            x, y, w, h = map(int, tokens[k + 1 : k + 5])
            page[y + 3 : y + h - 3, x + 3 : x + w - 3] = 20
        cv2.imwrite(str(root / "train_images" / f"{image_id}.jpg"), page)
    rows = "".join(f"{i},{labels}\n" for i, labels in pages.items())
    (root / "train.csv").write_text("image_id,labels\n" + rows)
    (root / "unicode_translation.csv").write_text(
        "Unicode,char\n" + "".join(f"{c},{ch}\n" for c, ch in codes.items())
    )
    if test:
        (root / "test_images").mkdir()
        (root / "sample_submission.csv").write_text("image_id,labels\nt1,\n")
    return root


@pytest.fixture()
def union(tmp_path: Path) -> Path:
    real = kaggle_folder(tmp_path / "real", REAL, {"U+306B": "に", "U+306E": "の", "U+4E00": "一"}, test=True)
    extra = kaggle_folder(tmp_path / "gen-set", EXTRA, {"U+306B": "に", "U+30A2": "ア"})
    combine([(real, 10.0), (extra, 1.0)], tmp_path / "work" / "union")
    return tmp_path / "work" / "union"


def test_union_prefixes_extra_ids_links_images_and_keeps_tests_of_the_first(union: Path) -> None:
    lines = (union / "train.csv").read_text().splitlines()
    assert lines == [
        "image_id,labels",
        *[f"{i},{labels}" for i, labels in REAL.items()],
        "gen.set~100241706_00005_1,U+306B 5 5 10 10",  # the same id in another source never collides
        "gen.set~bk2-001,U+30A2 5 5 10 10 U+306B 20 5 10 10",
    ]
    assert (union / "unicode_translation.csv").read_text() == (
        "Unicode,char\nU+306B,に\nU+306E,の\nU+4E00,一\nU+30A2,ア\n"
    )
    link = union / "train_images" / "gen.set~bk2-001.jpg"
    assert os.readlink(link) == "../../../gen-set/train_images/bk2-001.jpg"  # relative: nothing copied
    assert link.resolve() == (union.parents[1] / "gen-set" / "train_images" / "bk2-001.jpg")
    assert len(list((union / "train_images").iterdir())) == 6
    assert (union / "sample_submission.csv").read_text() == "image_id,labels\nt1,\n"
    assert os.readlink(union / "test_images") == "../../real/test_images"
    assert json.loads((union / "sources.json").read_text()) == {
        "sources": [
            {"name": "real", "path": "../../real", "weight": 10.0, "pages": 4},
            {"name": "gen.set", "path": "../../gen-set", "weight": 1.0, "pages": 2},
        ]
    }
    assert book_of("gen.set~100241706_00005_1") == "gen.set~100241706"  # its own book, not the real one
    assert source_names(union) == ["real", "gen.set"]
    assert page_sources(union, ["brsk001-009", "gen.set~bk2-001"]) == {
        "brsk001-009": ("real", 10.0),
        "gen.set~bk2-001": ("gen.set", 1.0),
    }


def test_bad_sources_are_one_line_errors(tmp_path: Path) -> None:
    assert parse_source("a/b:2.5") == (Path("a/b"), 2.5) and parse_source("x:1/y") == (Path("x:1/y"), 1.0)
    with pytest.raises(DataError, match="weight 0 must be positive"):
        parse_source("a:0")
    with pytest.raises(DataError, match="'ten' is not a number"):
        parse_source("a:ten")
    with pytest.raises(DataError, match=r"train\.csv: file not found: a source must be"):
        combine([(tmp_path / "nowhere", 1.0)], tmp_path / "union")
    bad = kaggle_folder(tmp_path / "bad", {"a~b-001": ""}, {})
    with pytest.raises(DataError, match=r"line 2: image_id 'a~b-001' holds '~'"):
        combine([(bad, 1.0)], tmp_path / "union")
    assert not (tmp_path / "union").exists()


def test_split_holds_out_and_validates_on_the_first_source_only(union: Path) -> None:
    split = make_split(union, detector_valid=0.34, holdout_books=["brsk001"])
    extra = ["gen.set~100241706_00005_1", "gen.set~bk2-001"]
    assert split["holdout"] == ["brsk001-009"]
    assert split["fit"] == ["100241706_00005_1", "100241706_00005_2", "hnsd001-011", *extra]
    assert split["detector_valid"] == ["hnsd001-011"]  # the smallest real book left
    assert split["detector_train"] == ["100241706_00005_1", "100241706_00005_2", *extra]
    drawn = make_split(union, holdout=0.3, seed=0)
    assert drawn["holdout"] and all("~" not in i for i in drawn["holdout"] + drawn["detector_valid"])
    with pytest.raises(DataError, match=r"no pages of book gen\.set~bk2 to hold out"):
        make_split(union, holdout_books=["gen.set~bk2"])


def test_too_few_real_pages_left_validate_the_detector_on_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    real = kaggle_folder(tmp_path / "real", {"aa-001": "U+306B 1 1 9 9", "bb-001": ""}, {"U+306B": "に"})
    extra = kaggle_folder(tmp_path / "ex", {"cc-001": "", "dd-001": "", "ee-001": ""}, {})
    combine([(real, 3.0), (extra, 1.0)], tmp_path / "union")
    split = make_split(tmp_path / "union", holdout_books=["bb"], detector_valid=0.34)
    assert split["holdout"] == ["bb-001"] and len(split["detector_valid"]) == 1
    assert split["detector_valid"][0].startswith("ex~")
    assert "aa-001" in split["detector_train"]
    assert capsys.readouterr().err.endswith(
        "warning: detector-validation split: 1 page of the first source left to fit, "
        "so the detector validates on 1 page of the other sources\n"
    )


def test_a_sources_weight_is_a_sampling_weight_within_its_class() -> None:
    labels = np.array([0, 0, 1, 1, 1, 1, 1, 1])
    weights = np.array([3.0, 1.0, 1.0, 1, 1, 1, 1, 1])
    assert prior_weights(labels, 0.0, weights).tolist() == pytest.approx([0.3] + [0.1] * 7)  # 3 of 10 shares
    assert prior_weights(labels, 1.0, weights).tolist() == pytest.approx(
        [0.375, 0.125] + [1 / 12] * 6
    )  # classes alike
    for same in (None, np.ones(8)):  # weights of 1 draw exactly what no weights draw
        weighted = prior_draw(labels, 0.5, 8, np.random.default_rng(5), same)
        plain = prior_draw(labels, 0.5, 8, np.random.default_rng(5))
        assert all(np.array_equal(a, b) for a, b in zip(weighted, plain, strict=True))
    positions, is_copy = prior_draw(labels, 0.0, 8000, np.random.default_rng(1), weights)
    assert abs(np.mean(positions == 0) - 0.3) < 0.02
    first = np.unique(positions, return_index=True)[1]
    assert not is_copy[first].any() and is_copy.sum() == 8000 - 8  # every later draw is a copy


def test_crops_carry_source_and_weight_and_only_real_crops_validate(union: Path, tmp_path: Path) -> None:
    crops = make_crops(union)
    assert crops.unicodes.tolist() == ["U+306B", "U+306E", "U+306B", "U+4E00", "U+306B", "U+30A2", "U+306B"]
    assert crops.sources.tolist() == ["real"] * 4 + ["gen.set"] * 3
    assert crops.weights.tolist() == [10.0] * 4 + [1.0] * 3
    assert crops.source_weights() == {"real": 10.0, "gen.set": 1.0}
    crops.save(tmp_path / "crops.npz")
    again = CropSet.load(tmp_path / "crops.npz")
    assert again.real.tolist() == [True] * 4 + [False] * 3
    assert again.source_names.tolist() == ["real", "gen.set"]
    old = tmp_path / "old.npz"  # a cache written before sources existed: one source of weight 1
    np.savez(old, images=crops.images, unicodes=crops.unicodes, pages=crops.pages, samples=crops.samples)
    assert CropSet.load(old).source_weights() == {"data": 1.0} and CropSet.load(old).real.all()

    prep = prepare(again, "sample", 0.5, 1.0, 0, torch.device("cpu"))
    (valid,) = prep.valid.tolist()
    assert valid in (0, 2)  # one of に's two real samples; の and 一 have one each, so they train
    assert prep.train.tolist() == sorted({0, 1, 2, 3, 4, 5, 6} - {valid})  # the others always train
    assert prep.weights[prep.train].tolist() == [10, 10, 10, 1, 1, 1]


def test_rare_classes_get_renders_cut_like_real_crops() -> None:
    assert rare_classes(np.array(["U+306B"] * 3 + ["U+306E"]), 3) == ["U+306E"]
    crops, missing = render_crops(["U+4E00", "U+5C71", "U+E000"], 4, weight=2.0, seed=1)
    assert missing == 1  # a private-use code no face draws
    assert crops.unicodes.tolist() == ["U+4E00"] * 4 + ["U+5C71"] * 4
    assert crops.images.shape == (8, 32, 32) and crops.sources.tolist() == ["renders"] * 8
    assert crops.weights.tolist() == [2.0] * 8
    ink = (crops.images > 127).reshape(8, -1).mean(axis=1)
    assert (ink > 0.02).all() and (ink < 0.6).all()  # written strokes, not blank or solid squares
    assert len({c.tobytes() for c in crops.images}) == 8  # every render differs
    again, _ = render_crops(["U+4E00", "U+5C71", "U+E000"], 4, weight=2.0, seed=1)
    assert np.array_equal(again.images, crops.images)  # seeded


def test_read_sources_of_a_plain_folder_is_none(tmp_path: Path) -> None:
    assert read_sources(tmp_path) is None and source_names(tmp_path) == ["data"]
    (tmp_path / "sources.json").write_text("{}")
    with pytest.raises(DataError, match="not a sources file"):
        read_sources(tmp_path)


def test_crops_of_the_real_source_only_with_renders_of_its_rare_classes(union: Path, tmp_path: Path) -> None:
    from data.synth.renders import with_renders

    with_renders(make_crops(union, real_only=True), rare_below=2, per_class=20).save(tmp_path / "c.npz")
    crops = CropSet.load(tmp_path / "c.npz")
    real = crops.sources == "real"
    assert crops.unicodes[real].tolist() == ["U+306B", "U+306E", "U+306B", "U+4E00"]  # no gen.set crop
    renders = crops.sources == "renders"
    assert crops.unicodes[renders].tolist() == ["U+306E"] * 20 + ["U+4E00"] * 20  # one real crop each
    assert (
        crops.source_names.tolist() == ["real", "gen.set", "renders"] and crops.real.tolist() == real.tolist()
    )
    assert len(set(crops.samples.tolist())) == len(crops)  # renders get their own sample ids
