"""outlook-diff: what changed between two editions of a long policy report."""

__version__ = "0.1.0"
