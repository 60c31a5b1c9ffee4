"""The three risks European regulators test (Article 29 Working Party, Opinion 05/2014;
EDPB): singling out, linkability and inference, each measured against the holdout.

Each attack is run twice with the same release: on the members (train records) and on the
non-members (holdout records, never used to make the release). What the attack achieves on the
holdout is what anyone achieves from the population the release describes; only the excess on
the members is a risk the release creates. Risk = (attack rate - control rate) / (1 - control
rate), as anonymeter defines it, with an interval (``risk.py``).

A layer between ``measure`` and ``verdict``: it reuses the audit's encoding (each column's
block of ``MixedEncoder``) and its neighbour search (``distance.neighbours``), never a brute
force loop, and returns typed, frozen findings (``assess.EdpbFindings``).
"""
