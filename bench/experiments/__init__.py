"""Experiments that train models: leave one real book out, and what each change for the F1 is worth."""
