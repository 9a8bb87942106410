"""The one error type the pipeline raises for bad input; the CLI maps it to exit code 2."""

from __future__ import annotations


class OutlookDiffError(Exception):
    """A problem a user can act on: names the file (when there is one) and what is wrong."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)
