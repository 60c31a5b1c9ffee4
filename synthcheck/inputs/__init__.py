"""Reading and checking the real and synthetic tables: files, fingerprints, column types,
validation, and the one rule that says when two rows are the same record."""

#: The inputs a certificate fingerprints and verify checks, in the order it lists them.
INPUT_ROLES = ("train", "holdout", "synthetic")
