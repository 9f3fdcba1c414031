"""What one stage of bench/scale.py costs: its process tree's time, memory and disk, stdlib only.

- seconds: wall clock from start to exit of the stage's process.
- peak MB: the largest resident set of any single process of the stage, exact: the stage is
  started with ``subprocess.Popen`` and reaped with ``os.wait4``, whose ``ru_maxrss`` is the kernel's
  high-water mark of the process and of every descendant it reaped itself (worker pools, data
  loader workers). It is the largest process, not a sum; a process's high-water mark also counts
  the pages it shares with its parent. (The benchmark itself stays small, stdlib only while it
  measures, so the mark a process inherits from it when it is started is negligible.)
- tree MB: the proportional set size (PSS, shared pages split between their users) summed over the
  stage's whole process tree, sampled every 0.25 s from ``/proc/<pid>/smaps_rollup``: what the
  machine needs while worker pools run side by side. Sampled, so a short spike can be missed.
- disk MB: the total size of the files the stage created or rewrote under its folder (for
  bench/scale.py ``OUT/n<N>/``: the data folder and the work folder), from a walk of the folder
  before and after the stage. Files it wrote and deleted again (temporary files) are not counted.

MB are 2**20 bytes.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from pathlib import Path

SAMPLE_S = 0.25


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def pss_kb(pid: int) -> int:
    """Proportional set size of one process in KiB (its VmRSS where smaps_rollup is unreadable)."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", b"Pss:"), (f"/proc/{pid}/status", b"VmRSS:")):
        try:
            with open(path, "rb") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; ``peak_kb`` is the largest sum seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in descendants(self.pid)))
            self.done.wait(SAMPLE_S)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: path -> (size, mtime in ns)."""
    files: dict[str, tuple[int, int]] = {}
    todo = [folder]
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                todo.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                stat = entry.stat(follow_symlinks=False)
                files[entry.path] = (stat.st_size, stat.st_mtime_ns)
    return files


def written_bytes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    """Total size of the files that are new or changed."""
    return sum(size for path, (size, mtime) in after.items() if before.get(path) != (size, mtime))


def measure(
    command: list[str], cwd: Path, folder: Path, log: Path, env: dict[str, str] | None = None
) -> tuple[int, float, float, float, float]:
    """Run ``command`` in ``cwd`` (in ``env``, default this process's environment), output to
    ``log``: (exit status, seconds, peak MB, tree MB, disk MB).

    Disk MB counts what it writes under ``folder``.
    """
    before = snapshot(folder)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        changed = {k: v for k, v in (env or {}).items() if os.environ.get(k) != v}
        shown = [f"{k}={v}" for k, v in changed.items()]
        out.write((f"cd {shlex.quote(str(cwd))} && " + shlex.join([*shown, *command]) + "\n\n").encode())
        out.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    disk = written_bytes(before, snapshot(folder))
    return process.returncode, seconds, usage.ru_maxrss / 1024, sampler.peak_kb / 1024, disk / 2**20
