"""Check the test suite the way mutation testing does: break one stage at a time, see a test fail.

Each mutant is one text replacement (a dropped scale factor, a shifted index, x and y swapped, a
crop off by some pixels) in a copy of the tree: the tracked files and new ones git does not
ignore. The tests named for the mutant run against the copy and stop at the first failure, the
test that caught it; a mutant whose tests all pass SURVIVED, a bug the suite would not notice.
The unmutated copy must pass the same tests first.

    .venv/bin/python tests/mutants.py [--only TEXT] [--list]      (make mutants)

Prints a table of mutation, file and catching test; exits 1 when a mutant survives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXACT = "tests/test_geometry_exact.py"
ORACLE = "tests/test_oracle.py"
PROPERTIES = "tests/test_properties.py"
SOURCES = "tests/test_sources.py"
LEVERS = "tests/test_f1_levers.py"
VIEWS = "tests/test_views.py"


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``path``; run ``tests``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = [
    # data: crops, geometry, formats, annotations, split
    Mutant(
        "crop cut 2 px too low",
        "data/crops.py",
        "cv2.threshold(gray[y0:y1, x0:x1], 0",
        "cv2.threshold(gray[y0 + 2 : y1 + 2, x0:x1], 0",
        (EXACT, ORACLE),
    ),
    Mutant(
        "crop with x and y swapped",
        "data/crops.py",
        "cv2.threshold(gray[y0:y1, x0:x1], 0",
        "cv2.threshold(gray[x0:x1, y0:y1], 0",
        (EXACT, ORACLE),
    ),
    Mutant(
        "crop not centred in its square",
        "data/crops.py",
        "square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = ink",
        "square[:h, :w] = ink",
        (EXACT, ORACLE),
    ),
    Mutant(
        "crop clipped to the page height in x",
        "data/crops.py",
        "x0 = np.clip(boxes[..., 0], 0, width - 1)",
        "x0 = np.clip(boxes[..., 0], 0, height - 1)",
        (EXACT, ORACLE),
    ),
    Mutant(
        "submission points with x and y swapped",
        "data/geometry.py",
        "[boxes[:, 0] + boxes[:, 2] // 2, boxes[:, 1] + boxes[:, 3] // 2]",
        "[boxes[:, 1] + boxes[:, 3] // 2, boxes[:, 0] + boxes[:, 2] // 2]",
        (EXACT, ORACLE),
    ),
    Mutant(
        "a point on a box's left edge counts as inside",
        "data/geometry.py",
        "(x0 < px) & (px < x1)",
        "(x0 <= px) & (px < x1)",
        ("tests/test_metric.py", PROPERTIES),
    ),
    Mutant(
        "page limits swapped when clipping boxes",
        "data/geometry.py",
        "np.minimum(x1, limits[:, 0]), np.minimum(y1, limits[:, 1])",
        "np.minimum(x1, limits[:, 1]), np.minimum(y1, limits[:, 0])",
        (EXACT, "tests/test_realpages.py"),
    ),
    Mutant(
        "labels written with their coordinates reversed",
        "data/formats.py",
        '" ".join([code, *map(str, row)])',
        '" ".join([code, *map(str, row[::-1])])',
        (PROPERTIES, "tests/test_formats.py"),
    ),
    Mutant(
        "held-out split twice the requested share",
        "data/split.py",
        "held = whole_books(sizes, fraction * len(image_ids))",
        "held = whole_books(sizes, 2 * fraction * len(image_ids))",
        ("tests/test_recognizer_data.py",),
    ),
    Mutant(
        "resume continues although the inputs changed",
        "data/infra/runs.py",
        "        if not changed:\n            return True",
        "        if True:\n            return True",
        ("tests/test_runs.py", "tests/test_recognizer.py"),
    ),
    Mutant(
        "pages read ahead come back out of order",
        "data/infra/io.py",
        "            if len(queue) > ahead:\n                yield queue.popleft().result()",
        "            if len(queue) > ahead:\n                yield queue.pop().result()",
        ("tests/test_io.py", ORACLE),
    ),
    # detect: tiling, label files, network input, output back to the page
    Mutant(
        "detector labels drop the page scale",
        "detect/dataset.py",
        "boxes_in_window(boxes * scale, window)",
        "boxes_in_window(boxes, window)",
        (EXACT,),
    ),
    Mutant(
        "label y divided by the tile width",
        "detect/dataset.py",
        "(tile[:, 1] + tile[:, 3]) / 2 / h,",
        "(tile[:, 1] + tile[:, 3]) / 2 / w,",
        (EXACT,),
    ),
    Mutant(
        "tile images cut with x and y swapped",
        "detect/dataset.py",
        "page[y0:y1, x0:x1]",
        "page[x0:x1, y0:y1]",
        (EXACT,),
    ),
    Mutant(
        "tiles step by the tile less half the overlap",
        "detect/tiles.py",
        "step = self.imgsz - self.overlap",
        "step = self.imgsz - self.overlap // 2",
        (EXACT, ORACLE, PROPERTIES),
    ),
    Mutant(
        "scaled page with width and height swapped",
        "detect/tiles.py",
        "size = (max(1, round(page.shape[1] * scale)), max(1, round(page.shape[0] * scale)))",
        "size = (max(1, round(page.shape[0] * scale)), max(1, round(page.shape[1] * scale)))",
        (EXACT, ORACLE),
    ),
    Mutant(
        "tile boxes half-visible dropped",
        "detect/tiles.py",
        "keep = (visible >= min_visible * np.maximum(area, 1e-6)) & (visible > 0)",
        "keep = (visible > min_visible * np.maximum(area, 1e-6)) & (visible > 0)",
        (EXACT,),
    ),
    Mutant(
        "tile offsets added as y, x",
        "detect/tiles.py",
        "boxes[~cut] + [x0, y0, x0, y0]",
        "boxes[~cut] + [y0, x0, y0, x0]",
        (EXACT, ORACLE, PROPERTIES),
    ),
    Mutant(
        "boxes cut by an inner tile edge kept",
        "detect/tiles.py",
        "all_boxes.append(boxes[~cut] + [x0, y0, x0, y0])",
        "all_boxes.append(boxes + [x0, y0, x0, y0])",
        (EXACT, ORACLE, PROPERTIES),
    ),
    Mutant(
        "detector output not scaled back to the page",
        "detect/predict.py",
        "boxes = boxes / scale",
        "boxes = boxes * 1.0",
        (EXACT, ORACLE),
    ),
    Mutant(
        "network input left in BGR order",
        "detect/predict.py",
        "torch.from_numpy(batch[..., ::-1].copy())",
        "torch.from_numpy(batch.copy())",
        (EXACT, ORACLE),
    ),
    Mutant(
        "merge told the page is height x width",
        "detect/predict.py",
        "merge_tiles(parts, windows, round(width * scale), round(height * scale), self.iou)",
        "merge_tiles(parts, windows, round(height * scale), round(width * scale), self.iou)",
        (EXACT, ORACLE),
    ),
    Mutant(
        "page boxes clipped to the page height in x",
        "detect/predict.py",
        "np.clip(np.floor(boxes[:, 0]), 0, width - 1)",
        "np.clip(np.floor(boxes[:, 0]), 0, height - 1)",
        (EXACT, ORACLE),
    ),
    Mutant(
        "detections of a batch given to the wrong page",
        "detect/predict.py",
        "parts, found = found[: len(page_tiles)], found[len(page_tiles) :]",
        "parts, found = found[-len(page_tiles) :], found[: -len(page_tiles)]",
        (EXACT, ORACLE),
    ),
    # recognize: network input, class index → unicode, probabilities
    Mutant(
        "class index shifted by one at inference",
        "recognize/predict.py",
        "np.array(self.classes, dtype=object)[labels]",
        "np.array(self.classes, dtype=object)[labels - 1]",
        (ORACLE,),
    ),
    Mutant(
        "softmax over the batch instead of the classes",
        "recognize/predict.py",
        "F.softmax(logits.float(), dim=1)",
        "F.softmax(logits.float(), dim=0)",
        (ORACLE,),
    ),
    Mutant(
        "crops not scaled to 0-1",
        "recognize/dataset.py",
        "images.unsqueeze(1).float().div_(255)",
        "images.unsqueeze(1).float()",
        (EXACT, ORACLE),
    ),
    Mutant(
        "training classes numbered from 1",
        "recognize/dataset.py",
        "index = {c: i for i, c in enumerate(classes)}",
        "index = {c: i + 1 for i, c in enumerate(classes)}",
        (ORACLE, "tests/test_recognizer.py::test_run_folder_checkpoints_and_interpretation"),
    ),
    Mutant(
        "two training processes share the same crops",
        "recognize/distributed.py",
        "positions[self.rank :: self.size]",
        "positions[0 :: self.size]",
        ("tests/test_distributed.py",),
    ),
    # submit: points, CSV rows, metric, evaluation
    Mutant(
        "points frame with x and y swapped",
        "submit/pipeline.py",
        "(r.image_id, u, int(x), int(y), float(s), float(p), float(s) * float(p))",
        "(r.image_id, u, int(y), int(x), float(s), float(p), float(s) * float(p))",
        (ORACLE, "tests/test_pipeline.py::test_points_carry_detector_times_recognizer_scores"),
    ),
    Mutant(
        "submission rows written as y x",
        "submit/submission.py",
        'format_labels(page["unicode"], page[["x", "y"]].to_numpy())',
        'format_labels(page["unicode"], page[["y", "x"]].to_numpy())',
        ("tests/test_submission.py", ORACLE, PROPERTIES),
    ),
    Mutant(
        "a box claims a point already claimed (duplicates count twice)",
        "submit/metric.py",
        "free = np.flatnonzero(candidates[row] & ~taken)",
        "free = np.flatnonzero(candidates[row])",
        ("tests/test_metric.py", PROPERTIES),
    ),
    Mutant(
        "metric ignores the class",
        "submit/metric.py",
        "    candidates &= np.asarray(truth_codes)[:, None] == np.asarray(pred_codes)[None, :]\n",
        "",
        ("tests/test_metric.py", PROPERTIES, ORACLE),
    ),
    Mutant(
        "spurious boxes counted over the true boxes",
        "submit/evaluation/losses.py",
        ".any(axis=0)).sum())",
        ".any(axis=1)).sum())",
        ("tests/test_losses.py",),
    ),
    Mutant(
        "centre-hit recall over predicted boxes",
        "submit/evaluation/evaluate.py",
        '"centre_hit_recall": tally["found"] / n_true',
        '"centre_hit_recall": tally["found"] / max(tally["predicted"], 1)',
        (ORACLE,),
    ),
    Mutant(
        "forked workers keep the parent's OpenCV threads",
        "data/infra/workers.py",
        "    cv2.setNumThreads(1)\n    try:",
        "    try:",
        ("tests/test_workers.py",),
    ),
    # several sources: the union, the first source's hold-out, weights, fine-tuning
    Mutant(
        "extra source's ids left unprefixed",
        "data/sources.py",
        'prefix = "" if k == 0 else name + MARK',
        'prefix = ""',
        (SOURCES,),
    ),
    Mutant(
        "books of every source held out",
        "data/split.py",
        "real = first_source(data, annotations.image_ids)",
        "real = annotations.image_ids",
        (SOURCES,),
    ),
    Mutant(
        "a source's weight ignored by the class prior",
        "data/balance.py",
        "p = weights * counts[inverse] ** -power",
        "p = counts[inverse] ** -power",
        (SOURCES,),
    ),
    Mutant(
        "a weighted page's tiles weigh 1",
        "detect/dataset.py",
        "{tile: weights[page] for page, made in trained for tile in made}",
        "{tile: 1.0 for page, made in trained for tile in made}",
        (EXACT,),
    ),
    Mutant(
        "every rank draws the whole weighted pass",
        "detect/weighted.py",
        "drawn[self.rank :: self.world]",
        "drawn[self.rank :]",
        (EXACT,),
    ),
    Mutant(
        "fine-tuned output rows matched by position",
        "recognize/engine.py",
        "theirs = [index[classes[k]] for k in mine]",
        "theirs = [k for k in mine]",
        ("tests/test_init.py",),
    ),
    Mutant(
        "tune-page crops train the recognizer too",
        "recognize/dataset.py",
        "train, valid = keep[~tune], keep[tune & crops.real[keep]]",
        "train, valid = keep, keep[tune & crops.real[keep]]",
        (LEVERS,),
    ),
    Mutant(
        "a detected box labelled by a true box its centre only touches",
        "data/geometry.py",
        "return (x0 < px) & (px < x1) & (y0 < py) & (py < y1)",
        "return (x0 <= px) & (px <= x1) & (y0 <= py) & (py <= y1)",
        (LEVERS,),
    ),
    Mutant(
        "a detected box labelled by the last true box its centre is in",
        "detect/boxcrops.py",
        "inside.argmax(axis=0)",
        "len(truth) - 1 - inside[::-1].argmax(axis=0)",
        (LEVERS,),
    ),
    Mutant(
        "background crops share one sample id",
        "detect/boxcrops.py",
        "fresh + np.cumsum(~hit) - 1",
        "fresh + 0 * np.cumsum(~hit)",
        (LEVERS,),
    ),
    Mutant(
        "the background class is kept",
        "submit/pipeline.py",
        "& (reading.unicodes != BACKGROUND)",
        "& (reading.unicodes != BACKGROUND + '?')",
        (LEVERS,),
    ),
    Mutant(
        "probability threshold ignored",
        "submit/pipeline.py",
        "(reading.probs >= self.prob)",
        "(reading.probs >= 0)",
        (LEVERS,),
    ),
    Mutant(
        "tuning picks the last of equal F1s (the highest thresholds)",
        "submit/evaluation/tune.py",
        "i, j = np.unravel_index(int(np.argmax(f1)), f1.shape)",
        "i, j = np.unravel_index(f1.size - 1 - int(np.argmax(f1.ravel()[::-1])), f1.shape)",
        (LEVERS,),
    ),
    Mutant(
        "the grid keeps points under the confidence threshold",
        "submit/evaluation/tune.py",
        "(r.scores[None] >= pairs[:, :1])",
        "(r.scores[None] >= 0)",
        (LEVERS,),
    ),
    Mutant(
        "class prior on raw counts, not weighted ones",
        "data/balance.py",
        "inverse, counts = class_counts(labels, weights)",
        "inverse, counts = class_counts(labels)",
        (LEVERS,),
    ),
    Mutant(
        "the final split leaves the held-out books out",
        "data/split.py",
        '(split["fit"] + split["holdout"], [])',
        '(split["fit"], [])',
        (LEVERS,),
    ),
    Mutant(
        "the final detector starts from scratch",
        "submit/recipe.py",
        'detector(st, s, job, "final.detector", data, every, final / "detector", models[0])',
        'detector(st, s, job, "final.detector", data, every, final / "detector", None)',
        ("tests/test_recipe.py",),
    ),
    Mutant(
        "the final recognizer starts from scratch",
        "submit/recipe.py",
        'final / "recognizer", models[1], final=True)',
        'final / "recognizer", None, final=True)',
        ("tests/test_recipe.py",),
    ),
    Mutant(
        "box errors scaled by the wrong side",
        "detect/boxerrors.py",
        "return boxes[:, [2, 3, 2, 3]]",
        "return boxes[:, [3, 2, 3, 2]]",
        (LEVERS,),
    ),
    Mutant(
        "jitter moves the box the other way",
        "detect/boxerrors.py",
        "+ np.asarray(errors) * sides(boxes)",
        "- np.asarray(errors) * sides(boxes)",
        (LEVERS,),
    ),
    Mutant(
        "accuracy on the true boxes of the detected counts every character",
        "submit/evaluation/evaluate.py",
        "right_on_true_found=int(correct[hit].sum())",
        "right_on_true_found=int(correct.sum())",
        (ORACLE,),
    ),
    Mutant(
        "confusions paired the wrong way round",
        "submit/evaluation/confusions.py",
        "pair = (str(match.codes[k]), str(reading.unicodes[match.owner[k]]))",
        "pair = (str(reading.unicodes[match.owner[k]]), str(match.codes[k]))",
        (LEVERS,),
    ),
    Mutant(
        "jittered boxes labelled by the next true box",
        "detect/boxcrops.py",
        "owner = np.concatenate([owner, np.arange(len(true))])",
        "owner = np.concatenate([owner, np.roll(np.arange(len(true)), 1)])",
        (LEVERS,),
    ),
    Mutant(
        "jitter drawn from an empty error table",
        "detect/boxcrops.py",
        "if errors is not None and len(errors) and len(true):",
        "if errors is not None and len(true):",
        (LEVERS,),
    ),
    Mutant(
        "the saved thresholds are not the chosen ones",
        "submit/evaluation/tune.py",
        'chosen.save(out / "thresholds.json", **details)',
        'Thresholds(chosen.conf, chosen.prob + 0.05).save(out / "thresholds.json", **details)',
        (LEVERS,),
    ),
    Mutant(
        "the recognizer trains without the tune-page split",
        "submit/recipe.py",
        'st, s, job, "recognizer", train_on, held, work / "recognizer", init',
        'st, s, job, "recognizer", train_on, None, work / "recognizer", init',
        ("tests/test_recipe.py",),
    ),
    Mutant(
        "a stage skipped though a setting changed",
        "data/infra/stages.py",
        "if before != after:",
        "if before != after and False:",
        ("tests/test_stages.py", "tests/test_recipe.py"),
    ),
    Mutant(
        "a stage skipped though its output changed",
        "data/infra/stages.py",
        'if found != out["fingerprint"]:',
        "if False:",
        ("tests/test_stages.py",),
    ),
    Mutant(
        "a rerun of a stage that made the same bytes reruns what reads them",
        "data/infra/stages.py",
        "self.write(name, settings, now, outputs, time.time() - began)",
        "self.write(name, settings, now, outputs, time.time() - began)\n"
        "        self.remade |= {Path(p).resolve() for p in outputs.values()}",
        ("tests/test_stages.py",),
    ),
    Mutant(
        "the cpu profile on a CUDA GPU",
        "data/infra/settings.py",
        'return (GPU, "the device is a CUDA GPU") if cuda else (CPU, "the device is the CPU")',
        'return (CPU, "the device is a CUDA GPU") if cuda else (CPU, "the device is the CPU")',
        ("tests/test_settings.py",),
    ),
    Mutant(
        "an override kept as text",
        "data/infra/settings.py",
        "return type(like)(text)",
        "return text",
        ("tests/test_settings.py",),
    ),
    Mutant(
        "a worker's DataError cannot be rebuilt in the parent",
        "data/infra/errors.py",
        "return DataError, (self.file, self.problem, self.line)",
        "return super().__reduce__()",
        ("tests/test_io.py", "tests/test_realcheck.py"),
    ),
    Mutant(
        "a worker's DataError loses its line",
        "data/infra/errors.py",
        "return DataError, (self.file, self.problem, self.line)",
        "return DataError, (self.file, self.problem)",
        ("tests/test_io.py",),
    ),
    Mutant(
        "the pipeline reads one view though the thresholds ask for several",
        "submit/pipeline.py",
        "read_characters(self.recognizer, grays, boxes, t.tta, t.unsure, self.top, seconds)",
        "read_characters(self.recognizer, grays, boxes, False, t.unsure, self.top, seconds)",
        (VIEWS,),
    ),
    Mutant(
        "the recognizer keeps the first view's probabilities only",
        "recognize/predict.py",
        ".view(len(views), -1, logits.shape[1]).mean(0)",
        ".view(len(views), -1, logits.shape[1])[0]",
        (VIEWS,),
    ),
    Mutant(
        "a view moved down instead of right",
        "submit/views.py",
        "(0.05, 0.0, 0.05, 0.0),",
        "(0.0, 0.05, 0.0, 0.05),",
        (VIEWS,),
    ),
    Mutant(
        "saved thresholds forget the views",
        "submit/pipeline.py",
        'bool(saved.get("tta", False))',
        "False",
        (VIEWS,),
    ),
    Mutant(
        "tuning with views saves thresholds without them",
        "submit/evaluation/tune.py",
        "chosen = replace(best(f1[row]), tta=tta, unsure=unsure)",
        "chosen = replace(best(f1[row]), tta=tta)",
        (VIEWS,),
    ),
    Mutant(
        "true boxes read in one view while the detected ones are read in several",
        "submit/evaluation/evaluate.py",
        "(on_true,) = pipeline.classify([gray], [match.boxes], Counter())",
        "(on_true,) = Pipeline(pipeline.detector, pipeline.recognizer).classify([gray], [match.boxes])",
        (VIEWS,),
    ),
    Mutant(
        "every box read in every view though only the unsure ones should be",
        "submit/views.py",
        "first_probs < (np.inf if unsure is None else unsure)",
        "first_probs < np.inf",
        (VIEWS,),
    ),
    Mutant(
        "the tuning grid views the sure boxes instead of the unsure",
        "submit/evaluation/tune.py",
        "viewed = r.first_probs < gate",
        "viewed = r.first_probs >= gate",
        (LEVERS,),
    ),
    Mutant(
        "batched crops not centred in their squares",
        "data/crops.py",
        "tops, lefts = (sides[stack] - h) // 2, (sides[stack] - w) // 2",
        "tops, lefts = 0 * h, 0 * w",
        (EXACT,),
    ),
    Mutant(
        "batched crops of one side put back in the wrong order",
        "data/crops.py",
        "crops[mine] = made.reshape(-1, SIZE, SIZE)[place[mine]]",
        "crops[mine] = made.reshape(-1, SIZE, SIZE)[place[mine]][::-1]",
        (EXACT,),
    ),
    Mutant(
        "the recipe chooses the thresholds without the views",
        "submit/recipe.py",
        'tune(data, split_file, *models, out.parent, job.device, s["recipe.tta"], s["recipe.views_share"])',
        'tune(data, split_file, *models, out.parent, job.device, False, s["recipe.views_share"])',
        ("tests/test_recipe.py",),
    ),
    Mutant(
        "a checkpoint's archive named after its temporary file",
        "data/infra/checkpoint.py",
        """    with atomic_path(path) as tmp, tmp.open("wb") as f:
        torch.save(payload, f)""",
        """    with atomic_path(path) as tmp:
        torch.save(payload, tmp)""",
        ("tests/test_runs.py",),
    ),
    Mutant(
        "realcheck reads the left-out book with the split's models, not the final ones",
        "bench/experiments/realcheck.py",
        'models = done["final"]',
        'models = (done["detector"], done["recognizer"])',
        ("tests/test_realcheck.py",),
    ),
    Mutant(
        "realcheck's final models train on the left-out book too",
        "data/split.py",
        'if holdout else (split["fit"], split["holdout"])',
        'if holdout else (split["fit"] + split["holdout"], [])',
        ("tests/test_realcheck.py",),
    ),
]


def copy_tree(target: Path) -> None:
    """Copy the files git tracks or would track (not .venv, build/ or caches) to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_symlink() or not source.is_file():
            continue  # .venv is a link to the environment; deleted files are listed too
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    fonts = ROOT / "build" / "fonts"
    if fonts.is_dir():  # the same generated test pages as the real tree
        (target / "build").mkdir(exist_ok=True)
        (target / "build" / "fonts").symlink_to(fonts)


def run_tests(tree: Path, tests: list[str]) -> tuple[int, str]:
    """Run pytest on ``tests`` in ``tree``, stopping at the first failure: (exit status, output)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # subprocesses import the copy, not an installed tree
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    return result.returncode, result.stdout + result.stderr


def first_failure(output: str) -> str:
    """The test named on the first FAILED or ERROR line of pytest's summary, else the last line."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            kind, rest = line.split(" ", 1)
            name = rest.split(" - ")[0]
            return name if kind == "FAILED" else f"{name} (error)"
    return output.strip().splitlines()[-1] if output.strip() else "(no output)"


def apply(tree: Path, mutant: Mutant) -> str:
    """Write the mutant into ``tree``; return the original text of its file."""
    path = tree / mutant.path
    text = path.read_text()
    count = text.count(mutant.old)
    if count != 1:
        raise SystemExit(f"mutant {mutant.name!r}: {mutant.path} holds its text {count} times, not once")
    path.write_text(text.replace(mutant.old, mutant.new))
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the mutants whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if not args.only or args.only in m.name]
    if args.list or not mutants:
        for m in mutants:
            print(f"{m.name}  ({m.path}; {', '.join(m.tests)})")
        return 0 if mutants else 2
    with tempfile.TemporaryDirectory(prefix="mutants-") as folder:
        tree = Path(folder) / ROOT.name
        copy_tree(tree)
        shared = ROOT.parent / "shared"
        if shared.is_dir():  # the tests that read ../shared (real pages) run in the copy too
            (Path(folder) / "shared").symlink_to(shared)
        for m in mutants:  # every mutant's text is there before any test runs
            (tree / m.path).write_text(apply(tree, m))
        tests = sorted({t for m in mutants for t in m.tests})
        began = time.perf_counter()
        status, output = run_tests(tree, tests)
        if status != 0:
            print(output[-3000:])
            print(f"the unmutated copy fails its tests ({first_failure(output)}): fix that first")
            return 1
        print(f"unmutated copy: {len(tests)} test files pass ({time.perf_counter() - began:.0f} s)\n")
        rows = []
        for m in mutants:
            original = apply(tree, m)
            began = time.perf_counter()
            status, output = run_tests(tree, list(m.tests))
            (tree / m.path).write_text(original)
            caught = "SURVIVED" if status == 0 else first_failure(output)
            rows.append((m.name, m.path, caught))
            print(f"{m.name}: {caught} ({time.perf_counter() - began:.0f} s)", flush=True)
    widths = [max(len(r[k]) for r in rows) for k in range(2)]
    print(f"\n{'mutation':<{widths[0]}}  {'file':<{widths[1]}}  caught by")
    for name, path, caught in rows:
        print(f"{name:<{widths[0]}}  {path:<{widths[1]}}  {caught}")
    survived = [r for r in rows if r[2] == "SURVIVED"]
    print(f"\n{len(rows) - len(survived)} of {len(rows)} mutants caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
