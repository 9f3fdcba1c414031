"""Recognizer training under torchrun: two processes on the CPU (gloo), the way several GPUs run it."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny import TINY, recognizer_config

from recognize.distributed import World
from recognize.train import train

SETTINGS = ["--profile", str(TINY)]


def torchrun(crops: Path, run: Path, batch: int, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "recognize.train", "--crops", str(crops), "--run-dir", str(run), "--device", "cpu"]
    command += [*SETTINGS, "--set", f"recognizer.epochs=2 recognizer.batch={batch}", "--no-interpret", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def metrics(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run / "metrics.csv").open()))


def test_ranks_share_an_epoch_plan_without_overlap() -> None:
    positions = np.arange(23)
    shares = [World(rank, 2).share(positions, batch=5) for rank in (0, 1)]
    assert shares[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert shares[1].tolist() == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert World().share(positions, batch=5).tolist() == list(range(20))


@pytest.mark.slow
def test_two_processes_train_like_one_with_twice_the_batch(tiny_crops: Path, tmp_path: Path) -> None:
    ddp = tmp_path / "ddp"
    done = torchrun(tiny_crops, ddp, 16)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("training on cpu x 2") == 1  # rank 0 alone speaks and writes

    single = train(recognizer_config(epochs=2, batch=32), tiny_crops, tmp_path / "one")
    one, two = metrics(single.parent), metrics(ddp)
    assert [r["lr"] for r in two] == [r["lr"] for r in one]  # the same optimizer steps and schedule
    assert abs(float(two[-1]["valid_loss"]) - float(one[-1]["valid_loss"])) < 0.5
    model = torch.load(ddp / "model.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in model["state_dict"])  # saved unwrapped

    again = torchrun(tiny_crops, ddp, 16, "--resume")  # finished: resumes after its last epoch
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming" in again.stdout and metrics(ddp) == two
