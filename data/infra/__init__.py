"""Infrastructure every stage shares: atomic files, errors, run folders, checkpoints,
devices, flags, workers."""
