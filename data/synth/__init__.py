"""The embedded data set: a generator of kuzushiji-like book pages in the Kaggle layout."""
