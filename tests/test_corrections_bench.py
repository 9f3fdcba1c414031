"""A tiny run of the corrections bench on the real pages (when ../shared/realpages is present)."""

import json
from pathlib import Path

import pytest
from tiny import tiny_settings

from submit.recipe import Job

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
needs_real = pytest.mark.skipif(not (REAL / "train.csv").is_file(), reason=f"no real pages at {REAL}")
PAGES = ["100241706_00005_1", "100241706_00005_2", "100241706_00006_1"]


@needs_real
@pytest.mark.slow
def test_correcting_one_and_two_pages_trains_on_them_and_reads_the_rest(tmp_path: Path) -> None:
    from bench.experiments.corrections import run, table

    s = tiny_settings(realcheck__real=str(REAL), sources__renders=2).override(
        {"detector.page_scale": 0.05}, "test"
    )  # real pages are large: few tiles
    summary = run(Job(device="cpu"), s, tmp_path, "100241706", [0, 1, 2])
    rows = summary["results"]
    assert summary["pages"] == PAGES
    assert [(r["k"], r["corrected"]) for r in rows] == [(0, []), (1, PAGES[:1]), (2, PAGES[:2])]
    assert [(r["rest"]["pages"], r["rest"]["characters"]) for r in rows] == [(3, 230), (2, 150), (1, 72)]
    assert all((r["last"]["pages"], r["last"]["characters"]) == (1, 72) for r in rows)
    book = tmp_path / "k2" / "book"
    assert json.loads((tmp_path / "k2" / "run" / "split.json").read_text())["holdout"] == []
    assert [line.split(",")[0] for line in (book / "train.csv").read_text().splitlines()] == [
        "image_id",
        *PAGES[:2],
    ]
    final = json.loads((tmp_path / "k2" / "run" / "final" / "split.json").read_text())
    assert set(PAGES[:2]) <= set(final["fit"])  # both corrected pages train the final models
    assert "final.recognizer" in rows[2]["trained"] and "extra/recognizer" not in rows[2]["trained"]
    assert table(summary).count("\n") == 4
