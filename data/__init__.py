"""Competition formats, page and crop datasets, splits and the embedded default data set."""
