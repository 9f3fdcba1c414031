"""Worker processes for the page-parallel stages: cropping, detector tiles, generated pages."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool

import cv2


@contextmanager
def fork_pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[Pool]:
    """A pool of forked workers in which OpenCV runs on one thread.

    A forked child must not touch OpenCV's thread pool: its locks come over in whatever state the
    parent's threads left them, and ``cv2.setNumThreads`` in the child can wait on them forever.
    So the parent drops OpenCV to one thread before forking (the workers inherit that and never
    start threads of their own) and restores its count when the pool is closed.
    """
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer, initargs) as pool:
            yield pool
    finally:
        cv2.setNumThreads(threads)
