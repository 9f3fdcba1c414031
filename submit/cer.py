"""Character error rate: the edit distance of a transcription to the truth, per character of the truth."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz.distance import Levenshtein


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning ``a`` into ``b``."""
    return Levenshtein.distance(a, b)


def cer(pairs: Iterable[tuple[Sequence, Sequence]]) -> dict:
    """Pooled CER of (transcription, truth) pairs: total edits over total truth characters.

    Line breaks are not characters: a text's columns are compared as one sequence.
    """
    edits = characters = 0
    for text, truth in pairs:
        text, truth = strip_breaks(text), strip_breaks(truth)
        edits += edit_distance(text, truth)
        characters += len(truth)
    return {"cer": edits / max(characters, 1), "edits": edits, "characters": characters}


def strip_breaks(text: Sequence) -> Sequence:
    """A string without its line breaks; any other sequence as it is."""
    return text.replace("\n", "") if isinstance(text, str) else text
