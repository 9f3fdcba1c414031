"""The ultralytics YOLO character detector on full pages, trained from a model yaml, run offline.

Entry points call ``detect.offline.configure()`` before they touch ultralytics; importing changes nothing.
"""
