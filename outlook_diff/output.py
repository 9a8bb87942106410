"""Where a command's text goes: stdout or a file written atomically, at what width, in colour.

Shared by the typer commands (cli.py) and the answer from the report cache (replay.py), so both
write the same bytes the same way. Standard library only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from outlook_diff.errors import OutlookDiffError


def check_writable(output: Path) -> None:
    """Before any work: the output's directory must exist and be writable."""
    directory = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise OutlookDiffError("is a directory, cannot write the report there", str(output))
    if not directory.is_dir():
        raise OutlookDiffError("directory does not exist", str(directory))
    if not os.access(directory, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise OutlookDiffError("not writable", str(output))


def emit(text: str, output: Path | None, *, page: bool = False) -> None:
    """Write `text` to stdout, through a pager when `page` and it is taller than the terminal,
    or atomically to `output`."""
    if output is None:
        if page and _taller_than_terminal(text) and _paged(text):
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    import tempfile

    # A temp file in the same directory, renamed into place: never a half-written report.
    fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(temp, output)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def table_width(width: int | None, output: Path | None) -> int | None:
    """The terminal's width on a terminal; 120 columns in a file or a pipe (not rich's 80)."""
    if width is not None:
        return width
    return None if output is None and sys.stdout.isatty() else 120


def use_color(no_color: bool, output: Path | None) -> bool:
    return not no_color and output is None and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def same_file(old: str, new: str) -> bool:
    if old == new:
        return True
    try:
        return Path(old).resolve() == Path(new).resolve() and Path(old).exists()
    except OSError:
        return False


def _taller_than_terminal(text: str) -> bool:
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        return False
    import shutil

    return text.count("\n") > shutil.get_terminal_size().lines - 1


def _paged(text: str) -> bool:
    """Show `text` in $PAGER (default `less -R`, which keeps the colours); False when no pager
    can be started, so the caller writes it plainly."""
    import shlex
    import shutil
    import subprocess

    command = shlex.split(os.environ.get("PAGER") or "less -R")
    if not command or shutil.which(command[0]) is None:
        return False
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    try:
        with subprocess.Popen(command, stdin=subprocess.PIPE, env=env) as pager:
            assert pager.stdin is not None
            try:
                pager.stdin.write(text.encode("utf-8"))
                pager.stdin.close()
            except BrokenPipeError:  # the reader quit the pager early
                pass
            pager.wait()
    except OSError:
        return False
    return True
