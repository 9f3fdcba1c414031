"""Settings stated once: the profiles in ``profiles/*.toml``, what overrides them, and where each
value came from.

A profile is a TOML file (read with the standard library's ``tomllib``) that gives every setting
of the pipeline: a top-level ``seed`` and the sections ``data``, ``sources``, ``detector``,
``recognizer``, ``recipe`` and ``realcheck``. A profile may start from another
(``inherit = "cpu"``) and state only what differs. A setting is named by its section and key
(``recognizer.epochs``); a value given on the command line (``--set recognizer.epochs=12``, make's
``SET=``) or by one of make's variables (``RECOGNIZER_EPOCHS=12``, ``MAKE_VARIABLES``) replaces
the profile's, converted to the profile value's type. The dataclasses of the stages take their
values from here (``Settings.build``): no setting has a default anywhere else.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from data.infra.errors import DataError

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "profiles"
CPU, FAST, GPU = "cpu", "fast", "gpu"

# make's variables and the setting each one sets (``make submission RECOGNIZER_EPOCHS=12``).
MAKE_VARIABLES = {
    "SEED": "seed",
    "PRESET": "data.preset",
    "PAGES": "data.pages",
    "DATA_WEIGHT": "sources.data_weight",
    "EXTRA_WEIGHT": "sources.extra_weight",
    "RARE_BELOW": "sources.rare_below",
    "RENDERS": "sources.renders",
    "DETECTOR_EPOCHS": "detector.epochs",
    "RECOGNIZER_EPOCHS": "recognizer.epochs",
    "PRIOR": "recognizer.prior",
    "BOX_CROPS": "recipe.box_crops",
    "JITTER": "recipe.jitter",
    "TUNE": "recipe.tune",
    "TTA": "recipe.tta",
    "VIEWS_SHARE": "recipe.views_share",
    "REFIT": "recipe.refit",
    "REFIT_EPOCHS": "recipe.refit_epochs",
    "REAL": "realcheck.real",
    "REALCHECK_ARMS": "realcheck.arms",
    "REALCHECK_JOBS": "realcheck.jobs",
}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
KINDS = {"int": "a whole number", "float": "a number", "str": "a text"}


@dataclass(frozen=True)
class Settings:
    """Every setting by its dotted name, resolved: its value and where it came from."""

    profile: str  # the profile's name, or the path of a profile file outside profiles/
    values: dict[str, Any]
    origins: dict[str, str]
    overridden: dict[str, str] = field(default_factory=dict)  # name -> text, for every override

    def __getitem__(self, name: str) -> Any:
        if name not in self.values:
            raise KeyError(f"no setting named {name!r}")
        return self.values[name]

    def section(self, name: str) -> dict[str, Any]:
        """The settings of one section, by their key."""
        prefix = name + "."
        return {k[len(prefix) :]: v for k, v in self.values.items() if k.startswith(prefix)}

    def pick(self, names: Iterable[str]) -> dict[str, Any]:
        """These settings by their dotted names (what a stage records of them)."""
        return {n: self[n] for n in names}

    def build(self, cls: type[T], section: str, **given: Any) -> T:
        """The dataclass ``cls`` with every field from ``section`` (or ``given``); a field the profile
        lacks, or a key no field takes, is a one-line error naming the profile."""
        values = {**self.section(section), **given}
        names = {f.name for f in fields(cls)}
        missing = sorted(names - set(values))
        if missing:
            raise DataError(self.source, f"[{section}] lacks {missing[0]}, a setting of {cls.__name__}")
        unknown = sorted(set(values) - names)
        if unknown:
            raise DataError(self.source, f"[{section}] {unknown[0]} is not a setting of {cls.__name__}")
        return cls(**values)

    @property
    def source(self) -> str:
        """The profile's file, relative to the repository."""
        return shown(profile_path(self.profile))

    def override(self, changes: Mapping[str, Any], origin: str) -> Settings:
        """These settings with ``changes`` (dotted name -> value of the setting's type) applied."""
        values, origins, texts = dict(self.values), dict(self.origins), dict(self.overridden)
        for name, value in changes.items():
            values[name] = coerce(name, text_of(value), self.values, origin)
            origins[name], texts[name] = origin, text_of(value)
        return Settings(self.profile, values, origins, texts)

    def assignments(self) -> list[str]:
        """The overrides as ``name=value`` texts, to hand these settings to another process."""
        return [f"{name}={text}" for name, text in self.overridden.items()]

    def lines(self) -> list[str]:
        """``name = value  (where it came from)``, one per setting."""
        width = max(len(f"{k} = {text_of(v)}") for k, v in self.values.items())
        return [f"{f'{k} = {text_of(v)}':<{width}}  ({self.origins[k]})" for k, v in self.values.items()]


def profile_path(profile: str) -> Path:
    """The file of a profile: a name in profiles/, or a path to a .toml file."""
    path = Path(profile) if profile.endswith(".toml") else PROFILES / f"{profile}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILES.glob("*.toml")))
        raise DataError(path, f"no such profile (the profiles are {known}, or a path to a .toml file)")
    return path.resolve()


def read_profile(profile: str, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """A profile's values and their origins (the file that states each), inherited ones included."""
    path = profile_path(profile)
    if path in seen:
        raise DataError(path, "profiles inherit from each other in a circle")
    try:
        table = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise DataError(path, f"not a TOML file ({error})") from None
    values, origins = {}, {}
    base = table.pop("inherit", None)
    if base is not None:
        values, origins = read_profile(str(base), (*seen, path))
    where = shown(path)
    for key, value in flatten(table).items():
        if base is not None and key not in values:
            raise DataError(path, f"{key} is not a setting of the profile it inherits ({base})")
        values[key], origins[key] = value, where
    return values, origins


def shown(path: Path) -> str:
    """A path as the user sees it: relative to the repository."""
    return os.path.relpath(path, ROOT)


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"detector": {"epochs": 6}} -> {"detector.epochs": 6}."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def load(profile: str = CPU, overrides: Iterable[tuple[str, str, str]] = ()) -> Settings:
    """The profile with ``overrides`` (dotted name, text, origin) applied in order."""
    values, origins = read_profile(profile)
    texts = {}
    for name, text, origin in overrides:
        values[name] = coerce(name, text, values, origin)
        origins[name], texts[name] = origin, text
    return Settings(profile, values, origins, texts)


def coerce(name: str, text: str, values: Mapping[str, Any], origin: str) -> Any:
    """``text`` as a value of the type of setting ``name``; a one-line error naming ``origin``."""
    if name not in values:
        raise DataError(origin, f"no setting named {name!r} (`make settings` lists them)")
    like = values[name]
    try:
        if isinstance(like, bool):
            if text.lower() not in TRUE + FALSE:
                raise ValueError
            return text.lower() in TRUE
        if isinstance(like, list):
            return [part for part in text.replace(",", " ").split() if part]
        return type(like)(text)
    except ValueError:
        kind = "true or false" if isinstance(like, bool) else KINDS[type(like).__name__]
        raise DataError(origin, f"{name}={text}: not {kind}") from None


def text_of(value: Any) -> str:
    """A setting's value as it is written on the command line."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def assignments(text: str, origin: str) -> list[tuple[str, str, str]]:
    """``name=value name=value ...`` (make's ``SET=``) as overrides."""
    out = []
    for part in text.split():
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise DataError(origin, f"{part!r} is not name=value (e.g. recognizer.epochs=12)")
        out.append((name, value, origin))
    return out


def make_overrides(environment: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The settings that make's variables set (make hands the ones given on its command line to
    the commands it runs, in their environment)."""
    return [
        (name, environment[variable], variable)
        for variable, name in MAKE_VARIABLES.items()
        if environment.get(variable, "") != ""
    ]


def choose(profile: str | None, fast: bool, cuda: bool) -> tuple[str, str]:
    """The profile to use and why: the one named, ``fast`` with FAST=1, else ``gpu`` when the
    device is a CUDA GPU and ``cpu`` otherwise."""
    if profile and fast and profile != FAST:
        raise DataError("PROFILE", f"FAST=1 asks for the fast profile, PROFILE={profile} for another")
    if profile:
        return profile, "PROFILE"
    if fast:
        return FAST, "FAST=1"
    return (GPU, "the device is a CUDA GPU") if cuda else (CPU, "the device is the CPU")
