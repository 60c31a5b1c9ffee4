"""Plumbing every layer may use: named random streams, optional dependencies, parallel runs,
progress lines, output paths and atomic writes. Imports nothing of synthcheck but errors."""
