"""Keep ultralytics offline: ``configure()``, called by every entry point before it imports ultralytics.

- settings live in the project's own config folder (never the user's), with sync, hub and every
  logging integration off, and no API key;
- ``YOLO_OFFLINE`` makes ultralytics' online check answer "offline" without a DNS probe, and
  ``YOLO_AUTOINSTALL=false`` forbids installing packages;
- the fonts ultralytics would download for its plots are the packaged Japanese font;
- checkpoints load with ``torch.load(weights_only=True)`` (``ULTRALYTICS_SAFE_LOAD``);
- the AMP check, which downloads a pretrained model, is replaced by "AMP on CUDA", which is what
  ultralytics concludes itself when that download fails.

It also keeps torch on every core: importing ultralytics sets ``OMP_NUM_THREADS=1`` for the whole
process, and ultralytics trains on the CPU with one thread fewer than the cores.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from data.fonts import label_font

CONFIG_DIR = Path(__file__).resolve().parents[1] / ".cache" / "ultralytics"
ENVIRONMENT = {
    "YOLO_CONFIG_DIR": str(CONFIG_DIR),
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "false",
    "ULTRALYTICS_SAFE_LOAD": "1",
}
SETTINGS = {
    "sync": False,
    "api_key": "",
    "openai_api_key": "",
    "clearml": False,
    "comet": False,
    "dvc": False,
    "mlflow": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
    "vscode_msg": False,
    "openvino_msg": False,
}
PLOT_FONTS = ("Arial.ttf", "Arial.Unicode.ttf")


def amp_without_download(model) -> bool:
    """AMP on CUDA, off elsewhere: ultralytics' own answer when its check cannot download."""
    return next(model.parameters()).device.type == "cuda"


def configure() -> None:
    """Apply the environment, settings, fonts and AMP check above (idempotent)."""
    if "ultralytics" in sys.modules and os.environ.get("YOLO_OFFLINE") != "1":
        raise RuntimeError(
            "ultralytics was imported before detect.offline.configure(): it would not stay offline"
        )
    os.environ.update(ENVIRONMENT)
    os.environ.pop("ULTRALYTICS_API_KEY", None)
    fonts = CONFIG_DIR / "Ultralytics"
    fonts.mkdir(parents=True, exist_ok=True)
    for name in PLOT_FONTS:
        link = fonts / name
        if not link.exists():
            link.unlink(missing_ok=True)
            link.symlink_to(label_font())

    import torch

    threads = torch.get_num_threads()  # fixed now, before ultralytics sets OMP_NUM_THREADS=1
    from ultralytics.engine import trainer
    from ultralytics.utils import SETTINGS as settings
    from ultralytics.utils import torch_utils

    torch_utils.NUM_THREADS = threads  # the count ultralytics gives torch when it trains on the CPU

    if any(settings.get(k) != v for k, v in SETTINGS.items()):
        settings.update(SETTINGS)
    trainer.check_amp = amp_without_download
