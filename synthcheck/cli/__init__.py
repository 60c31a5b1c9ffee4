"""The command line: ``synthcheck audit | verify | keygen | demo | records | policy``."""
from synthcheck.cli.main import main

__all__ = ["main"]
