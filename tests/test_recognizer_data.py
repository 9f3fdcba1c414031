import numpy as np
import pytest

from data.balance import prior_draw
from data.crops import SIZE, crop_page, preprocess
from data.infra.errors import DataError
from data.split import book_of, split_books
from recognize.dataset import split_crops


def tempting_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Many rare classes (1-3 samples) and a few frequent ones: oversample-then-split leaks here."""
    rng = np.random.default_rng(seed)
    counts = [1] * 40 + [2] * 30 + [3] * 20 + [400] * 3
    unicodes = np.concatenate([[f"U+{0x4E00 + k:04X}"] * n for k, n in enumerate(counts)])
    pages = np.array([f"bk{rng.integers(0, 5)}-{rng.integers(0, 20):03d}" for _ in unicodes])
    return unicodes, pages


def naive_split(unicodes: np.ndarray, cap: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The leaky way: balance first (every class alike), then split the balanced set at random."""
    labels = np.unique(unicodes, return_inverse=True)[1]
    positions, _ = prior_draw(labels, 1.0, cap * (labels.max() + 1), rng)
    cut = int(0.7 * len(positions))
    return positions[:cut], positions[cut:]


@pytest.mark.parametrize("group", ["sample", "page", "book"])
def test_validation_never_holds_a_training_sample(group: str) -> None:
    unicodes, pages = tempting_data()
    samples = np.arange(len(unicodes))
    groups = {"sample": samples.astype(str), "page": pages, "book": np.array([book_of(p) for p in pages])}[
        group
    ]
    train, valid = split_crops(unicodes, groups, 0.3, group == "sample", seed=3)
    assert len(valid) > 100 and len(np.intersect1d(train, valid)) == 0
    assert set(unicodes[valid]) <= set(unicodes[train])  # every validation class is trained
    singles = [u for u, n in zip(*np.unique(unicodes, return_counts=True), strict=True) if n == 1]
    assert not set(singles) & set(unicodes[valid])  # single-sample classes are train-only
    labels = np.unique(unicodes[train], return_inverse=True)[1]
    positions, is_copy = prior_draw(labels, 1.0, len(labels), np.random.default_rng(0))
    assert is_copy.any()
    assert not set(samples[train][positions]) & set(samples[valid])  # copies come from training only
    if group != "sample":  # a validation page lends samples to training only for otherwise untrained classes
        lent = train[np.isin(groups[train], groups[valid])]
        kept = train[~np.isin(groups[train], groups[valid])]
        assert not set(unicodes[lent]) & set(unicodes[kept])


def test_the_naive_split_would_leak_on_this_data() -> None:
    unicodes, _ = tempting_data()
    train, valid = naive_split(unicodes, 50, np.random.default_rng(0))
    assert set(train) & set(valid)  # the test data does tempt the leak


def test_split_by_sample_takes_the_fraction_of_every_class() -> None:
    unicodes = np.repeat([f"U+{0x3042 + k:04X}" for k in range(20)], 100)
    _, valid = split_crops(unicodes, np.arange(len(unicodes)).astype(str), 0.3, True, seed=0)
    assert np.unique(unicodes[valid], return_counts=True)[1].tolist() == [30] * 20  # 0.3 x 100 each


def test_the_prior_draws_classes_alike_at_one_and_marks_repeats_as_copies() -> None:
    labels = np.array([0] * 1000 + [1] * 10 + [2] * 1)
    positions, is_copy = prior_draw(labels, 1.0, 3000, np.random.default_rng(0))
    counts = np.bincount(labels[positions])
    assert counts.sum() == 3000 and all(abs(c - 1000) < 100 for c in counts)
    assert set(positions[labels[positions] == 2].tolist()) == {1010}  # the one sample, drawn again and again
    assert is_copy[labels[positions] == 2].sum() == counts[2] - 1
    first = np.unique(positions, return_index=True)[1]
    assert not is_copy[first].any() and is_copy.sum() == 3000 - len(first)


def test_split_books_holds_out_whole_books() -> None:
    ids = [f"{b}_{p:05d}_1" for b in ("100", "200", "300", "400") for p in range(10)] + ["abcd001-001"]
    keep, out = split_books(ids, 0.25, seed=0)
    assert sorted(keep + out) == sorted(ids)
    assert {book_of(i) for i in keep}.isdisjoint({book_of(i) for i in out})
    assert out == [f"300_{p:05d}_1" for p in range(10)]  # seed 0: one 10-page book of the 10.25 pages asked
    assert book_of("umgy001-007") == "umgy001" and book_of("100241706_00004_2") == "100241706"


# Pages per book of a Kaggle-sized train set: 3,881 pages over 28 books, from 10 pages to 685.
BOOK_SIZES = [10, 10, 12, 14, 17, 20, 24, 29, 35, 42, 50, 60, 72, 86, 100]
BOOK_SIZES += [115, 130, 145, 160, 175, 190, 210, 230, 250, 280, 320, 410, 685]


@pytest.mark.parametrize("seed", range(21))
def test_split_books_holds_out_about_the_requested_share(seed: int) -> None:
    ids = [f"{200000000 + b}_{p:05d}_1" for b, n in enumerate(BOOK_SIZES) for p in range(n)]
    assert len(BOOK_SIZES) == 28 and len(ids) == 3881
    fit, holdout = split_books(ids, 0.15, seed)
    train, valid = split_books(fit, 0.1, seed + 1)
    assert abs(len(holdout) / len(ids) - 0.15) <= 0.05
    assert abs(len(valid) / len(fit) - 0.1) <= 0.05
    for keep, out in [(fit, holdout), (train, valid)]:
        assert {book_of(i) for i in keep}.isdisjoint({book_of(i) for i in out})


def test_split_books_of_one_book_holds_out_a_block_with_a_warning(capsys: pytest.CaptureFixture) -> None:
    ids = [f"100241706_{p:05d}_1" for p in range(20)][::-1]
    keep, out = split_books(ids, 0.15, seed=0)
    assert len(out) == 3 and sorted(keep + out) == sorted(ids)
    at = [sorted(ids).index(i) for i in sorted(out)]
    assert at == list(range(at[0], at[0] + 3))  # a contiguous block
    assert keep == [i for i in ids if i not in out]  # the caller's order
    assert capsys.readouterr().err == (
        f"warning: held-out split: only one book (100241706), so it holds out {min(out)} to {max(out)}, "
        "3 of the 20 pages of book 100241706; scores on them will be optimistic because they share the "
        "book with the pages the models fit\n"
    )
    two = ["100241706_00001_1", "100241706_00002_1"]
    assert split_books(two, 0.1, seed=0, name="detector-validation")[1] in (two[:1], two[1:])
    assert "detector-validation split: only one book" in capsys.readouterr().err
    with pytest.raises(DataError, match="need at least 2 pages"):
        split_books(two[:1], 0.15, seed=0)


def test_split_books_of_two_books_stays_sensible(capsys: pytest.CaptureFixture) -> None:
    small_and_large = [f"aaa-{p:03d}" for p in range(3)] + [f"bbb-{p:03d}" for p in range(10)]
    assert split_books(small_and_large, 0.15, seed=0)[1] == small_and_large[:3]  # the small book, whole
    halves = [f"aaa-{p:03d}" for p in range(50)] + [f"bbb-{p:03d}" for p in range(50)]
    _, out = split_books(halves, 0.15, seed=0)
    assert len(out) == 15 and len({book_of(i) for i in out}) == 1  # not a whole book: 50 % is too much
    assert "no book small enough to hold out whole" in capsys.readouterr().err


def test_preprocess_binarizes_pads_and_resizes() -> None:
    region = np.full((40, 20), 220, np.uint8)
    region[5:35, 8:12] = 30  # a dark vertical stroke on light paper
    crop = preprocess(region)
    assert crop.shape == (SIZE, SIZE) and crop.dtype == np.uint8
    assert crop[16, 16] > 200 and crop[16, 2] == 0  # ink is white, padding black
    assert crop[:, :7].max() == 0 and crop[:, -7:].max() == 0  # padded left and right (tall crop)


def test_crop_page_clips_boxes_to_the_page() -> None:
    page = np.full((50, 50), 200, np.uint8)
    out = crop_page(page, np.array([[40, 40, 30, 30], [-5, -5, 10, 10]]))
    assert out.shape == (2, SIZE, SIZE)
