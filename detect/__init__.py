"""The ultralytics YOLO character detector on full pages, trained from a model yaml, run offline."""

from detect.offline import configure

configure()
