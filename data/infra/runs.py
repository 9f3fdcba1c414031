"""Training run folders: what shaped a run, and resume only while none of it has changed.

A run folder holds ``config.json`` (the settings that shape the model, no paths) and
``inputs.json`` (each input file or folder: its path relative to the run folder and a content
fingerprint). A moved clone resumes, because neither file holds an absolute path. When the
settings or any input changed (a new SEED or DATA, another split, crops with other classes), the
old run is moved aside, never deleted, and training starts afresh with one line saying what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from data.infra.errors import DataError
from data.infra.io import write_json

CHUNK = 1 << 20


def fingerprint(path: str | Path) -> str:
    """sha256 of a file's bytes; of a folder's file names and sizes (page images are not read)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as f:
            while block := f.read(CHUNK):
                digest.update(block)
    elif path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{item.relative_to(path).as_posix()}\t{item.stat().st_size}\n".encode())
    else:
        raise DataError(path, "input not found")
    return digest.hexdigest()


def describe_inputs(run: Path, inputs: Mapping[str, str | Path]) -> dict[str, dict[str, str]]:
    """Each input's path relative to ``run`` and its fingerprint."""
    return {
        name: {"path": os.path.relpath(Path(p).resolve(), run.resolve()), "fingerprint": fingerprint(p)}
        for name, p in inputs.items()
    }


def changes(run: Path, settings: Mapping, inputs: Mapping[str, dict[str, str]]) -> list[str]:
    """What differs from the run already in ``run``: setting names, then input names."""
    before = json.loads((run / "config.json").read_text())
    known = json.loads((run / "inputs.json").read_text()) if (run / "inputs.json").exists() else {}
    changed = [k for k in dict.fromkeys([*before, *settings]) if before.get(k) != settings.get(k)]
    return changed + [
        name
        for name in dict.fromkeys([*known, *inputs])
        if known.get(name, {}).get("fingerprint") != inputs.get(name, {}).get("fingerprint")
    ]


def open_run(run: str | Path, settings: Mapping, inputs: Mapping[str, str | Path], resume: bool) -> bool:
    """Prepare the run folder; True when it continues a run with the same settings and inputs.

    Without ``resume`` a folder that already holds a run is refused (a DataError).
    """
    run = Path(run)
    now = describe_inputs(run, inputs)
    if (run / "config.json").exists():
        if not resume:
            raise DataError(
                run, "run folder already holds a run: pass --resume to continue it, or choose another --run"
            )
        changed = changes(run, settings, now)
        if not changed:
            return True
        kept = run.with_name(f"{run.name}.{time.strftime('%Y%m%d-%H%M%S')}")
        run.rename(kept)
        print(f"{run}: {', '.join(changed)} changed since the last run; starting afresh (old run: {kept})")
    run.mkdir(parents=True, exist_ok=True)
    write_json(run / "config.json", dict(settings))
    write_json(run / "inputs.json", now)
    return False


def input_path(run: str | Path, name: str) -> Path:
    """Where the run's input ``name`` is, from ``inputs.json``."""
    run = Path(run)
    inputs = json.loads((run / "inputs.json").read_text())
    if name not in inputs:
        raise DataError(run / "inputs.json", f"no input named {name!r}")
    return Path(os.path.normpath(run / inputs[name]["path"]))
