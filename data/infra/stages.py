"""The stages of a recipe: each reruns exactly when something it depends on changed.

A stage has a name, the settings it uses, its inputs (files or folders) and its outputs. Once it
has run, its record ``<work>/stages/<name>.json`` holds those settings, each input's fingerprint
(``data.infra.runs.fingerprint``) and each output's. The stage is skipped while the record's
settings and input fingerprints equal today's and every output still has its recorded
fingerprint; otherwise it runs again and says why in one line (a setting and its old and new
value, an input that changed, an output that is gone). A stage whose outputs come out the same
leaves the stages after it alone. The record is removed before a stage runs and written after it
succeeds, so an interrupted stage runs again (and a training run resumes, ``data.infra.runs``).

Other work folders (``reuse``) can lend a stage's outputs: when one of them holds a valid record of
the same stage with the same settings and inputs, its outputs are used where they are. So the arms
of an experiment share the models they have in common. Paths in records are relative to the work
folder, so a moved clone keeps its records.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from data.infra.io import write_json
from data.infra.runs import fingerprint
from data.infra.settings import text_of

WILL_CHANGE = "(to be remade)"  # a dry run's fingerprint of an output that a stale stage will remake


class Stages:
    """Runs the stages of one work folder, skipping those that are up to date.

    ``ran`` lists the stages that ran (or, with ``dry``, would run), in order. ``say`` prints one
    line per stage: run and why, reused, or up to date (``quiet`` leaves those out).
    """

    def __init__(
        self,
        work: str | Path,
        reuse: Iterable[str | Path] = (),
        dry: bool = False,
        say: Callable[[str], None] = print,
        quiet: bool = False,
        label: str = "",
    ) -> None:
        self.work, self.reuse = Path(work), [Path(r) for r in reuse]
        self.dry, self.say, self.quiet, self.label = dry, say, quiet, label
        self.ran: list[str] = []
        self.remade: set[Path] = set()  # outputs a dry run would remake
        self.planned: dict[Path, dict[str, Path]] = {}  # a dry run's stages by record, once each
        self.memo: dict[tuple[str, int, int], str] = {}

    def child(self, work: str | Path, label: str) -> Stages:
        """The stages of another work folder (a run this one builds on), reported as ``label`` +
        name in this one's ``ran``; they lend from no other folder."""
        other = Stages(work, (), self.dry, self.say, self.quiet, self.label + label)
        other.ran, other.remade, other.memo, other.planned = self.ran, self.remade, self.memo, self.planned
        return other

    def record_path(self, name: str, work: Path | None = None) -> Path:
        return (work or self.work) / "stages" / f"{name}.json"

    def fingerprint(self, path: Path) -> str:
        """The fingerprint of a file or folder, once per version of a file in this process."""
        if path.resolve() in self.remade:
            return WILL_CHANGE
        if not path.exists():
            return "(missing)"
        if path.is_dir():
            return fingerprint(path)
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in self.memo:
            self.memo[key] = fingerprint(path)
        return self.memo[key]

    def __call__(
        self,
        name: str,
        settings: Mapping[str, Any],
        inputs: Mapping[str, Path | None],
        outputs: Mapping[str, Path],
        make: Callable[[], Any],
    ) -> dict[str, Path]:
        """Run ``make`` (which writes ``outputs``) unless the stage is up to date; return the paths
        of its outputs (another work folder's, when reused). ``inputs`` that are None are absent."""
        settings = {k: text_of(v) for k, v in settings.items()}
        if self.record_path(name).resolve() in self.planned:  # reached again through another run
            return self.planned[self.record_path(name).resolve()]
        now = {k: self.fingerprint(Path(p)) for k, p in inputs.items() if p is not None}
        why = self.stale(self.work, name, settings, now)
        shown = self.label + name
        if why is None:
            if not self.quiet:
                self.say(f"{shown}: up to date")
            return self.outputs_of(self.work, name)
        for other in self.reuse:
            if self.stale(other, name, settings, now) is None:
                lent = self.outputs_of(other, name)
                if not self.dry:
                    self.write(name, settings, now, lent, 0.0)
                self.say(f"{shown}: reusing {next(iter(lent.values())).parent} ({why})")
                return lent
        self.ran.append(shown)
        if self.dry:
            self.say(f"{shown}: would run ({why})")
            self.remade |= {Path(p).resolve() for p in outputs.values()}
            self.planned[self.record_path(name).resolve()] = dict(outputs)
            return dict(outputs)
        self.say(f"\033[1m==> {shown}\033[0m ({why})")
        self.record_path(name).unlink(missing_ok=True)
        began = time.time()
        make()
        self.write(name, settings, now, outputs, time.time() - began)
        return dict(outputs)

    def stale(
        self, work: Path, name: str, settings: Mapping[str, str], inputs: Mapping[str, str]
    ) -> str | None:
        """Why the stage's record in ``work`` does not cover these settings and inputs; None if it does."""
        path = self.record_path(name, work)
        if not path.is_file():
            return "not run yet" if work == self.work else "no record"
        record = json.loads(path.read_text())
        for key in dict.fromkeys([*record["settings"], *settings]):
            before, after = record["settings"].get(key), settings.get(key)
            if before != after:
                return f"{key} {before} -> {after}"
        for key in dict.fromkeys([*record["inputs"], *inputs]):
            if record["inputs"].get(key) != inputs.get(key):
                return f"input {key} {'is new' if key not in record['inputs'] else 'changed'}"
        for out in record["outputs"].values():
            found = self.fingerprint(Path(os.path.normpath(work / out["path"])))
            if found != out["fingerprint"]:
                return f"output {out['path']} {'is missing' if found == '(missing)' else 'changed'}"
        return None

    def outputs_of(self, work: Path, name: str) -> dict[str, Path]:
        outputs = json.loads(self.record_path(name, work).read_text())["outputs"]
        return {k: Path(os.path.normpath(work / o["path"])) for k, o in outputs.items()}

    def write(
        self,
        name: str,
        settings: Mapping[str, str],
        inputs: Mapping[str, str],
        outputs: Mapping,
        seconds: float,
    ) -> None:
        record = {
            "settings": dict(settings),
            "inputs": dict(inputs),
            "outputs": {
                k: {
                    "path": os.path.relpath(Path(p).resolve(), self.work.resolve()),
                    "fingerprint": self.fingerprint(Path(p)),
                }
                for k, p in outputs.items()
            },
            "seconds": round(seconds, 1),
        }
        write_json(self.record_path(name), record)
