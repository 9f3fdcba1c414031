"""The recipe: every stage from the data to the submission, once, in the order they depend on.

    data (generate, or join DATA and EXTRA) → split → detector → crops → box errors → box crops
    → recognizer → thresholds → held-out evaluation → final models → test pages → report

Each stage is a ``data.infra.stages.Stages`` call: it records the settings it uses and the
fingerprints of its inputs and outputs, and reruns exactly when one of them changed. ``make
submission``, ``make realcheck``, ``make ablation`` and the benches all run these functions; the
settings come from one profile (``data.infra.settings``). With EXTRA (real pages plus a stand-in),
the detector trains once on both, and the recognizer starts from the stand-in's own recognizer
(that run's ``recognizer`` stage) and fine-tunes on the real crops and font renders of the real
classes with few crops. ``python -m submit TARGET`` is the command line (``submit.__main__``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from data.crops import CropSet, make_crops
from data.infra.errors import DataError
from data.infra.io import atomic_path
from data.infra.settings import Settings
from data.infra.stages import Stages
from data.sources import combine
from data.split import make_split, refit_split
from detect.settings import DetectorConfig
from recognize.train import Config

TARGETS = ("data", "detector", "crops", "recognizer", "thresholds", "evaluate", "final", "submission")


@dataclass(frozen=True)
class Job:
    """What the recipe reads and where it writes: ``data`` a Kaggle-layout folder (None: the
    embedded data of ``data.preset``), ``extra`` a second source (a folder, or a preset name),
    ``work`` the run's folder (default ``build/<name>``), the device and the recognizer's
    training processes; ``holdout_books`` holds out these books (leave one book out: the final
    models then keep them out too, and read them)."""

    data: Path | None = None
    extra: str | None = None
    work: Path | None = None
    device: str = "auto"
    nproc: int = 1
    holdout_books: tuple[str, ...] = ()
    build: Path = Path("build")

    def name(self, s: Settings) -> str:
        """build/<name>: the data folder's name or the preset, and the extra source's."""
        base = self.data.resolve().name if self.data else s["data.preset"]
        return f"{base}+{Path(self.extra).resolve().name}" if self.extra else base

    def folder(self, s: Settings) -> Path:
        return self.work or self.build / self.name(s)


def data_inputs(data: Path, test: bool = False) -> dict[str, Path | None]:
    """The files of a Kaggle-layout folder that a stage reads (its train side, or its test side)."""
    names = (
        ["test_images", "sample_submission.csv", "test_answers.csv"]
        if test
        else ["train.csv", "unicode_translation.csv", "train_images", "sources.json", "reading_order.csv"]
    )
    return {name: data / name if (data / name).exists() else None for name in names}


def has_test_pages(data: Path) -> bool:
    return (data / "sample_submission.csv").is_file() or (data / "test_images").is_dir()


def recorded(s: Settings, section: str, *extra: str) -> dict:
    """Every setting of a section, and these others, by dotted name (what a stage records)."""
    return {**{f"{section}.{k}": v for k, v in s.section(section).items()}, **s.pick(extra)}


def generate(st: Stages, s: Settings, build: Path, preset: str) -> Path:
    """The embedded data set of ``preset`` in build/data/<preset> (shared by every run)."""
    from data.fonts import glyph_faces
    from data.synth.generate import generate as draw

    out = build / "data" / preset
    faces = [f.path.name for f in glyph_faces(True)]
    settings = {"preset": preset, "fonts": faces, **s.pick(["seed", "data.pages"])}
    return st.child(build / "data", "data/")(
        preset,
        settings,
        {},
        {"train.csv": out / "train.csv", "train_images": out / "train_images"},
        lambda: draw(out, preset, s["seed"], pages=s["data.pages"] or None),
    )["train.csv"].parent


def dataset(job: Job, s: Settings, st: Stages) -> Path:
    """The run's Kaggle-layout folder: DATA, the embedded data, or DATA joined with EXTRA."""
    if job.data is not None and not (job.data / "train.csv").is_file():
        raise DataError(job.data / "train.csv", "not found: point DATA at the unzipped Kaggle download")
    real = job.data or generate(st, s, job.build, s["data.preset"])
    if not job.extra:
        return real
    extra = Path(job.extra)
    if not (extra / "train.csv").is_file():
        extra = generate(st, s, job.build, job.extra)
    out = job.folder(s) / "union"
    weights = s.pick(["sources.data_weight", "sources.extra_weight"])
    inputs = {f"real {k}": p for k, p in data_inputs(real).items()}
    inputs |= {f"extra {k}": p for k, p in data_inputs(extra).items()}
    sources = [(real, weights["sources.data_weight"]), (extra, weights["sources.extra_weight"])]
    return st("union", weights, inputs, {"train.csv": out / "train.csv"}, lambda: combine(sources, out))[
        "train.csv"
    ].parent


def split(st: Stages, s: Settings, data: Path, out: Path, books: tuple[str, ...]) -> Path:
    """split.json: held-out books (``books``, or drawn), tune pages and the detector's pages."""
    from data.infra.io import write_json

    settings = {**s.pick(["seed", "data.holdout", "data.detector_valid"]), "holdout_books": list(books)}
    held = list(books) or None

    def make() -> None:
        write_json(out, make_split(data, s["data.holdout"], s["data.detector_valid"], s["seed"], held))

    return st("split", settings, data_inputs(data), {"split": out}, make)["split"]


def final_split(st: Stages, split_file: Path, out: Path, keep_out: bool) -> Path:
    """The final models' split: every page trains, the held-out books too unless ``keep_out``."""
    from data.infra.io import write_json

    def make() -> None:
        write_json(out, refit_split(json.loads(split_file.read_text()), holdout=not keep_out))

    return st("final.split", {"keep_out": keep_out}, {"split": split_file}, {"split": out}, make)["split"]


def detector(
    st: Stages, s: Settings, job: Job, name: str, data: Path, split_file: Path, run: Path, init: Path | None
) -> Path:
    """A detector run: from scratch, or ``init`` trained ``recipe.refit_epochs`` more epochs."""
    from detect.train import train

    cfg = s.build(DetectorConfig, "detector", seed=s["seed"])
    settings = recorded(s, "detector", "seed")
    if init is not None:
        cfg = replace(cfg, epochs=s["recipe.refit_epochs"])
        settings = {**settings, "detector.epochs": None, **s.pick(["recipe.refit_epochs"])}
    inputs = {**data_inputs(data), "split": split_file, "init": init}
    make = lambda: train(data, split_file, run, cfg, job.device, True, init)  # noqa: E731
    return st(name, settings, inputs, {"model": run / "model.pt"}, make)["model"]


def crops(st: Stages, s: Settings, name: str, data: Path, split_file: Path, out: Path, extra: bool) -> Path:
    """The true boxes of the split's fit pages, cut and binarized; with an extra source, the real
    pages' only, plus font renders of the real classes with fewer than ``sources.rare_below`` crops."""
    settings = {**s.pick(["seed"]), "real_only": extra}
    if extra:
        settings |= s.pick(["sources.rare_below", "sources.renders"])

    def make() -> None:
        fit = json.loads(split_file.read_text())["fit"]
        cut = make_crops(data, fit, real_only=extra)
        if extra and s["sources.rare_below"] > 0:
            from data.synth.renders import with_renders

            cut = with_renders(cut, s["sources.rare_below"], s["sources.renders"], s["seed"])
        cut.save(out)

    inputs = {**data_inputs(data), "split": split_file}
    return st(name, settings, inputs, {"crops": out}, make)["crops"]


def box_errors(st: Stages, job: Job, data: Path, split_file: Path, model: Path, out: Path) -> Path:
    """The detector's box errors on the tune pages (``detect.boxerrors``)."""
    from detect.boxerrors import measure
    from detect.predict import Detector

    def make() -> None:
        errors = measure(data, split_file, Detector.load(model, job.device))
        with atomic_path(out) as tmp, tmp.open("wb") as f:
            np.save(f, errors)

    inputs = {**data_inputs(data), "split": split_file, "detector": model}
    return st("box_errors", {}, inputs, {"errors": out}, make)["errors"]


def box_crops(
    st: Stages,
    s: Settings,
    job: Job,
    name: str,
    data: Path,
    cut: Path,
    model: Path,
    errors: Path | None,
    out: Path,
) -> Path:
    """The true-box crops plus the detector's boxes on the same pages, and with ``errors`` each
    true box once more, jittered (``detect.boxcrops``)."""
    from detect.boxcrops import box_crops as cut_boxes
    from detect.predict import Detector

    def make() -> None:
        jitter = np.load(errors) if errors is not None else None
        found = Detector.load(model, job.device)
        cut_boxes(data, CropSet.load(cut), found, jitter, s["seed"]).save(out)

    inputs = {**data_inputs(data), "crops": cut, "detector": model, "errors": errors}
    return st(name, s.pick(["seed", "recipe.jitter"]), inputs, {"crops": out}, make)["crops"]


def recognizer(
    st: Stages,
    s: Settings,
    job: Job,
    name: str,
    cut: Path,
    split_file: Path | None,
    run: Path,
    init: Path | None,
    final: bool = False,
) -> Path:
    """A recognizer run on ``cut``; the split's tune pages validate it. The final one trains
    ``recipe.refit_epochs`` more epochs from ``init`` on every crop, with no validation."""
    settings = recorded(s, "recognizer", "seed", "recipe.box_crops", "recipe.jitter")
    if final:
        s = s.override(
            {"recognizer.epochs": s["recipe.refit_epochs"], "recognizer.valid": 0.0}, "final models"
        )
        settings = {**settings, "recognizer.epochs": None, **s.pick(["recipe.refit_epochs"])}
    cfg = s.build(Config, "recognizer", seed=s["seed"])
    inputs = {"crops": cut, "split": split_file, "init": init}

    def make() -> None:
        if job.nproc > 1:
            torchrun(s, job, cut, split_file, run, init)
        else:
            from recognize.train import train

            train(cfg, cut, run, job.device, True, init, split_file)
        if not final:
            from recognize.interpret import interpret

            interpret(run, job.device)

    return st(name, settings, inputs, {"model": run / "model.pt"}, make)["model"]


def torchrun(s: Settings, job: Job, cut: Path, split_file: Path | None, run: Path, init: Path | None) -> None:
    """The recognizer trained by ``job.nproc`` processes (torchrun + DistributedDataParallel)."""
    command = [
        str(Path(sys.executable).with_name("torchrun")),
        "--standalone",
        f"--nproc_per_node={job.nproc}",
    ]
    command += ["-m", "recognize.train", "--crops", str(cut), "--run-dir", str(run), "--device", job.device]
    command += ["--resume", "--no-interpret", "--profile", s.profile, "--set", " ".join(s.assignments())]
    command += [
        *(["--split", str(split_file)] if split_file else []),
        *(["--init", str(init)] if init else []),
    ]
    if subprocess.run(command, check=False).returncode:
        raise DataError(run, "the recognizer's training processes failed (see above)")


def thresholds(
    st: Stages, s: Settings, job: Job, data: Path, split_file: Path, models: tuple[Path, Path], out: Path
) -> Path:
    """thresholds.json: chosen for F1 on the tune pages (``recipe.tune``), or the defaults; with
    ``recipe.tta`` every later reading reads boxes in several views: every box, or with
    ``recipe.views_share`` below 1 and tuning, the unsure ones (``submit.evaluation.tune.gate``)."""
    from submit.evaluation.tune import tune
    from submit.pipeline import Thresholds

    def make() -> None:
        if s["recipe.tune"]:
            tune(data, split_file, *models, out.parent, job.device, s["recipe.tta"], s["recipe.views_share"])
        else:
            Thresholds(tta=s["recipe.tta"]).save(out, tune_pages=0)

    inputs = {**data_inputs(data), "split": split_file, "detector": models[0], "recognizer": models[1]}
    chosen = s.pick(["recipe.tune", "recipe.tta", "recipe.views_share"])
    return st("thresholds", chosen, inputs, {"thresholds": out}, make)["thresholds"]


def evaluate(
    st: Stages,
    job: Job,
    name: str,
    data: Path,
    split_file: Path,
    models: tuple[Path, Path],
    chosen: Path,
    out: Path,
) -> Path:
    """The held-out books read end to end (``submit.evaluation.evaluate``): evaluate.json."""
    from submit.evaluation.evaluate import evaluate as read_held_out

    inputs = {**data_inputs(data), "split": split_file, "detector": models[0], "recognizer": models[1]}
    make = lambda: read_held_out(data, split_file, *models, out, job.device, thresholds=chosen)  # noqa: E731
    return st(name, {}, {**inputs, "thresholds": chosen}, {"result": out / "evaluate.json"}, make)["result"]


def test_pages(st: Stages, job: Job, data: Path, models: tuple[Path, Path], chosen: Path, out: Path) -> Path:
    """The test pages read into the submission CSV (``submit.predict``)."""
    from submit.predict import predict

    inputs = {
        **data_inputs(data, test=True),
        "detector": models[0],
        "recognizer": models[1],
        "thresholds": chosen,
    }
    make = lambda: predict(data, *models, out, job.device, thresholds=chosen)  # noqa: E731
    return st("submission", {}, inputs, {"csv": out, "summary": out.with_suffix(".json")}, make)["csv"]


def run(job: Job, s: Settings, target: str = "submission", st: Stages | None = None) -> dict[str, Path]:
    """Run the recipe up to ``target`` (``TARGETS``); what it made, by name."""
    if target not in TARGETS:
        raise DataError("target", f"{target!r} is not one of {', '.join(TARGETS)}")
    work = job.folder(s)
    st = st or Stages(work)
    done = {"work": work}
    last = TARGETS.index(target)

    def reached(name: str) -> bool:
        return TARGETS.index(name) >= last

    data = done["data"] = dataset(job, s, st)
    held = done["split"] = split(st, s, data, work / "split.json", job.holdout_books)
    if reached("data"):
        return done
    found = done["detector"] = detector(st, s, job, "detector", data, held, work / "detector", None)
    if reached("detector"):
        return done
    cut = crops(st, s, "crops", data, held, work / "crops.npz", bool(job.extra))
    errors = box_errors(st, job, data, held, found, work / "box_errors.npy") if s["recipe.jitter"] else None
    train_on = cut
    if s["recipe.box_crops"]:
        train_on = box_crops(st, s, job, "box_crops", data, cut, found, errors, work / "boxcrops.npz")
    done["crops"] = train_on
    if reached("crops"):
        return done
    init = starting_recognizer(job, s, st)
    model = done["recognizer"] = recognizer(
        st, s, job, "recognizer", train_on, held, work / "recognizer", init
    )
    if reached("recognizer"):
        return done
    chosen = done["thresholds"] = thresholds(
        st, s, job, data, held, (found, model), work / "tune" / "thresholds.json"
    )
    if reached("thresholds"):
        return done
    if st.dry or json.loads(held.read_text())["holdout"]:  # a plan cannot know: the split is unmade
        done["evaluate"] = evaluate(
            st, job, "evaluate", data, held, (found, model), chosen, work / "evaluate"
        )
    else:
        st.say("evaluate: no page is held out (split.json), so there is no held-out score")
    if reached("evaluate"):
        return done
    finals = done["final"] = final_models(st, s, job, data, held, (found, model), errors)
    if job.holdout_books:
        done["final.evaluate"] = evaluate(
            st, job, "final.evaluate", data, held, finals, chosen, work / "final" / "evaluate"
        )
    if reached("final"):
        return done
    if job.data is None or has_test_pages(job.data):  # embedded data has test pages; a union, DATA's
        done["submission"] = test_pages(st, job, data, finals, chosen, work / "submission.csv")
    return done


def final_models(
    st: Stages, s: Settings, job: Job, data: Path, held: Path, models: tuple[Path, Path], errors: Path | None
) -> tuple[Path, Path]:
    """The models that write the submission: the split's, each trained ``recipe.refit_epochs``
    more epochs on every page (the tune pages and, unless left out, the held-out books included);
    the split's themselves with ``recipe.refit`` off. The thresholds stay the split's."""
    if not s["recipe.refit"]:
        return models
    final = job.folder(s) / "final"
    every = final_split(st, held, final / "split.json", bool(job.holdout_books))
    found = detector(st, s, job, "final.detector", data, every, final / "detector", models[0])
    cut = crops(st, s, "final.crops", data, every, final / "crops.npz", bool(job.extra))
    if s["recipe.box_crops"]:
        cut = box_crops(st, s, job, "final.box_crops", data, cut, found, errors, final / "boxcrops.npz")
    model = recognizer(st, s, job, "final.recognizer", cut, None, final / "recognizer", models[1], final=True)
    return found, model


def starting_recognizer(job: Job, s: Settings, st: Stages) -> Path | None:
    """With an extra source: the recognizer of the extra's own run, which the real crops fine-tune."""
    if not job.extra:
        return None
    own, own_settings = own_run(job, s, job.extra, "EXTRA")
    return run(own, own_settings, "recognizer", st.child(own.folder(own_settings), "extra/"))["recognizer"]


def own_run(job: Job, s: Settings, source: str, origin: str) -> tuple[Job, Settings]:
    """The recipe run of ``source`` alone (a Kaggle-layout folder, or a preset generated under
    ``data.preset``), in its default work folder: the one an extra source's recognizer comes from."""
    alone = replace(job, extra=None, work=None, holdout_books=())
    if (Path(source) / "train.csv").is_file():
        return replace(alone, data=Path(source)), s
    return replace(alone, data=None), s.override({"data.preset": source}, origin)
