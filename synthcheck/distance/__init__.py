"""Geometry of records: the mixed-type encoding, cross-fitted reference folds and the
nearest-neighbour searches (exact and approximate) the attacks share."""
