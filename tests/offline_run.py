"""Train and run the detector with every network connection refused and recorded.

Usage: python tests/offline_run.py DATA SPLIT RUN REPORT.json
Writes {"attempts": [...], "control": [...], "model": path, "boxes": n} to REPORT.json.
"""

import contextlib
import json
import socket
import sys
import urllib.request
from pathlib import Path

# Run as a script, this file would import the packages the environment has installed (an
# editable install may point at another checkout), not the tree under test beside it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

attempts: list[str] = []
real_connect = socket.socket.connect


def refuse_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        attempts.append(f"connect {address}")
        raise OSError("network disabled by test")
    real_connect(self, address)


def refuse_lookup(host: object, *args: object, **kwargs: object) -> None:
    attempts.append(f"lookup {host}")
    raise socket.gaierror("network disabled by test")


socket.socket.connect = refuse_connect  # type: ignore[method-assign]
socket.socket.connect_ex = refuse_connect  # type: ignore[method-assign]
socket.getaddrinfo = refuse_lookup  # type: ignore[assignment]

data, split, run, report = sys.argv[1:5]
from tiny import detector_config  # noqa: E402

from detect.predict import Detector  # noqa: E402
from detect.train import train  # noqa: E402

cfg = detector_config(batch=4)
model = train(data, split, run, cfg, "cpu")
train(data, split, run, cfg, "cpu", resume=True)  # resuming a finished run only re-exports
with open(split) as f:
    pages = json.load(f)["holdout"]
boxes = sum(
    len(b)
    for b, _ in Detector.load(model, "cpu", conf=1e-4).detect_files(
        [f"{data}/train_images/{p}.jpg" for p in pages]
    )
)
found = list(attempts)
with contextlib.suppress(OSError):  # control: the guard does catch a real attempt
    urllib.request.urlopen("https://example.com", timeout=2)
with open(report, "w") as f:
    json.dump({"attempts": found, "control": attempts[len(found) :], "model": str(model), "boxes": boxes}, f)
