"""Statistics of attack scores: intervals, ROC, TPR at low FPR, the one-run epsilon bound,
and the exact copy test. Pure functions of arrays; no attack knowledge."""
