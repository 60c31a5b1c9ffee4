"""The audit: checked parameters, the pipeline's named steps, the results it returns, the
plain-text summary, and reproduce (the same steps re-run from a certificate's record)."""
