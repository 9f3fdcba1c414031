import pytest
import torch
from tiny import detector_config

from data.infra.device import gpu_list, resolve_device
from data.infra.errors import DataError
from detect.settings import fit_args, ultralytics_device


def test_device_names() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert gpu_list("0,1,3") == [0, 1, 3]
    assert gpu_list("cuda") == gpu_list("1") == gpu_list("cpu") == []
    with pytest.raises(DataError, match="'banana' is not cpu, cuda, cuda:N, auto or a list like 0,1"):
        resolve_device("banana")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_a_gpu_list_without_a_gpu_is_one_line() -> None:
    with pytest.raises(DataError, match="0,1 requested but no CUDA GPU is available"):
        resolve_device("0,1")


def test_detector_training_arguments_per_device() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 1)
    assert ultralytics_device(cpu) == "cpu"
    assert ultralytics_device(gpu) == "1"
    assert ultralytics_device(gpu, [0, 1, 2]) == "0,1,2"  # ultralytics runs its own DDP over these
    cfg = detector_config(workers=8)
    on_cpu, on_gpus = fit_args(cfg, cpu), fit_args(cfg, gpu, "ram", [0, 1])
    assert (on_cpu["deterministic"], on_cpu["device"], on_cpu["cache"]) == (True, "cpu", False)
    assert (on_gpus["deterministic"], on_gpus["device"], on_gpus["cache"]) == (False, "0,1", "ram")
    assert on_gpus["workers"] == 8


def test_reading_is_sized_for_the_device_and_the_cores() -> None:
    from data.infra.device import ReadingSizes, reading_sizes

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert reading_sizes(cpu, 2) == ReadingSizes(chunk=8, threads=2, tiles=16)
    assert reading_sizes(cpu, 32) == ReadingSizes(chunk=8, threads=8, tiles=16)
    assert reading_sizes(gpu, 16) == ReadingSizes(chunk=32, threads=12, tiles=64)
    assert reading_sizes(gpu, 2) == ReadingSizes(chunk=32, threads=2, tiles=64)
