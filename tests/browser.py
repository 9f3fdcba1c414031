"""Headless Chromium driven through its DevTools protocol, over a pipe (``--remote-debugging-pipe``):
no driver, no port, no library. ``CHROMIUM`` is the browser found, or None (the tests then skip)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
SKIP = "no headless Chromium (Debian package chromium: `make test` installs it when run as root)"


class Browser:
    """One headless Chromium with one page; ``events`` holds every event the page sent."""

    def __init__(self, profile: Path, size: tuple[int, int] = (1400, 1100)) -> None:
        assert CHROMIUM is not None
        to_browser, self._out = os.pipe()  # Chromium reads commands on its fd 3 ...
        self._in, from_browser = os.pipe()  # ... and writes replies and events on its fd 4
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
        flags += [
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
        ]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', CHROMIUM, *flags],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._id, self.events = b"", 0, []
        target = self.call("Target.createTarget", browser=True, url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", browser=True, targetId=target, flatten=True)
        self.session = attached["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable")

    def call(self, method: str, browser: bool = False, **params: Any) -> dict:
        """Send one command (to the page, or with ``browser`` to the browser) and wait for its reply."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if not browser:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next(60)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _next(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, path: Path) -> None:
        """Load a file and wait for its load event."""
        seen = len(self.events)
        self.call("Page.navigate", url=path.resolve().as_uri())
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events[seen:]):
            self.events.append(self._next(60))

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10) -> Any:
        """The value of ``expression`` once it is truthy (it is tried every 50 ms)."""
        deadline = time.monotonic() + timeout
        while not (value := self.js(expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true: {expression}")
            time.sleep(0.05)
        return value

    def key(self, key: str, code: int = 0, shift: bool = False, text: str | None = None) -> None:
        """Press and release one key (``code``: its Windows key code, for keys without text)."""
        common = {"key": key, "windowsVirtualKeyCode": code, "modifiers": 8 if shift else 0}
        typed = key if text is None and len(key) == 1 else text
        self.call("Input.dispatchKeyEvent", type="keyDown", **common, **({"text": typed} if typed else {}))
        self.call("Input.dispatchKeyEvent", type="keyUp", **common)

    def type(self, text: str) -> None:
        """Text into the focused field, as an input method would put it there."""
        self.call("Input.insertText", text=text)

    def drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """Press the left button at ``start``, move to ``end`` in steps, release it there."""
        self.call(
            "Input.dispatchMouseEvent",
            type="mousePressed",
            x=start[0],
            y=start[1],
            button="left",
            clickCount=1,
        )
        for k in (1, 2, 3):
            x, y = (start[0] + (end[0] - start[0]) * k / 3, start[1] + (end[1] - start[1]) * k / 3)
            self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="left", buttons=1)
        self.call(
            "Input.dispatchMouseEvent", type="mouseReleased", x=end[0], y=end[1], button="left", clickCount=1
        )

    def click(self, point: tuple[float, float]) -> None:
        self.drag(point, point)

    def downloads_to(self, folder: Path) -> None:
        """Save the page's downloads in ``folder``."""
        self.call("Browser.setDownloadBehavior", browser=True, behavior="allow", downloadPath=str(folder))

    def screenshot(self, path: Path) -> None:
        import base64

        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def requests(self) -> list[str]:
        """Every URL the page asked for."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", browser=True)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._out)
        os.close(self._in)


def wait_for_file(path: Path, timeout: float = 20) -> bytes:
    """The bytes of a file that a download is writing, once it is complete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and not list(path.parent.glob("*.crdownload")):
            return path.read_bytes()
        time.sleep(0.1)
    raise TimeoutError(f"no {path}")
