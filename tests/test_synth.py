import hashlib
import itertools
import multiprocessing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from data.annotations import read_annotations
from data.fonts import brush_faces, coverage, glyph_faces, label_font, printed_faces
from data.formats import read_sample_submission, read_translation
from data.infra.io import read_image
from data.synth import generate as synth
from data.synth.classes import HENTAIGANA, REPEAT_MARK, inventory, real_counts
from data.synth.generate import generate
from data.synth.glyphs import ink_box
from data.synth.plan import PRESETS, pages_of, plan


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
    assert len(train.image_ids) == len(list((tiny_data / "train_images").glob("*.jpg"))) == 6
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


def test_an_interrupted_run_resumes_from_the_pages_it_finished(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = synth.render
    finished = multiprocessing.get_context("fork").Value("i", 0)

    def dies_after_four(*args: object) -> tuple:
        with finished.get_lock():
            finished.value += 1
            if finished.value > 4:
                raise RuntimeError("interrupted")
        return render(*args)

    monkeypatch.setattr(synth, "render", dies_after_four)  # the forked workers see the patched one
    with pytest.raises(RuntimeError, match="interrupted"):
        generate(tmp_path / "tiny", preset="tiny", seed=0, workers=1)
    done = sorted((tmp_path / "tiny.partial").rglob("*.json"))
    assert len(done) == 1 + 4  # plan.json and four finished pages
    marked = done[-1].with_suffix(".jpg")
    marked.write_bytes(marked.read_bytes() + b"resumed")  # proves the page is kept, not drawn again
    monkeypatch.setattr(synth, "render", render)
    out = generate(tmp_path / "tiny", preset="tiny", seed=0, workers=1)
    fresh, resumed = digest(tiny_data), digest(out)
    name = str(marked.relative_to(tmp_path / "tiny.partial"))
    assert (out / name).read_bytes().endswith(b"resumed")
    assert {k: v for k, v in resumed.items() if k != name} == {k: v for k, v in fresh.items() if k != name}


def test_pages_option_generates_that_many_train_pages(tmp_path: Path) -> None:
    out = generate(tmp_path / "two", preset="tiny", seed=0, workers=1, pages=2)
    assert len(read_annotations(out / "train.csv").image_ids) == 2
    assert len(read_sample_submission(out / "sample_submission.csv")) == 1


def test_full_preset_has_the_competition_size(tmp_path: Path) -> None:
    train, test = plan(PRESETS["full"], 0, 6, tmp_path)
    assert (len(train), len(test)) == (3881, 4150)
    assert len({j.style.book for j in train}) == 28
    assert len({j.image_id for j in train + test}) == 3881 + 4150
    sizes = np.array([sum(j.style.book == b for j in train) for b in {j.style.book for j in train}])
    assert sizes.min() < 40 and sizes.max() > 300  # as uneven as the real books
    for n in range(1, 60):  # --pages N plans exactly N train pages, however few
        config = pages_of(PRESETS["full"], n)
        assert len(plan(config, 0, 6, tmp_path)[0]) == n and config.test_pages == max(
            1, round(n * 4150 / 3881)
        )


def test_pages_are_photographs_of_real_size_with_ink_in_every_box(tmp_path: Path) -> None:
    out = generate(tmp_path / "one", preset="default", seed=3, workers=1, pages=1)
    train = read_annotations(out / "train.csv")
    page = read_image(out / "train_images" / f"{train.image_ids[0]}.jpg", gray=True)
    assert 2700 <= page.shape[0] <= 4100
    assert page[:20].mean() < 100  # the dark background the page was photographed on
    paper = np.median(page)
    assert paper > 150
    for box in train.boxes.itertuples():
        assert page[box.y : box.y + box.h, box.x : box.x + box.w].min() < paper - 80
    heights = train.boxes.h.to_numpy()
    assert 40 < np.median(heights) < 200  # the real pages' 5th-95th percentile band (45-200 px)


def test_real_long_tail_profile() -> None:
    counts = real_counts()
    total = counts.sum()
    assert round(counts[:100].sum() / total, 3) == 0.705  # 70.8% in the competition
    assert round(counts[:1000].sum() / total, 3) == 0.954  # 95.6%
    assert round(float(np.median(counts))) == 9
    assert int((np.round(counts) == 1).sum()) == 790  # classes seen once
    assert round(counts[0]) == 24685


def test_inventory_ranks_hiragana_first_and_marks_where_real_books_have_them() -> None:
    kanji = "".join(map(chr, range(0x4E00, 0x5200)))
    drawable = frozenset("にのしてとをはりるかたならくもいふつう" + "々ゝ" + kanji)
    classes = inventory(drawable, 400, np.random.default_rng(0))
    assert classes.chars[:3] == ["に", "の", "し"]
    assert classes.chars[40] == "々" and classes.chars[60] == "ゝ" and classes.chars[90] == REPEAT_MARK
    assert len(set(classes.chars)) == 400 and set(classes.chars) - {REPEAT_MARK} <= drawable
    assert abs(classes.probs.sum() - 1) < 1e-9 and np.all(np.diff(classes.probs) <= 0)


def test_hentaigana_are_drawn_from_their_source_kanji_under_the_kana_label() -> None:
    faces = tuple(brush_faces())
    if not any(f.cursive for f in faces):
        pytest.skip("brush fonts not unpacked (make fonts)")
    classes = inventory(synth.drawable(faces), 100, np.random.default_rng(0))
    writer = synth.writer_for(faces, classes)
    asked: list[tuple[int, str]] = []
    mask = writer.bank.mask
    writer.bank.mask = lambda face, char: asked.append((face, char)) or mask(face, char)  # type: ignore[method-assign]
    train, _ = plan(PRESETS["tiny"], 0, len(faces), Path("unused"))
    style = train[0].style
    k = classes.chars.index("の")
    writer.glyph(replace(style, hentaigana=1.0), k, 40, np.random.default_rng(0))
    writer.glyph(replace(style, hentaigana=0.0), k, 40, np.random.default_rng(0))
    (face, source), (_, plain) = asked
    assert source in HENTAIGANA["の"] and faces[face].cursive and plain == "の"


def test_repetition_mark_is_tall_and_thin() -> None:
    faces = glyph_faces()
    classes = inventory(synth.drawable(faces), 100, np.random.default_rng(0))
    writer = synth.writer_for(faces, classes)
    style = plan(PRESETS["tiny"], 0, len(faces), Path("unused"))[0][0].style
    _, _, w, h = ink_box(writer.glyph(style, classes.chars.index(REPEAT_MARK), 60, np.random.default_rng(0)))
    assert h > 2.2 * w and h > 80


def test_brush_faces_count_only_drawn_glyphs() -> None:
    faces = {f.path.stem: f for f in brush_faces()}
    if "AoyagiKouzanT" not in faces:
        pytest.skip("brush fonts not unpacked (make fonts)")
    drawn = coverage(faces["AoyagiKouzanT"].path)
    assert sum(0x4E00 <= c < 0xA000 for c in drawn) == 2965  # its cmap lists 12,204 kanji
    assert ord("尓") not in drawn


def test_without_brush_fonts_the_printed_faces_are_used(tmp_path: Path) -> None:
    assert brush_faces(tmp_path) == []
    for face in printed_faces():
        assert "site-packages" in str(face.path) and face.path.stat().st_size > 1_000_000
    assert "site-packages" in str(label_font())


def test_table_pages_are_ruled_rows_of_short_columns() -> None:
    from data.synth.layout import bands

    style = replace(plan(PRESETS["tiny"], 0, 6, Path("unused"))[0][0].style, table=True)
    canvas = np.zeros((1000, 600), np.float32)
    rows = bands(style, canvas, (50, 100, 550, 900), 40.0, np.random.default_rng(3))
    tops = [r[1] for r in rows]
    assert len(rows) >= 2 and rows[0][1] == 106 and rows[-1][3] == 900  # 0.15 em below each rule
    assert all(b - a > 120 for a, b in itertools.pairwise([100, *tops[1:], 900]))  # rows taller than 3 em
    assert all(canvas[t - 6, 300] > 0.5 for t in tops[1:])  # a rule above every row but the first
    plain = replace(style, table=False)
    assert bands(plain, canvas, (50, 100, 550, 900), 40.0, np.random.default_rng(3)) == [(50, 100, 550, 900)]
