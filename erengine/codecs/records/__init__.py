"""Fixed-width and delimited files: one plan writes and reads both."""
