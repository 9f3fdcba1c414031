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
from dataclasses import asdict
from pathlib import Path

import numpy as np

from data.annotations import load_train
from data.geometry import centre_owner, iou_matches
from data.infra.cli import reading_options
from data.infra.errors import DataError, run_cli
from data.infra.io import read_image, write_json
from data.truth_order import true_order
from submit.cer import cer
from submit.evaluation.confusions import draw_confusions
from submit.evaluation.losses import accuracy_on_true_boxes, shortfall
from submit.metric import score
from submit.picture import draw_page
from submit.pipeline import Pipeline, Thresholds, points_frame
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
    """
    data, out = Path(data), Path(out)
    truth = load_train(data, report=False)
    holdout = truth.image_ids if split is None else json.loads(Path(split).read_text())["holdout"]
    if not holdout:
        raise DataError(split or data, "no held-out pages")
    trained = truth.boxes[~truth.boxes["image_id"].isin(holdout)]["unicode"].value_counts().to_dict()
    truth = truth.subset(holdout)
    pages = truth.page_boxes()
    pipeline = Pipeline.load(detector, recognizer, device, Thresholds.load(thresholds))
    readings = list(
        pipeline.read([data / "train_images" / f"{i}.jpg" for i in holdout], "reading held-out pages")
    )
    n_true = n_pred = matched = found = right = known = 0
    classes, hits = list(pipeline.recognizer.classes), {}
    for reading in readings:
        page = pages[reading.image_id]
        boxes, codes = page[["x", "y", "w", "h"]].to_numpy(), page["unicode"].to_numpy()
        owner = centre_owner(reading.boxes, boxes)
        hit = hits[reading.image_id] = owner >= 0
        n_true += len(boxes)
        n_pred += len(reading.boxes)
        matched += iou_matches(reading.boxes, reading.scores, boxes)
        found += int(hit.sum())
        right += int((reading.unicodes[owner[hit]] == codes[hit]).sum())
        known += int(np.isin(codes, classes).sum())
    end_to_end = score(truth.boxes, truth.image_ids, points_frame(readings))
    orders = true_order(data, {r.image_id: pages[r.image_id] for r in readings})
    ordered = {r.image_id: reading_order(r.boxes) for r in readings}
    texts = {r.image_id: ordered[r.image_id].text(chars_of(r.unicodes)) for r in readings}
    on_true, on_true_found = accuracy_on_true_boxes(
        pipeline.recognizer, data / "train_images", pages, hits, pipeline.thresholds.tta
    )
    result = {
        "pages": len(readings),
        "characters": n_true,
        "detector": {
            "centre_hit_recall": found / max(n_true, 1),
            "precision_iou50": matched / max(n_pred, 1),
            "recall_iou50": matched / max(n_true, 1),
            "predicted_boxes": n_pred,
        },
        "recognizer": {
            "accuracy_on_detected": right / max(found, 1),
            "detected_characters": found,
            "known_class_share": known / max(n_true, 1),  # characters whose class it was trained on
            "accuracy_on_true_boxes": on_true,
            "accuracy_on_true_boxes_of_detected": on_true_found,  # the same characters as on_detected
        },
        "end_to_end": end_to_end.as_dict(),
        "lost": shortfall(readings, pages, trained),
        "reading": reading_scores(texts, pages, orders),
        "stage_seconds": {k: round(v, 2) for k, v in pipeline.seconds.items()},
        "thresholds": {"file": str(thresholds) if thresholds else None, **asdict(pipeline.thresholds)},
    }
    pictures_dir = out / "pictures"
    result["confusions"] = draw_confusions(
        readings, pages, data / "train_images", pictures_dir / "confusions.png"
    )
    write_json(out / "evaluate.json", result)
    busiest = sorted(readings, key=lambda r: -len(pages[r.image_id]))[:pictures]
    for reading in busiest:
        draw_page(
            read_image(data / "train_images" / f"{reading.image_id}.jpg"),
            reading,
            pages[reading.image_id],
            pictures_dir / f"holdout_{reading.image_id}.png",
        )
    shown = []
    for r in readings[:viewer]:
        picture = embedded_jpeg(read_image(data / "train_images" / f"{r.image_id}.jpg"))
        true = truth_text(pages[r.image_id], orders[r.image_id])
        note = f"transcription CER {cer([(texts[r.image_id], true)])['cer']:.4f}"
        shown.append(ViewerPage(picture, r, ordered[r.image_id], pages[r.image_id], true, note))
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
