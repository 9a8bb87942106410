"""The one error type the pipeline raises for bad input; the CLI maps it to exit code 2."""

from __future__ import annotations


class OutlookDiffError(Exception):
    """A problem a user can act on: names the file (when there is one) and what is wrong."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the handler entrypoint.py installs. A KeyboardInterrupt, so every
    clean-up that Ctrl-C runs (temporary files, the embedding cache) runs for it too; the CLI
    exits 143 (128 + SIGTERM) for it instead of Ctrl-C's 130."""


def interrupted_exit_code(interrupt: KeyboardInterrupt) -> int:
    """143 for SIGTERM, 130 for Ctrl-C: 128 + the signal's number, as a shell reports it."""
    return 143 if isinstance(interrupt, Terminated) else 130
