"""End-to-end evaluation on held-out books that neither model saw.

Reports, in one table and evaluate.json: the detector's centre-hit recall (and IoU-0.5 precision
and recall), the recognizer's accuracy on the characters the detector found, the competition
F1 with its precision and recall, and the character error rate of the transcriptions in reading
order and of the ordering alone (``submit.reading.transcribe``); draws pictures of held-out pages with
mistakes marked and of the commonest confusions, and writes the page viewer, viewer.html.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import cv2

from data.annotations import load_train
from data.geometry import iou_matches
from data.infra.cli import reading_options
from data.infra.errors import DataError, run_cli
from data.infra.io import write_json
from data.truth_order import true_order
from submit.cer import cer
from submit.evaluation.confusions import Confusions
from submit.evaluation.losses import page_losses, shortfall
from submit.match import PageMatch
from submit.metric import Score
from submit.picture import draw_page
from submit.pipeline import Pipeline, Thresholds
from submit.reading.order import reading_order
from submit.reading.transcribe import chars_of, reading_scores, truth_text
from submit.reading.viewer import ViewerPage, embedded_jpeg, write_viewer


def evaluate(
    data: str | Path,
    split: str | Path | None,
    detector: str | Path,
    recognizer: str | Path,
    out: str | Path,
    device: str = "auto",
    pictures: int = 3,
    viewer: int = 20,
    thresholds: str | Path | None = None,
) -> dict:
    """Run the pipeline on the split's held-out pages; write evaluate.json, pictures/ and viewer.html.

    Without a split every page of ``data`` is read: an outside set no model saw, such as real pages.
    ``thresholds``: thresholds.json from ``submit.evaluation.tune`` (default: the detector's 0.25, no other).
    Each page is decoded once and matched to its truth once (``submit.match``); every figure,
    picture and the viewer come from that one pass.
    """
    data, out = Path(data), Path(out)
    truth = load_train(data, report=False)
    holdout = truth.image_ids if split is None else json.loads(Path(split).read_text())["holdout"]
    if not holdout:
        raise DataError(split or data, "no held-out pages")
    trained = truth.boxes[~truth.boxes["image_id"].isin(holdout)]["unicode"].value_counts().to_dict()
    truth = truth.subset(holdout)
    pages = truth.page_boxes()
    orders = true_order(data, pages)
    drawn = set(sorted(holdout, key=lambda i: -len(pages[i]))[:pictures])
    pipeline = Pipeline.load(detector, recognizer, device, Thresholds.load(thresholds))
    classes = set(pipeline.recognizer.classes)
    tally, lost, total, confusions = Counter(), Counter(), Score(), Confusions()
    texts, shown, pictures_dir = {}, [], out / "pictures"
    paths = [data / "train_images" / f"{i}.jpg" for i in holdout]
    for reading, image in pipeline.read_pages(paths, "reading held-out pages"):
        page, match = pages[reading.image_id], PageMatch.of(reading, pages[reading.image_id])
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        (on_true,) = pipeline.classify([gray], [match.boxes], Counter())  # not the pipeline's time
        correct = on_true.unicodes == match.codes
        hit = match.hits
        tally.update(
            pages=1,
            true=len(match.codes),
            predicted=len(reading.boxes),
            iou_matched=iou_matches(reading.boxes, reading.scores, match.boxes),
            found=int(hit.sum()),
            right=int((reading.unicodes[match.owner[hit]] == match.codes[hit]).sum()),
            known=sum(code in classes for code in match.codes),
            right_on_true=int(correct.sum()),
            right_on_true_found=int(correct[hit].sum()),
        )
        total += match.score
        lost += page_losses(reading, match, trained)
        confusions.add(reading, match, gray)
        ordered = reading_order(reading.boxes)
        texts[reading.image_id] = ordered.text(chars_of(reading.unicodes))
        if reading.image_id in drawn:
            draw_page(image, reading, match, pictures_dir / f"holdout_{reading.image_id}.png")
        if len(shown) < viewer:
            true = truth_text(page, orders[reading.image_id])
            note = f"transcription CER {cer([(texts[reading.image_id], true)])['cer']:.4f}"
            shown.append(ViewerPage(embedded_jpeg(image), reading, ordered, match, true, note))
    n_true = max(tally["true"], 1)
    result = {
        "pages": tally["pages"],
        "characters": tally["true"],
        "detector": {
            "centre_hit_recall": tally["found"] / n_true,
            "precision_iou50": tally["iou_matched"] / max(tally["predicted"], 1),
            "recall_iou50": tally["iou_matched"] / n_true,
            "predicted_boxes": tally["predicted"],
        },
        "recognizer": {
            "accuracy_on_detected": tally["right"] / max(tally["found"], 1),
            "detected_characters": tally["found"],
            "known_class_share": tally["known"] / n_true,  # characters whose class it was trained on
            "accuracy_on_true_boxes": tally["right_on_true"] / n_true,
            # the same characters as accuracy_on_detected
            "accuracy_on_true_boxes_of_detected": tally["right_on_true_found"] / max(tally["found"], 1),
        },
        "end_to_end": total.as_dict(),
        "lost": shortfall(lost),
        "reading": reading_scores(texts, pages, orders),
        "stage_seconds": {k: round(v, 2) for k, v in pipeline.seconds.items()},
        "thresholds": {"file": str(thresholds) if thresholds else None, **asdict(pipeline.thresholds)},
    }
    result["confusions"] = confusions.draw(pictures_dir / "confusions.png")
    write_json(out / "evaluate.json", result)
    write_viewer(out / "viewer.html", f"Held-out pages: {data}", shown, table(result))
    return result


def table(result: dict) -> str:
    """The evaluation as a small text table."""
    d, r, e = result["detector"], result["recognizer"], result["end_to_end"]
    rows = [
        ("held-out pages / characters", f"{result['pages']} / {result['characters']}"),
        ("detector centre-hit recall", f"{d['centre_hit_recall']:.4f}"),
        ("detector precision / recall @ IoU 0.5", f"{d['precision_iou50']:.4f} / {d['recall_iou50']:.4f}"),
        ("recognizer accuracy on detected", f"{r['accuracy_on_detected']:.4f}"),
        ("recognizer accuracy on the true boxes", f"{r.get('accuracy_on_true_boxes', float('nan')):.4f}"),
        (
            "  on the true boxes of the detected ones",
            f"{r.get('accuracy_on_true_boxes_of_detected', float('nan')):.4f}",
        ),
        ("characters of a class the recognizer knows", f"{r.get('known_class_share', 1):.4f}"),
        ("end-to-end F1", f"{e['f1']:.4f}"),
        ("end-to-end precision / recall", f"{e['precision']:.4f} / {e['recall']:.4f}"),
    ]
    if "lost" in result:
        lost = result["lost"]
        rows.append(("missed characters / spurious boxes", f"{lost['missed']} / {lost['spurious']}"))
        rows += [
            (f"  accuracy on found, class trained {name}", f"{b['accuracy']:.4f} of {b['found']}")
            for name, b in lost["by_training_count"].items()
            if b["found"]
        ]
    if "reading" in result:
        t, o = result["reading"]["transcription"], result["reading"]["ordering_only"]
        rows += [
            ("transcription CER, reading order", f"{t['cer']:.4f}"),
            ("CER of the ordering alone (true boxes)", f"{o['cer']:.4f}"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[reading_options()])
    parser.add_argument("--split", help="split.json from data.split (default: read every page of --data)")
    parser.add_argument("--out", required=True, help="folder for evaluate.json and pictures/")
    args = parser.parse_args(argv)
    result = evaluate(
        args.data,
        args.split,
        args.detector,
        args.recognizer,
        args.out,
        args.device,
        thresholds=args.thresholds,
    )
    print(table(result))
    out = Path(args.out)
    print(f"details: {out / 'evaluate.json'}, pictures: {out / 'pictures'}, viewer: {out / 'viewer.html'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
