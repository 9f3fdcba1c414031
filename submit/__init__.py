"""Pages → boxes → crops → classes → submission CSV; the competition metric; upload to Kaggle."""
