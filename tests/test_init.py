"""Starting a run from a trained model (--init): every weight carried over, classes matched by unicode."""

from pathlib import Path

import numpy as np
import torch
from tiny import recognizer_config

from data.crops import CropSet
from data.infra.checkpoint import load_checkpoint
from recognize.engine import start_from
from recognize.model import Arch, CharNet
from recognize.train import model_payload, train


def test_recognizer_starts_from_a_model_with_other_classes() -> None:
    torch.manual_seed(0)
    old = CharNet(Arch(3, width=8, depth=0))
    checkpoint = model_payload(old, ["U+3042", "U+3044", "U+3046"], 1, 0.0)
    new = CharNet(Arch(4, width=8, depth=0))
    fresh = new.head[2].weight.detach().clone()
    copied, matched = start_from(new, checkpoint, ["U+3044", "U+30A2", "U+3042", "U+3048"])
    floats = [k for k, v in old.state_dict().items() if v.is_floating_point()]  # not BatchNorm's counters
    assert matched == 2 and copied == len(floats) - 2  # all but the output layer, whole
    for name, tensor in old.state_dict().items():
        if name in floats and not name.startswith("head.2."):
            assert torch.equal(new.state_dict()[name], tensor)
    weight, bias = new.head[2].weight.detach(), new.head[2].bias.detach()
    assert torch.equal(weight[[0, 2]], old.head[2].weight.detach()[[1, 0]])  # い and あ, by unicode
    assert torch.equal(bias[[0, 2]], old.head[2].bias.detach()[[1, 0]])
    assert torch.equal(weight[[1, 3]], fresh[[1, 3]])  # classes it did not know keep their fresh rows
    wider = CharNet(Arch(4, width=16, depth=0))
    assert start_from(wider, checkpoint, ["U+3042"] * 4)[0] == 0  # another shape: nothing copied


def test_fine_tuning_keeps_the_start_models_classes_and_records_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    crops = CropSet(
        images=rng.integers(0, 255, (40, 32, 32), dtype=np.uint8),
        unicodes=np.array(["U+3042", "U+3044"] * 20),
        pages=np.array(["bk1-001"] * 40),
        samples=np.arange(40),
    )
    crops.save(tmp_path / "crops.npz")
    cfg = recognizer_config(epochs=1, batch=8, valid=0.0)
    torch.manual_seed(0)
    start = tmp_path / "start.pt"
    classes = ["U+3042", "U+3046"]
    torch.save(model_payload(CharNet(Arch(2, width=8, depth=0)), classes, 1, 0.0), start)
    final = train(cfg, tmp_path / "crops.npz", tmp_path / "run", "cpu", init=start)
    assert load_checkpoint(final)["classes"] == ["U+3042", "U+3044", "U+3046"]  # its own and the start's
    assert "init" in (tmp_path / "run" / "inputs.json").read_text()


def test_detector_start_weights_load_in_ultralytics(offline_detector: dict, tmp_path: Path) -> None:
    from detect.offline import configure
    from detect.train import start_weights

    configure()
    from ultralytics.nn.tasks import load_checkpoint as ultralytics_load

    path = start_weights(offline_detector["model"], tmp_path)
    model, _ = ultralytics_load(str(path))
    ours = load_checkpoint(offline_detector["model"])["state_dict"]
    theirs = model.state_dict()
    assert set(theirs) == set(ours) and all(torch.equal(theirs[k], ours[k].float()) for k in ours)
