"""Settings stated once: the profiles, what overrides them, and where each value came from."""

from pathlib import Path

import pytest

from data.infra.errors import DataError
from data.infra.settings import assignments, choose, load, make_overrides
from detect.settings import DetectorConfig
from recognize.train import Config


def test_a_profile_inherits_and_says_where_each_value_came_from() -> None:
    fast = load("fast")
    assert (fast["recognizer.epochs"], fast.origins["recognizer.epochs"]) == (3, "profiles/fast.toml")
    assert (fast["recognizer.batch"], fast.origins["recognizer.batch"]) == (64, "profiles/cpu.toml")
    gpu = load("gpu")
    assert (gpu["detector.imgsz"], gpu["recognizer.width"], gpu["recognizer.batch"]) == (640, 64, 512)
    assert set(gpu.values) == set(load("cpu").values)  # every profile states every setting


def test_every_profile_builds_both_models_settings_with_a_pinned_optimizer() -> None:
    for profile in ("cpu", "fast", "gpu"):
        s = load(profile)
        detector = s.build(DetectorConfig, "detector", seed=s["seed"])
        assert detector.optimizer != "auto" and detector.lr0 > 0
        assert s.build(Config, "recognizer", seed=s["seed"]).epochs == s["recognizer.epochs"]


def test_overrides_take_the_type_of_the_profiles_value_and_name_their_origin() -> None:
    environment = {"RECOGNIZER_EPOCHS": "12", "TTA": "0", "PRIOR": "0.25", "DATA": "x", "JITTER": ""}
    s = load(
        "cpu", make_overrides(environment) + assignments("detector.imgsz=640 realcheck.arms=real", "SET")
    )
    assert s.pick(["recognizer.epochs", "recipe.tta", "recognizer.prior", "recipe.jitter"]) == {
        "recognizer.epochs": 12,
        "recipe.tta": False,
        "recognizer.prior": 0.25,
        "recipe.jitter": True,  # an empty variable is not given
    }
    assert (s["detector.imgsz"], s["realcheck.arms"]) == (640, ["real"])
    assert (s.origins["recognizer.epochs"], s.origins["detector.imgsz"]) == ("RECOGNIZER_EPOCHS", "SET")
    assert s.assignments() == [
        "recognizer.epochs=12",
        "recognizer.prior=0.25",  # in the order of MAKE_VARIABLES
        "recipe.tta=0",
        "detector.imgsz=640",
        "realcheck.arms=real",
    ]
    again = load("cpu", assignments(" ".join(s.assignments()), "--set"))  # what a child process gets
    assert again.values == s.values


def test_settings_print_one_line_each_with_their_origin() -> None:
    lines = load("fast", assignments("recognizer.width=96", "SET")).lines()
    assert len(lines) == len(load("fast").values)
    assert [[*line.split()[:3], line.split("(")[-1]] for line in lines if "recognizer.width" in line] == [
        ["recognizer.width", "=", "96", "SET)"]
    ]
    assert next(line for line in lines if line.startswith("seed ")).endswith("(profiles/cpu.toml)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recognizer.epochs=abc", "SET: recognizer.epochs=abc: not a whole number"),
        ("recipe.tta=maybe", "SET: recipe.tta=maybe: not true or false"),
        ("recognizer.epoch=3", "SET: no setting named 'recognizer.epoch' (`make settings` lists them)"),
        ("epochs", "SET: 'epochs' is not name=value (e.g. recognizer.epochs=12)"),
    ],
)
def test_a_bad_override_is_one_line(text: str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        load("cpu", assignments(text, "SET"))
    assert str(caught.value) == message


def test_a_bad_profile_is_one_line_naming_its_file(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text('inherit = "cpu"\n[recognizer]\nepoch = 3\n')
    with pytest.raises(
        DataError, match=r"typo.toml: recognizer.epoch is not a setting of the profile it inherits"
    ):
        load(str(typo))
    broken = tmp_path / "broken.toml"
    broken.write_text("[recognizer\n")
    with pytest.raises(DataError, match=r"broken.toml: not a TOML file"):
        load(str(broken))
    loop = tmp_path / "loop.toml"
    loop.write_text(f'inherit = "{loop}"\n')
    with pytest.raises(DataError, match="inherit from each other in a circle"):
        load(str(loop))
    with pytest.raises(DataError, match=r"no such profile \(the profiles are cpu, fast, gpu"):
        load("gpus")
    lacking = tmp_path / "lacking.toml"
    lacking.write_text("seed = 0\n[recognizer]\nepochs = 1\n")
    with pytest.raises(DataError, match=r"lacking.toml: \[recognizer\] lacks amp, a setting of Config"):
        load(str(lacking)).build(Config, "recognizer", seed=0)


def test_the_profile_follows_the_device_unless_one_is_named() -> None:
    assert choose(None, False, True) == ("gpu", "the device is a CUDA GPU")
    assert choose(None, False, False) == ("cpu", "the device is the CPU")
    assert choose(None, True, True) == ("fast", "FAST=1")
    assert choose("gpu", False, False) == ("gpu", "PROFILE")
    with pytest.raises(DataError, match="FAST=1 asks for the fast profile, PROFILE=gpu for another"):
        choose("gpu", True, False)
