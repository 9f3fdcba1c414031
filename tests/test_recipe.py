"""The recipe reruns exactly what a changed setting touches: a finished tiny run, changed one setting
at a time (dry runs: nothing trains), then a few real reruns."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from tiny import TINY, tiny_settings

from data.infra.settings import Settings, assignments, load, make_overrides
from data.infra.stages import Stages
from submit.recipe import Job, run

SPLIT = ["split", "detector", "crops", "box_errors", "box_crops", "recognizer", "thresholds", "evaluate"]
FINAL = ["final.split", "final.detector", "final.crops", "final.box_crops", "final.recognizer"]
RECOGNIZER = ["recognizer", "thresholds", "evaluate", "final.recognizer", "submission"]
DETECTOR = ["detector", "box_errors", "box_crops", *RECOGNIZER[:3]]
DETECTOR += ["final.detector", "final.box_crops", "final.recognizer", "submission"]


def quiet(work: Path, dry: bool = False) -> Stages:
    return Stages(work, dry=dry, say=lambda _: None)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Job, Settings]:
    """The whole recipe on the tiny preset, once."""
    job = Job(device="cpu", build=tmp_path_factory.mktemp("recipe") / "build")
    s = tiny_settings()
    st = quiet(job.folder(s))
    run(job, s, "submission", st)
    assert st.ran == ["data/tiny", *SPLIT, *FINAL, "submission"]
    return job, s


def planned(job: Job, s: Settings) -> list[str]:
    st = quiet(job.folder(s), dry=True)
    run(job, s, "submission", st)
    return st.ran


def variables(**given: str) -> Settings:
    return load(str(TINY), make_overrides(given))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, []),
        ({"RECOGNIZER_EPOCHS": "2"}, RECOGNIZER),
        ({"PRIOR": "0.25"}, RECOGNIZER),
        ({"DETECTOR_EPOCHS": "2"}, DETECTOR),
        ({"TTA": "0"}, ["thresholds", "evaluate", "submission"]),
        (
            {"JITTER": "0"},
            ["box_crops", *RECOGNIZER[:3], "final.box_crops", "final.recognizer", "submission"],
        ),
        ({"BOX_CROPS": "0"}, RECOGNIZER),
        ({"REFIT_EPOCHS": "2"}, ["final.detector", "final.box_crops", "final.recognizer", "submission"]),
        ({"SEED": "1"}, ["data/tiny", *SPLIT, *FINAL, "submission"]),
        ({"REFIT": "0"}, ["submission"]),  # the split's models write it
    ],
)
def test_a_changed_setting_reruns_exactly_the_stages_after_it(
    finished: tuple[Job, Settings], given: dict[str, str], expected: list[str]
) -> None:
    job, _ = finished
    assert planned(job, variables(**given)) == expected


@pytest.mark.slow
def test_a_changed_profile_reruns_what_its_changes_touch(
    finished: tuple[Job, Settings], tmp_path: Path
) -> None:
    job, s = finished
    wider = tmp_path / "wider.toml"
    wider.write_text(f'inherit = "{TINY}"\n[recognizer]\nwidth = 16\n')
    assert planned(job, replace(load(str(wider)), profile=s.profile)) == RECOGNIZER
    assert planned(job, load(str(TINY), assignments("detector.imgsz=192", "SET"))) == DETECTOR


@pytest.mark.slow
def test_reruns_remake_what_changed_and_nothing_else(finished: tuple[Job, Settings], tmp_path: Path) -> None:
    job, s = finished
    copy = replace(job, build=tmp_path / "build")
    shutil.copytree(job.build, copy.build)  # records name their paths relative to their folder
    work = copy.folder(s)
    st = quiet(work)
    run(copy, s, "submission", st)
    assert st.ran == []
    inputs = {
        name: json.loads((work / "stages" / f"{name}.json").read_text())["inputs"] for name in RECOGNIZER[::3]
    }
    assert sorted(inputs["recognizer"]) == ["crops", "split"]  # the tune pages validate
    assert sorted(inputs["final.recognizer"]) == ["crops", "init"]  # every crop trains, from the split's
    assert json.loads((work / "tune" / "thresholds.json").read_text())["tta"] is True
    (work / "split.json").unlink()
    st = quiet(work)
    run(copy, s, "submission", st)
    assert st.ran == ["split"]  # the same split again: nothing after it reruns
    st = quiet(work)
    done = run(copy, variables(TTA="0"), "submission", st)
    assert st.ran == ["thresholds", "evaluate", "submission"]
    assert json.loads(done["thresholds"].read_text())["tta"] is False
    record = json.loads((work / "stages" / "thresholds.json").read_text())
    assert record["settings"] == {"recipe.tune": "true", "recipe.tta": "false", "recipe.views_share": "0.9"}


def kaggle_folder(folder: Path, test_pages: bool) -> Path:
    folder.mkdir()
    (folder / "train.csv").write_text("image_id,labels\n")
    if test_pages:
        (folder / "test_images").mkdir()
    return folder


def test_a_kaggle_folder_is_read_as_it_is_and_without_test_pages_no_submission_is_written(
    tmp_path: Path,
) -> None:
    data = kaggle_folder(tmp_path / "kaggle", True)
    job, s = Job(data=data, build=tmp_path / "build"), tiny_settings()
    assert planned(job, s) == [*SPLIT, *FINAL, "submission"]
    book = kaggle_folder(tmp_path / "book", False)
    assert planned(replace(job, data=book), s) == [*SPLIT, *FINAL]
    assert planned(job, load("fast", [("data.preset", "tiny", "test")])) == [*SPLIT, "submission"]  # no refit


def test_extra_data_joins_the_sources_and_fine_tunes_the_extras_own_recognizer(tmp_path: Path) -> None:
    book = kaggle_folder(tmp_path / "book", True)
    job, s = Job(data=book, extra="tiny", build=tmp_path / "build"), tiny_settings()
    extra = ["data/tiny", *[f"extra/{name}" for name in SPLIT[:6]]]
    # the extra's own run up to its recognizer, after the joined data's crops and before its recognizer
    assert planned(job, s) == ["data/tiny", "union", *SPLIT[:5], *extra[1:], *SPLIT[5:], *FINAL, "submission"]
    assert job.folder(s) == tmp_path / "build" / "book+tiny"
