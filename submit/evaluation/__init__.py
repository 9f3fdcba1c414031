"""Scoring the pipeline on annotated pages: held-out evaluation, threshold tuning, where F1 is lost."""
