"""Which characters the generated books use, how often, and how scribes wrote kana.

Frequencies follow the competition's long tail (``../shared/competition-facts.md``): 4,212
classes in 683,464 characters, the commonest 24,685 times, the 100 commonest holding 70.8% and
the 1,000 commonest 95.6%, a median class seen 9 times and the last 790 once; hiragana are 62.7%
of all characters. ``REAL_PROFILE`` is a piecewise log-log curve through those figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REAL_CLASSES = 4212
HIRAGANA_SHARE = 0.627
# (rank, count) anchors fitted to the figures above; counts in between are log-log interpolated.
REAL_PROFILE = (
    (1, 24685),
    (10, 16743),
    (100, 971),
    (1000, 55.2),
    (2106, 9),
    (3422, 1.5),
    (3423, 1),
    (4212, 1),
)

# Hiragana from commonest to rarest in classical prose (voiced and p- sounds last).
HIRAGANA_ORDER = (
    "にのしてとをはりるかたならくもいふつうれひあきけすこませゆへほみめさおそちわえやよねぬろむんゐゑ"
    "がどぞじばだでぐげござずぜぢづびぶべぼぱぴぷぺぽ"
)
SMALL_KANA = frozenset("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ")
REPEAT_MARK = "\u3031"  # 〱, the tall kana repetition mark, drawn as a stroke over two characters
MARKS = {"\u3005": 40, "\u309d": 60, REPEAT_MARK: 90}  # 々 ゝ 〱 and their frequency ranks

# Hentaigana: the source kanji a kana was often written from; drawn cursive, labelled as the kana.
HENTAIGANA = {
    "あ": "安阿",
    "い": "以伊",
    "う": "宇有",
    "え": "衣江",
    "お": "於",
    "か": "加可閑",
    "き": "幾起支",
    "く": "久具",
    "け": "計介遣",
    "こ": "己古許",
    "さ": "左佐",
    "し": "之志新",
    "す": "寸須春",
    "せ": "世勢",
    "そ": "曽楚",
    "た": "太多堂",
    "ち": "知地",
    "つ": "川州",
    "て": "天而亭",
    "と": "止登",
    "な": "奈那",
    "に": "仁尓耳",
    "ぬ": "奴",
    "ね": "祢",
    "の": "乃能",
    "は": "波者八",
    "ひ": "比飛",
    "ふ": "不婦",
    "へ": "部遍",
    "ほ": "保本",
    "ま": "末万満",
    "み": "美三見",
    "む": "武無",
    "め": "女",
    "も": "毛茂",
    "や": "也屋",
    "ゆ": "由遊",
    "よ": "与余",
    "ら": "良羅",
    "り": "利里",
    "る": "留流",
    "れ": "礼連",
    "ろ": "呂",
    "わ": "和王",
    "を": "遠乎",
    "ん": "无",
}


def real_counts(n: int = REAL_CLASSES) -> np.ndarray:
    """Expected count of each of the ``n`` most frequent classes in the competition's train set."""
    ranks, counts = np.log(np.array(REAL_PROFILE, dtype=np.float64)).T
    return np.exp(np.interp(np.log(np.arange(1, n + 1)), ranks, counts))


def jis_level(char: str) -> int:
    """1 for JIS X 0208 level-1 kanji (the 2,965 common ones), 2 for level 2, 3 for the rest."""
    try:
        lead = char.encode("euc_jp")[0]
    except UnicodeEncodeError:
        return 3
    return 1 if 0xB0 <= lead <= 0xCF else 2 if 0xD0 <= lead <= 0xF4 else 3


@dataclass(frozen=True)
class Inventory:
    """The classes of a generated data set, most frequent first, with their probabilities."""

    chars: list[str]
    probs: np.ndarray

    @property
    def codes(self) -> list[str]:
        return [f"U+{ord(c):04X}" for c in self.chars]


def inventory(drawable: frozenset[str], n_classes: int, rng: np.random.Generator) -> Inventory:
    """Rank the drawable characters like the real data: hiragana and marks on top, kanji below.

    Hiragana take the top ranks in ``HIRAGANA_ORDER`` until they hold ``HIRAGANA_SHARE`` of the
    characters; the rest of them and a few katakana are spread among the kanji. Kanji follow JIS
    level (common first), shuffled within a level.
    """
    n_classes = min(n_classes, REAL_CLASSES)
    counts = real_counts(n_classes)
    probs = counts / counts.sum()
    hiragana = [c for c in HIRAGANA_ORDER if c in drawable]
    kanji = [chr(c) for c in range(0x4E00, 0xA000) if chr(c) in drawable]
    kanji = [
        str(c) for level in (1, 2, 3) for c in rng.permutation([k for k in kanji if jis_level(k) == level])
    ]
    katakana = [chr(c) for c in range(0x30A1, 0x30FB) if chr(c) in drawable and chr(c) not in SMALL_KANA]
    ranked: list[str | None] = [None] * n_classes
    for mark, rank in MARKS.items():
        if (mark in drawable or mark == REPEAT_MARK) and rank < n_classes:
            ranked[rank] = mark
    share, k = 0.0, 0
    for rank in range(n_classes):
        if k == len(hiragana) or share >= HIRAGANA_SHARE * 0.97:
            break
        if ranked[rank] is None:
            ranked[rank], share, k = hiragana[k], share + probs[rank], k + 1
    free = [r for r in range(n_classes) if ranked[r] is None]
    late = hiragana[k:] + [str(c) for c in rng.permutation(katakana)[: len(katakana) // 3]]
    spots = sorted(rng.choice(free[: max(len(late), len(free) // 4)], min(len(late), len(free)), False))
    for rank, char in zip(spots, late, strict=False):
        ranked[rank] = char
    pool = iter(kanji)
    chars = [c if c is not None else next(pool, None) for c in ranked]
    keep = [i for i, c in enumerate(chars) if c is not None]
    kept = probs[keep]
    return Inventory([chars[i] for i in keep], kept / kept.sum())
