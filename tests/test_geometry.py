import numpy as np

from data.geometry import centre_owner, centres, iou_matches, points_inside, xyxy


def test_corners_and_centres() -> None:
    boxes = np.array([[10, 20, 5, 8], [0, 0, 3, 1]])
    assert xyxy(boxes).tolist() == [[10, 20, 15, 28], [0, 0, 3, 1]]
    assert centres(boxes).tolist() == [[12, 24], [1, 0]]  # x + w // 2, y + h // 2


def test_points_on_the_edge_are_outside() -> None:
    box = np.array([[10, 20, 4, 6]])  # x 10..14, y 20..26
    points = np.array([[11, 21], [10, 21], [14, 21], [11, 20], [11, 26], [13, 25], [21, 11]])
    assert points_inside(box, points).tolist() == [[True, False, False, False, False, True, False]]


def test_detection_matches() -> None:
    truth = np.array([[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10]])
    pred = np.array([[1, 0, 10, 10], [21, 1, 9, 9], [22, 2, 4, 4], [60, 0, 10, 10]])
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert iou_matches(pred, scores, truth) == 2
    assert centre_owner(pred, truth).tolist() == [0, -1, -1]  # box 2 holds two centres, box 3 none
    assert centre_owner(pred[:0], truth).tolist() == [-1, -1, -1]
