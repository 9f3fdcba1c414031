"""Reading pages into text: the records, the command line with bad input, and the page viewer."""

import base64
import io
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from browser import CHROMIUM, SKIP
from fontTools.ttLib import TTFont

from submit.match import PageMatch
from submit.pipeline import PageReading
from submit.reading.order import reading_order
from submit.reading.read import main as read_main
from submit.reading.transcribe import page_record
from submit.reading.viewer import ViewerPage, embedded_jpeg, write_viewer


def png_header(path: Path, width: int, height: int) -> None:
    """A PNG that declares its size and holds no pixels (only its header can be read)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def constructed() -> tuple[PageReading, pd.DataFrame]:
    """Columns あい (right) and おう (left), a side reading ぁ beside あ; the truth has え for い and a
    か below う that nothing was read in."""
    boxes = np.array(
        [[60, 50, 30, 30], [100, 10, 30, 30], [100, 50, 30, 30], [60, 10, 30, 30], [134, 12, 8, 8]]
    )
    codes = np.array(["U+3046", "U+3042", "U+3044", "U+304A", "U+3041"])
    reading = PageReading(
        "page-1", (200, 160), boxes, np.full(5, 0.9), codes, np.array([0.5, 0.9, 0.8, 0.7, 0.6])
    )
    truth = pd.DataFrame(
        [
            ["page-1", "U+3042", 100, 10, 30, 30],
            ["page-1", "U+3048", 100, 50, 30, 30],
            ["page-1", "U+304A", 60, 10, 30, 30],
            ["page-1", "U+3046", 60, 50, 30, 30],
            ["page-1", "U+304B", 60, 90, 30, 30],
        ],
        columns=["image_id", "unicode", "x", "y", "w", "h"],
    )
    return reading, truth


def test_page_record_lists_characters_in_reading_order_and_side_readings_last() -> None:
    reading, _ = constructed()
    record = page_record(reading)
    assert record["text"] == "あい\nおう" and record["columns"] == 2
    assert [c["char"] for c in record["characters"]] == ["あ", "い", "お", "う", "ぁ"]
    places = [(c["column"], c["position"], c["side_reading"]) for c in record["characters"]]
    assert places == [(0, 0, False), (0, 1, False), (1, 0, False), (1, 1, False), (None, None, True)]
    assert record["characters"][0] == {
        "char": "あ",
        "unicode": "U+3042",
        "x": 100,
        "y": 10,
        "w": 30,
        "h": 30,
        "probability": 0.9,
        "detector_score": 0.9,
        "column": 0,
        "position": 0,
        "side_reading": False,
    }
    codes = np.array([["U+3046", "U+3093"], ["U+3042", "U+304A"], *[["U+3044", "U+3093"]] * 3])
    top = page_record(reading, None, (codes, np.array([[0.5, 0.25]] * 5)))["characters"]
    assert top[0]["candidates"] == [
        {"char": "あ", "unicode": "U+3042", "probability": 0.5},
        {"char": "お", "unicode": "U+304A", "probability": 0.25},
    ]  # box 1's candidates, the first character read
    assert [c["candidates"][0]["unicode"] for c in top] == ["U+3042", "U+3044", "U+3044", "U+3046", "U+3044"]


def viewer_file(tmp_path: Path) -> Path:
    reading, truth = constructed()
    image = np.full((200, 160, 3), 225, np.uint8)
    order = reading_order(reading.boxes)
    match = PageMatch.of(reading, truth)
    page = ViewerPage(embedded_jpeg(image), reading, order, match, "あえ\nおう", "CER 0.25")
    path = tmp_path / "viewer.html"
    write_viewer(path, "Held-out pages", [page], "a summary")
    return path


def test_viewer_is_one_static_file_with_boxes_tips_and_both_texts(tmp_path: Path) -> None:
    text = viewer_file(tmp_path).read_text(encoding="utf-8")
    boxes = re.findall(r'class="box (\w+)"', text)
    # あ, お, う right; い where え is; ぁ over no true box; え and か not found by a right reading
    assert sorted(boxes) == ["correct"] * 3 + ["missed"] * 2 + ["nothing", "wrong"]
    assert "い  U+3044  p=0.80\ncolumn 1, character 2\ntrue: え" in text
    assert "ぁ  U+3041  p=0.60\nside reading" in text
    assert "missed: え  U+3048" in text and "missed: か  U+304B" in text
    spans = re.findall(r'<span data-k="0-(\d+)"[^>]*>(.)</span>', text)
    assert "".join(char for _, char in spans) == "あいおう"  # the transcription, side reading left out
    assert [int(k) for k, _ in spans] == [1, 2, 3, 0]
    assert "あえ\nおう" in text and "CER 0.25" in text and "a summary" in text
    sources = re.findall(r'(?:src|href|url)[=(]"?([^")]*)', text)
    assert [s[:23] for s in sources] == ["data:font/woff;base64,A", "data:image/jpeg;base64,"]
    font = TTFont(io.BytesIO(base64.b64decode(sources[0].split(",")[1])))
    assert set("あいうえおかぁ々") <= {chr(c) for c in font.getBestCmap()}  # read, true, and the kana
    assert re.search(r"(?:https?|wss?|ftp):", text) is None  # no address outside the file
    assert "default-src 'none'" in text  # and the browser is told to load none


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason=SKIP)
def test_viewer_renders_boxes_and_text_in_chromium(tmp_path: Path) -> None:
    path = viewer_file(tmp_path)
    shot = tmp_path / "viewer.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}",
         "--window-size=1400,1100", path.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    picture = cv2.imread(str(shot))
    assert picture is not None and picture.shape[:2] == (1100, 1400)
    rgb = picture[..., ::-1].astype(int)
    for color in [(30, 150, 50), (220, 30, 30), (120, 120, 120)]:  # correct, wrong and missed boxes drawn
        assert (np.abs(rgb - color).sum(axis=2) < 60).sum() > 50
    assert (picture.max(axis=2) < 80).sum() > 500  # dark text: the page itself is a light grey


def test_read_a_folder_with_bad_input_reads_every_good_page(
    tiny_data: Path,
    offline_detector: dict,
    tiny_recognizer: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture,
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    good = sorted((tiny_data / "test_images").glob("*.jpg"))[:2]
    for page in good:
        (pages / page.name).symlink_to(page)
    cv2.imwrite(str(pages / "blank.png"), np.full((400, 300, 3), 235, np.uint8))  # an empty page
    (pages / "notes.jpg").write_bytes(b"not an image at all")
    png_header(pages / "huge.png", 20000, 20000)  # PIL refuses to open it
    png_header(pages / "large.png", 12000, 9000)  # opens, but is over --max-pixels
    png_header(pages / "hollow.png", 600, 800)  # a page-sized header and no pixels: fails to decode
    cv2.imwrite(str(pages / "stamp.png"), np.zeros((20, 20, 3), np.uint8))
    (pages / "readme.txt").write_text("not a page")
    models = ["--detector", str(offline_detector["model"]), "--recognizer", str(tiny_recognizer)]
    out = tmp_path / "out"
    assert read_main([str(pages), "--out", str(out), *models, "--device", "cpu"]) == 1
    summary = json.loads((out / "read.json").read_text())
    assert [p["page"] for p in summary["pages"]] == ["blank", *(p.stem for p in good)]
    skipped = {Path(k).name: v for k, v in summary["skipped"].items()}
    assert skipped.pop("notes.jpg").startswith("unreadable or corrupt image (")  # (how PIL failed)
    assert skipped == {
        "hollow.png": "unreadable or corrupt image",
        "huge.png": "image too large to open (over 178,956,970 pixels)",
        "large.png": "12000x9000 pixels is more than 100,000,000 (--max-pixels): shrink it to read it",
        "stamp.png": "20x20 pixels is too small to be a page",
    }
    warnings = [line for line in capfd.readouterr().err.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 5
    assert (out / "blank.txt").read_bytes() == b""
    assert json.loads((out / "blank.json").read_text())["characters"] == []
    viewer = (out / "viewer.html").read_text(encoding="utf-8")
    assert all(f"<h2>{name}</h2>" in viewer for name in ["blank", *(p.stem for p in good)])

    # the one-epoch detector is sure of little: take what it barely sees, to have text to check
    assert read_main([*map(str, good), "--out", str(out), *models, "--device", "cpu", "--conf", "1e-4"]) == 0
    read = 0
    for page in good:
        record = json.loads((out / f"{page.stem}.json").read_text())
        text = (out / f"{page.stem}.txt").read_text(encoding="utf-8")
        assert text == record["text"] + "\n" * bool(record["text"]) and record["file"] == str(page)
        for c in record["characters"]:  # the recognizer's best, the background class left out
            probs = [k["probability"] for k in c["candidates"]]
            assert len(probs) == 5 and probs == sorted(probs, reverse=True)
            assert "none" not in [k["unicode"] for k in c["candidates"]]
        main = [c for c in record["characters"] if not c["side_reading"]]
        assert text.replace("\n", "") == "".join(c["char"] for c in main)
        assert [c["column"] for c in main] == sorted(c["column"] for c in main)
        assert cv2.imread(str(out / f"{page.stem}.png")).shape[:2] == (record["height"], record["width"])
        read += len(main)
    assert read > 0
