import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from data.annotations import read_annotations
from data.formats import read_points, read_sample_submission
from data.infra.errors import DataError
from detect.predict import Detector
from recognize.predict import Recognizer
from submit.evaluation.evaluate import evaluate, table
from submit.metric import Score, score
from submit.pipeline import PageReading, Pipeline, points_frame
from submit.predict import predict
from submit.upload import upload

REPO = Path(__file__).parents[1]


def test_submission_end_to_end(
    tiny_data: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    out = tmp_path / "submission.csv"
    summary = predict(tiny_data, offline_detector["model"], tiny_recognizer, out, "cpu")
    ids, points = read_points(out)
    assert ids == read_sample_submission(tiny_data / "sample_submission.csv")
    assert summary["points"] == len(points)
    answers = read_annotations(tiny_data / "test_answers.csv")  # the F1 is the written file's
    assert summary["test"] == score(answers.boxes, answers.image_ids, points).as_dict()
    assert set(summary["stage_seconds"]) == {"read", "detect", "crop+binarize", "classify", "write"}
    assert json.loads(out.with_suffix(".json").read_text())["pages"] == len(ids)
    assert len(list((tmp_path / "pictures").glob("test_*.png"))) == 2


def test_held_out_evaluation(
    tiny_data: Path, tiny_split: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    result = evaluate(tiny_data, tiny_split, offline_detector["model"], tiny_recognizer, tmp_path, "cpu")
    holdout = json.loads(tiny_split.read_text())["holdout"]
    truth = read_annotations(tiny_data / "train.csv").subset(holdout)
    assert (result["pages"], result["characters"]) == (len(holdout), len(truth.boxes))
    d, r, e = result["detector"], result["recognizer"], result["end_to_end"]
    assert d["centre_hit_recall"] == r["detected_characters"] / result["characters"]
    assert e["tp"] + e["fn"] == result["characters"] and e["tp"] + e["fp"] == d["predicted_boxes"]
    assert e["f1"] == Score(e["tp"], e["fp"], e["fn"]).f1
    assert "end-to-end F1" in table(result) and "transcription CER, reading order" in table(result)
    assert json.loads((tmp_path / "evaluate.json").read_text()) == json.loads(json.dumps(result))
    assert list((tmp_path / "pictures").glob("holdout_*.png"))
    transcription, ordering = result["reading"]["transcription"], result["reading"]["ordering_only"]
    assert transcription["characters"] == ordering["characters"] == result["characters"]
    assert transcription["cer"] == transcription["edits"] / result["characters"]
    viewer = (tmp_path / "viewer.html").read_text(encoding="utf-8")
    assert viewer.count('<section class="page"') == len(holdout) and "ground truth" in viewer


def test_report_of_data_without_test_pages_gives_the_held_out_books(
    tiny_data: Path, tiny_split: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path, capsys
) -> None:
    from submit.report import report

    model = offline_detector["model"]
    result = evaluate(tiny_data, tiny_split, model, tiny_recognizer, tmp_path / "evaluate", "cpu")
    done = {"work": tmp_path, "evaluate": tmp_path / "evaluate" / "evaluate.json"}  # no "submission"
    printed = report(done, "tiny (test)")
    assert "no submission.csv written" in printed and table(result) in printed
    assert "make upload" not in printed
    assert f"pictures        {tmp_path / 'evaluate' / 'pictures'}\n" in printed


def test_blank_page_and_no_detections_give_empty_rows(
    offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    import cv2

    blank = tmp_path / "blank.jpg"
    cv2.imwrite(str(blank), np.full((300, 200, 3), 235, np.uint8))
    pipeline = Pipeline(
        Detector.load(offline_detector["model"], "cpu", conf=0.999), Recognizer.load(tiny_recognizer, "cpu")
    )
    [reading] = list(pipeline.read([blank]))
    assert len(reading.boxes) == 0 and points_frame([reading]).empty


def test_points_carry_detector_times_recognizer_scores() -> None:
    boxes = np.array([[10, 20, 5, 7], [30, 40, 8, 8]])
    reading = PageReading(
        "p1", (100, 80), boxes, np.array([0.8, 0.5]), np.array(["U+3042", "U+3044"]), np.array([0.5, 1.0])
    )
    frame = points_frame([reading])
    assert frame.drop(columns="score").to_numpy().tolist() == [
        ["p1", "U+3042", 12, 23, 0.8, 0.5],
        ["p1", "U+3044", 34, 44, 0.5, 1.0],
    ]
    assert frame["score"].tolist() == [0.4, 0.5]


def broken_copy(tiny_data: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    victim = sorted((data / "test_images").glob("*.jpg"))[1]
    victim.write_bytes(b"\xff\xd8 truncated")
    return data


def test_bad_test_image_stops_before_writing(
    tiny_data: Path, offline_detector: dict, tiny_recognizer: Path, tmp_path: Path
) -> None:
    data = broken_copy(tiny_data, tmp_path)
    out = tmp_path / "submission.csv"
    out.write_text("previous\n")
    with pytest.raises(DataError, match="unreadable or corrupt image"):
        predict(data, offline_detector["model"], tiny_recognizer, out, "cpu")
    assert out.read_text() == "previous\n"


def test_missing_model_is_one_line(tiny_data: Path, tiny_recognizer: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "submit.predict",
            "--data",
            str(tiny_data),
            "--detector",
            str(tmp_path / "none.pt"),
            "--recognizer",
            str(tiny_recognizer),
            "--out",
            str(tmp_path / "s.csv"),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'none.pt'}: model file not found")
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "s.csv").exists()


@pytest.fixture()
def fake_kaggle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in `kaggle` on PATH that records its arguments; HOME without credentials."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "kaggle_args.json"
    script = bin_dir / "kaggle"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n"
        "print('Successfully submitted')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ["KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR", "XDG_CONFIG_HOME"]:
        monkeypatch.delenv(name, raising=False)
    return record


def test_upload_validates_checks_credentials_and_hides_them(
    tiny_data: Path,
    fake_kaggle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
) -> None:
    good = tmp_path / "submission.csv"
    pages = read_sample_submission(tiny_data / "sample_submission.csv")
    good.write_text("image_id,labels\n" + "".join(f"{page},\n" for page in pages))
    with pytest.raises(DataError, match="no Kaggle credentials"):
        upload(good, tiny_data, "test")
    assert not fake_kaggle.exists()

    bad = tmp_path / "bad.csv"
    bad.write_text("image_id,labels\nnot_a_test_page,\n")
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "s3cr3t-key-value")
    with pytest.raises(DataError, match="is missing"):
        upload(bad, tiny_data, "test")
    assert not fake_kaggle.exists()

    assert upload(good, tiny_data, "first try") == 0
    assert json.loads(fake_kaggle.read_text()) == [
        "competitions",
        "submit",
        "kuzushiji-recognition",
        "-f",
        str(good),
        "-m",
        "first try",
    ]
    output = capfd.readouterr()
    assert "s3cr3t" not in output.out + output.err
    assert "KAGGLE_USERNAME and KAGGLE_KEY" in output.out
