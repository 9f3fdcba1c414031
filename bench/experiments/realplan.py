"""What ``bench.experiments.realcheck`` trains: the plan (sources, weights, model settings) and the arms."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from detect.settings import DetectorConfig
from recognize.config import Config


@dataclass
class Plan:
    """What realcheck trains: the sources, the real pages' weight, rare-class renders and the
    settings of both models (the same for every arm)."""

    real: Path = Path("../shared/realpages")
    standin: Path = Path("build/data/fast")
    real_weight: float = 10.0  # each real page and crop counts this many times per epoch
    rare_below: int = 10  # real classes with fewer samples get font renders (arms that use them)
    renders: int = 20
    prior: float = 0.5  # the class prior of the tuned arms' recognizer (recognize.config.Config.prior)
    tta: int = 1  # 1: the tuned arms read several views of each box (submit.views), as make submission
    refit: int = 2  # the tuned arms' models train this many more epochs on every page, as make submission's
    seed: int = 0
    device: str = "auto"
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    recognizer: Config = field(default_factory=Config)

    def record(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


class Arm(NamedTuple):
    """How an arm trains each model: ``standin`` (the stand-in models), ``real`` (the other real
    books only), ``mix`` (those and the stand-in in one run) or ``finetune`` (the stand-in model
    fine-tuned on the real books); ``renders``: the recognizer also gets rare-class renders;
    ``tuned``: it also learns the arm's detector's boxes, draws classes by the plan's prior and
    validates on the tune page, where the thresholds are chosen; then both models refit with the
    tune page (``Plan.refit``, ``bench.experiments.realfold.final_models``): ``make submission``'s recipe."""

    detector: str
    recognizer: str
    renders: bool
    tuned: bool = False


ARMS = {
    "standin": Arm("standin", "standin", False),
    "real": Arm("real", "real", False),
    "mix": Arm("mix", "mix", True),
    "finetune": Arm("finetune", "finetune", True),
    "both": Arm("mix", "finetune", True),  # each model the way it reads the left-out books best
    "mix-plain": Arm("mix", "mix", False),
    "finetune-plain": Arm("finetune", "finetune", False),
    "both-plain": Arm("mix", "finetune", False),
    "both-tuned": Arm("mix", "finetune", True, True),
}
KINDS = {"real": ("real", False), "mix": ("mix", False), "finetune": ("real", True)}  # data, from stand-in
