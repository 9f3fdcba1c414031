"""Where the F1 is lost on held-out pages: missed characters, spurious boxes, and wrong classes by
how often the class was in the training pages (from each page's match to its truth,
``submit.match``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from submit.match import PageMatch
from submit.pipeline import PageReading

BUCKETS = ((0, "never"), (1, "once"), (9, "2-9"), (99, "10-99"), (None, "100+"))  # (most, name)


def bucket(count: int) -> str:
    """The training-count bucket of a class seen ``count`` times."""
    return next(name for most, name in BUCKETS if most is None or count <= most)


def page_losses(reading: PageReading, match: PageMatch, counts: Mapping[str, int]) -> Counter:
    """Counts for one page: ``missed`` true boxes (no single detected centre inside), ``spurious``
    detections (centre in no true box), and per bucket the ``found`` and ``wrong`` characters."""
    lost = Counter(missed=int((~match.hits).sum()), spurious=int((~match.inside.any(axis=0)).sum()))
    for k in np.flatnonzero(match.hits):
        name = bucket(counts.get(match.codes[k], 0))
        lost[f"found {name}"] += 1
        lost[f"wrong {name}"] += int(reading.unicodes[match.owner[k]] != match.codes[k])
    return lost


def shortfall(lost: Counter) -> dict:
    """The losses of all pages (the sum of their ``page_losses``), with the recognizer's accuracy
    on found characters per bucket."""
    by_bucket = {
        name: {
            "found": lost[f"found {name}"],
            "wrong": lost[f"wrong {name}"],
            "accuracy": 1 - lost[f"wrong {name}"] / lost[f"found {name}"] if lost[f"found {name}"] else None,
        }
        for _, name in BUCKETS
    }
    return {"missed": lost["missed"], "spurious": lost["spurious"], "by_training_count": by_bucket}
