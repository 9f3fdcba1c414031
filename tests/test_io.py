import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from data.infra.errors import DataError
from data.infra.io import read_ahead


def test_pages_read_ahead_come_in_order_and_errors_at_their_place(tmp_path: Path) -> None:
    paths = []
    for k in range(7):
        paths.append(tmp_path / f"{k}.png")
        cv2.imwrite(str(paths[-1]), np.full((3 + k, 5, 3), 10 * k, np.uint8))
    pages = list(read_ahead(paths, ahead=2))
    assert [(p.shape[0], int(p[0, 0, 0])) for p in pages] == [(3 + k, 10 * k) for k in range(7)]

    reader = read_ahead([*paths[:3], tmp_path / "missing.jpg", *paths[3:]], ahead=2)
    assert [int(next(reader)[0, 0, 0]) for _ in range(3)] == [0, 10, 20]
    with pytest.raises(DataError, match=r"missing\.jpg: image file not found"):
        next(reader)


def test_a_data_error_crosses_a_process_boundary_whole() -> None:
    error = pickle.loads(pickle.dumps(DataError("train.csv", "bad box", 3)))
    assert isinstance(error, DataError) and str(error) == "train.csv, line 3: bad box"
    assert (error.file, error.problem, error.line) == ("train.csv", "bad box", 3)
