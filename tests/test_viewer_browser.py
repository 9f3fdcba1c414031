"""The viewer's edit mode in a real browser: headless Chromium, driven as a researcher would."""

from pathlib import Path

import numpy as np
import pytest
from browser import CHROMIUM, SKIP, Browser, wait_for_file
from test_read import constructed

from submit.reading.order import reading_order
from submit.reading.viewer import ViewerPage, embedded_jpeg, write_viewer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason=SKIP)]
SCALE = 900 / 200  # screen pixels per page pixel: the 160 x 200 page is shown 900 pixels tall


def edit_viewer(tmp_path: Path) -> Path:
    """The constructed page, each box with three candidates: its own code, ん and ア."""
    reading, _ = constructed()
    n = len(reading.boxes)
    codes = np.stack([reading.unicodes, np.full(n, "U+3093"), np.full(n, "U+30A2")], axis=1)
    probs = np.stack([reading.probs, np.full(n, 0.2), np.full(n, 0.1)], axis=1)
    page = ViewerPage(
        embedded_jpeg(np.full((200, 160, 3), 225, np.uint8)), reading, reading_order(reading.boxes),
        candidates=(codes, probs),
    )  # fmt: skip
    write_viewer(tmp_path / "viewer.html", "Transcriptions", [page])
    return tmp_path / "viewer.html"


@pytest.fixture
def browser(tmp_path: Path):
    opened = Browser(tmp_path / "profile")
    yield opened
    opened.close()


def on_page(browser: Browser, x: float, y: float) -> tuple[float, float]:
    """Where page pixel (x, y) is on the screen."""
    left, top = browser.js(
        "(r => [r.left, r.top])(document.querySelector('#page-0 .sheet').getBoundingClientRect())"
    )
    return left + x * SCALE, top + y * SCALE


EXPORTED = (
    "image_id,labels\n"
    "page-1,U+3046 65 55 32 30 U+3093 100 10 30 30 U+3048 100 50 30 30 U+304A 60 10 30 30 "
    "U+3055 10 130 40 40\n"
)


def test_correct_delete_draw_move_resize_undo_check_and_export(tmp_path: Path, browser: Browser) -> None:
    browser.downloads_to(tmp_path / "downloads")
    browser.open(edit_viewer(tmp_path))
    browser.key("e")
    assert browser.js("document.body.classList.contains('edit')")
    browser.click(on_page(browser, 115, 65))  # い, box 2: type え
    assert browser.js("document.querySelector('#kz-cands').textContent") == "1 い 0.802 ん 0.203 ア 0.10"
    browser.key("t")
    browser.type("え")
    browser.key("Enter", 13)
    browser.click(on_page(browser, 115, 25))  # あ, box 1: its second candidate, ん
    browser.key("2")
    browser.click(on_page(browser, 138, 16))  # the side reading ぁ holds no character: delete it
    browser.key("Delete", 46)
    browser.drag(on_page(browser, 75, 65), on_page(browser, 80, 70))  # う, box 0: moved by 5, 5
    browser.key("ArrowRight", 39, shift=True)  # ... 2 pixels wider
    browser.key("ArrowRight", 39, shift=True)
    browser.key("ArrowDown", 40)  # ... and one pixel down, undone
    browser.key("u")
    browser.drag(on_page(browser, 10, 130), on_page(browser, 50, 170))  # a missed character: draw it
    browser.type("さ")  # the new box's field has the focus
    browser.key("Enter", 13)
    browser.key("c")  # the page is checked
    browser.key("x")
    exported = wait_for_file(tmp_path / "downloads" / "train.csv")
    assert exported.decode("utf-8") == EXPORTED
    assert browser.js("document.querySelector('#kz-status').textContent") == "exported 1 checked pages"
    text = browser.js("document.querySelector('#page-0 .text').textContent")
    assert text == "ん え\nお う".replace(" ", "")  # the transcription shows the corrections

    browser.open(edit_viewer(tmp_path))  # a fresh viewer: import what was exported
    node = browser.call("DOM.getDocument")["root"]["nodeId"]
    field = browser.call("DOM.querySelector", nodeId=node, selector="#kz-import")["nodeId"]
    browser.call("DOM.setFileInputFiles", nodeId=field, files=[str(tmp_path / "downloads" / "train.csv")])
    status = "document.querySelector('#kz-status').textContent"
    assert browser.wait_for(f"{status}.startsWith('imported') && {status}") == "imported 1 pages"
    browser.downloads_to(tmp_path / "again")
    browser.key("x")  # imported, the page is checked and exports the same rows
    assert wait_for_file(tmp_path / "again" / "train.csv").decode("utf-8") == EXPORTED
    assert all(url.startswith(("file:", "data:", "blob:")) for url in browser.requests())
