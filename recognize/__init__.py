"""The from-scratch CNN that reads one 32x32 binarized character crop."""
