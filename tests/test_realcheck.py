"""A tiny leave-one-book-out on the real pages (when ../shared/realpages is present): one book, three arms."""

import json
import re
from pathlib import Path

import pytest
from tiny import tiny_settings

from data.infra.errors import DataError
from submit.recipe import Job

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "realpages"
needs_real = pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason=f"no real pages at {REAL}")


@needs_real
@pytest.mark.slow
def test_tiny_realcheck_reads_the_left_out_real_book_with_each_arms_recipe(tmp_path: Path) -> None:
    from bench.experiments.realcheck import bucket_table, run, table

    s = tiny_settings(
        realcheck__real=str(REAL), realcheck__jobs=2, sources__data_weight=2.0, sources__renders=2
    ).override({"detector.page_scale": 0.05}, "test")  # real pages are large: few tiles
    job = Job(device="cpu", build=tmp_path / "build")
    out = tmp_path / "realcheck"
    summary = run(job, s, out, ["hnsd001"])  # the book read in its own process

    results = summary["results"]
    assert [(r["book"], r["arm"], r["pages"], r["characters"]) for r in results] == [
        ("hnsd001", arm, 1, 148) for arm in ("standin", "real", "both")
    ]
    for r in results:  # every true box of the book falls in one bucket of real training samples
        assert sum(b["characters"] for b in r["buckets"].values()) == 148
    standin = tmp_path / "build" / "tiny"
    assert results[0]["models"] == [
        str(standin / "final" / m / "model.pt") for m in ("detector", "recognizer")
    ]
    fold = out / "hnsd001"
    for arm in ("real", "both"):  # the recipe with the book held out: the final models keep it out too
        split = json.loads((fold / arm / "final" / "split.json").read_text())
        assert split["holdout"] == ["hnsd001-011"] and "hnsd001-011" not in split["fit"]
        assert results[("real", "both").index(arm) + 1]["models"][1] == str(
            fold / arm / "final" / "recognizer" / "model.pt"
        )
    both = json.loads((fold / "both" / "stages" / "recognizer.json").read_text())
    own = json.loads((standin / "stages" / "recognizer.json").read_text())
    assert both["inputs"]["init"] == own["outputs"]["model"]["fingerprint"]  # fine-tunes the stand-in's
    union = json.loads((fold / "both" / "stages" / "union.json").read_text())["settings"]
    assert union == {"sources.data_weight": "2.0", "sources.extra_weight": "1.0"}
    assert set(summary["means"]) == {"standin", "real", "both"} and summary["seconds"] > 0
    assert (out / "realcheck.csv").read_text().splitlines()[0] == (
        "book,pages,characters,arm,f1,detector_recall,recognizer_accuracy,known"
    )
    assert "| hnsd001 | 1 | 148 | both |" in table(summary)
    buckets = summary["buckets"]["both"]
    assert [line.split(" | ")[:2] for line in bucket_table(summary).splitlines()[2:]] == [
        [f"| {name}", str(buckets[name]["characters"])] for name in ("0", "1-9", "10+")
    ]


def test_realcheck_without_real_pages_or_with_an_unknown_arm_is_one_line(tmp_path: Path) -> None:
    from bench.experiments.realcheck import run

    job = Job(device="cpu", build=tmp_path / "build")
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=re.escape(f"{missing / 'train.csv'}: not found: set realcheck.real")):
        run(job, tiny_settings(realcheck__real=str(missing)), tmp_path)
    with pytest.raises(DataError, match=re.escape("realcheck.arms: 'mix' is not one of standin, real, both")):
        run(job, tiny_settings(realcheck__arms="real,mix"), tmp_path)
