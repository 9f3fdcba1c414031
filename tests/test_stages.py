"""A stage reruns exactly when a setting, an input or an output of it changed, and says why."""

import json
from pathlib import Path

from data.infra.stages import Stages


class Counter:
    """A stage that writes its input's text and a setting to out.txt, counting its runs."""

    def __init__(self, work: Path) -> None:
        self.work, self.runs = work, 0

    def __call__(self, st: Stages, n: int, source: Path) -> Path:
        out = st.work / "out.txt"

        def make() -> None:
            self.runs += 1
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(f"{source.read_text()} {n}")

        return st("count", {"n": n}, {"source": source}, {"out": out}, make)["out"]


def test_a_stage_reruns_when_a_setting_an_input_or_its_output_changed(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    said: list[str] = []
    stage = Counter(tmp_path / "work")

    def step(n: int) -> list[str]:
        st = Stages(tmp_path / "work", say=said.append)
        stage(st, n, source)
        return st.ran

    assert step(1) == ["count"] and said[-1].endswith("count\x1b[0m (not run yet)")
    assert step(1) == [] and said[-1] == "count: up to date" and stage.runs == 1
    assert step(2) == ["count"] and said[-1].endswith("(n 1 -> 2)")
    source.write_text("b")
    assert step(2) == ["count"] and said[-1].endswith("(input source changed)")
    (tmp_path / "work" / "out.txt").unlink()
    assert step(2) == ["count"] and said[-1].endswith("(output out.txt is missing)")
    (tmp_path / "work" / "out.txt").write_text("edited")
    assert step(2) == ["count"] and said[-1].endswith("(output out.txt changed)")
    assert (tmp_path / "work" / "out.txt").read_text() == "b 2" and stage.runs == 5
    record = json.loads((tmp_path / "work" / "stages" / "count.json").read_text())
    assert record["settings"] == {"n": "2"} and record["outputs"]["out"]["path"] == "out.txt"


def test_a_dry_run_says_what_would_run_and_runs_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    stage = Counter(tmp_path / "work")
    stage(Stages(tmp_path / "work", say=lambda _: None), 1, source)
    said: list[str] = []
    dry = Stages(tmp_path / "work", dry=True, say=said.append)
    made = stage(dry, 3, source)
    later = dry("later", {}, {"count": made}, {"x": tmp_path / "work" / "x"}, lambda: 1 / 0)
    assert dry.ran == ["count", "later"] and stage.runs == 1 and later == {"x": tmp_path / "work" / "x"}
    assert said == ["count: would run (n 1 -> 3)", "later: would run (not run yet)"]
    assert json.loads((tmp_path / "work" / "stages" / "count.json").read_text())["settings"] == {"n": "1"}


def test_an_up_to_date_stage_leaves_the_stages_after_it_alone_when_its_output_is_the_same(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    stage, runs = Counter(tmp_path / "work"), []

    def both() -> list[str]:
        st = Stages(tmp_path / "work", say=lambda _: None)
        made = stage(st, 1, source)
        st(
            "after",
            {},
            {"count": made},
            {"y": tmp_path / "work" / "y"},
            lambda: runs.append(1) or made.with_name("y").write_text("y"),
        )
        return st.ran

    assert both() == ["count", "after"]
    (tmp_path / "work" / "out.txt").unlink()
    assert both() == ["count"]  # remade, the same bytes: what reads it is still up to date
    assert both() == [] and runs == [1]  # and stays so: the records hold the real fingerprints


def test_another_work_folder_lends_a_stage_with_the_same_settings_and_inputs(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    first = Counter(tmp_path / "first")
    made = first(Stages(tmp_path / "first", say=lambda _: None), 1, source)
    said: list[str] = []
    second = Counter(tmp_path / "second")
    st = Stages(tmp_path / "second", reuse=[tmp_path / "first"], say=said.append)
    assert second(st, 1, source) == made and second.runs == 0 and st.ran == []
    assert said[-1].startswith("count: reusing ") and said[-1].endswith("(not run yet)")
    again = Stages(tmp_path / "second", say=said.append)
    assert second(again, 1, source) == made and said[-1] == "count: up to date"  # recorded as lent
    other = Stages(tmp_path / "third", reuse=[tmp_path / "first"], say=lambda _: None)
    Counter(tmp_path / "third")(other, 2, source)  # another setting: not lent
    assert other.ran == ["count"]
