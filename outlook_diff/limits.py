"""The bounds of the options every command shares, written once.

`--max-size` (what a file may weigh before it is refused) and `--width` (what a table can be
drawn at, in bounded time). Standard library only: the answer from the report cache (replay.py)
checks them before typer or any stage is imported.
"""

from __future__ import annotations

from outlook_diff.errors import OutlookDiffError

DEFAULT_MAX_SIZE_MB = 64
# The largest --max-size accepted: a file is held in memory with its decoded text, and the
# tool promises to stay within 1 GiB.
MAX_SIZE_LIMIT_MB = 256
DEFAULT_MAX_SIZE = DEFAULT_MAX_SIZE_MB * 1024 * 1024
MIN_WIDTH, MAX_WIDTH = 40, 1000


def validate_max_size(mb: int) -> int:
    """The `--max-size` value in bytes, or a one-line error when it is not a sensible size."""
    if not 1 <= mb <= MAX_SIZE_LIMIT_MB:
        raise OutlookDiffError(
            f"--max-size must be between 1 and {MAX_SIZE_LIMIT_MB} (MB), not {mb}"
        )
    return mb * 1024 * 1024


def check_width(width: int | None) -> int | None:
    """--width within what a table can be drawn at (and drawn in bounded time)."""
    if width is not None and not MIN_WIDTH <= width <= MAX_WIDTH:
        raise OutlookDiffError(f"--width must be between {MIN_WIDTH} and {MAX_WIDTH}, not {width}")
    return width
