"""Forked page workers never wait on OpenCV's threads, however busy the parent's were."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import cv2, numpy as np
from data.infra.workers import fork_pool

def blur(seed):
    image = np.random.default_rng(seed).integers(0, 255, (1500, 1500), dtype=np.uint8)
    cv2.GaussianBlur(image, (31, 31), 5)
    return cv2.getNumThreads()  # each worker runs OpenCV on one thread

cv2.setNumThreads(2)
page = np.random.default_rng(0).integers(0, 255, (2000, 2000), dtype=np.uint8)
done = 0
for trial in range(12):
    cv2.GaussianBlur(page, (31, 31), 5)  # the parent's OpenCV threads are busy just before the fork
    with fork_pool(2) as pool:
        done += sum(pool.map(blur, range(4)))
print(done, cv2.getNumThreads())
"""


def test_forked_workers_run_opencv_after_the_parent_used_its_threads() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    # 48 tasks done on one OpenCV thread each, and the parent's thread count restored
    assert run.stdout.split() == ["48", "2"]
