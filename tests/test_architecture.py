"""The one-way architecture: data → detect ∥ recognize → submit → bench, and imports without side effects."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "data": {"data"},
    "detect": {"data", "detect"},
    "recognize": {"data", "recognize"},
    "submit": {"data", "detect", "recognize", "submit"},
    "bench": {"data", "detect", "recognize", "submit", "bench"},
}


def modules(package: str) -> list[Path]:
    """Every module of a package, its sub-packages' included."""
    return sorted((ROOT / package).rglob("*.py"))


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def project_imports(path: Path) -> set[str]:
    """Top-level project packages this file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
            else []
        )
        found |= {n.split(".")[0] for n in names} & set(ALLOWED)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_run_one_way(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(project_imports(path) - ALLOWED[package]))}"
        for path in modules(package)
        if project_imports(path) - ALLOWED[package]
    }
    assert not wrong


def test_the_import_rule_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import numpy\n\ndef f():\n    from submit.metric import score\n    import recognize.model\n"
    )
    assert project_imports(module) == {"submit", "recognize"}


def test_importing_every_module_changes_nothing_global() -> None:
    names = [dotted(m) for p in ("data", "detect", "recognize", "submit") for m in modules(p)]
    code = (
        "import json, os, sys, cv2, torch, torchvision.ops  # their own import effects come first\n"
        "env, threads = dict(os.environ), torch.get_num_threads()\n"
        f"for name in {names!r}:\n"
        "    __import__(name)\n"
        "print(json.dumps({'env': sorted(set(os.environ.items()) ^ set(env.items())),\n"
        "    'threads': [threads, torch.get_num_threads()], 'ultralytics': 'ultralytics' in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    after = json.loads(out.stdout.splitlines()[-1])
    assert after == {"env": [], "threads": [after["threads"][0]] * 2, "ultralytics": False}


def test_data_stages_start_without_torch() -> None:
    code = "import sys, data.split, data.crops, data.synth.generate; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False"]  # splitting, cropping and generating pay no torch import
