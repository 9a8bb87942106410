"""Where a command's text goes: stdout or a file, at what width, in colour.

Shared by the typer commands (cli.py) and the answer from the report cache (replay.py), so both
write the same bytes the same way. Standard library only.

`-o FILE` is checked before any work (`check_output`): its directory must exist and be
writable, and it must not be one of the inputs (by device and inode, so a symlink or a hard
link to an input is refused too). A regular file is then written to a temporary name beside it
and renamed into place (`emit`): never a half-written report, and the file gets the mode a
new file gets from the umask, or keeps the mode it had. A device, a FIFO or a name of an open
descriptor (/dev/null, /dev/full, /dev/stdout, /proc/self/fd/1) is written through instead:
renaming a regular file over it would replace the device node with the report.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from outlook_diff.errors import OutlookDiffError

# Names the system gives to open descriptors: a regular file behind them is the file the shell
# opened for us (`-o /dev/stdout > report.md`), not a file to replace.
_DESCRIPTOR_NAMES = ("/dev/stdin", "/dev/stdout", "/dev/stderr")
_DESCRIPTOR_DIRECTORIES = ("/dev/fd/", "/proc/")
# Held while the temporary file is created, so that an interrupt cannot fall between its
# creation and the code that removes it again.
_STOPS = {signal.SIGINT, signal.SIGTERM}


def writes_through(output: Path) -> bool:
    """Whether `output` is written in place: it exists and is not a regular file (a device, a
    FIFO, a socket), or its name or a symlink on the way is a name of an open descriptor."""
    try:
        if not stat.S_ISREG(os.stat(output).st_mode):
            return True
    except OSError:
        return False  # absent (or unreadable): a new regular file, or the error says why
    name = os.path.abspath(output)
    for _ in range(40):  # the kernel's own limit on symlinks followed
        if name in _DESCRIPTOR_NAMES or name.startswith(_DESCRIPTOR_DIRECTORIES):
            return True
        if not os.path.islink(name):
            return False
        name = os.path.join(os.path.dirname(name), os.readlink(name))
        name = os.path.abspath(name)
    return False


def check_writable(output: Path) -> None:
    """Before any work: the output's directory must exist and be writable (a device or a FIFO
    only needs to be writable itself)."""
    if output.is_dir():
        raise OutlookDiffError("is a directory, cannot write the report there", str(output))
    if writes_through(output):
        if not os.access(output, os.W_OK):
            raise OutlookDiffError("not writable", str(output))
        return
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise OutlookDiffError("directory does not exist", str(directory))
    if not os.access(directory, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise OutlookDiffError("not writable", str(output))


def check_output(output: Path, inputs: Iterable[Path]) -> None:
    """Before any work: `output` can take the report, and writing it cannot harm an input.

    An input is recognised by its device and inode, so the same file under another name, a
    symlink to it or a hard link is refused as well. Only a regular file is compared: a device
    such as a terminal may well be both (`/dev/stdin` in, `/dev/stdout` out)."""
    try:
        target = os.stat(output)
    except OSError:
        target = None  # not there yet: it cannot be an input
    if target is not None and stat.S_ISREG(target.st_mode):
        for path in inputs:
            try:
                source = os.stat(path)
            except OSError:
                continue  # reading it will say what is wrong
            if (source.st_dev, source.st_ino) == (target.st_dev, target.st_ino):
                what = "an input" if Path(path) == output else f"the input {path} by another name"
                raise OutlookDiffError(
                    f"is {what}: refusing to write the report over it", str(output)
                )
    check_writable(output)


def emit(text: str, output: Path | None, *, page: bool = False) -> None:
    """`text` on stdout (through a pager when `page` and it is taller than the terminal), or in
    `output`; a failed write names the file (exit 2 in the CLI)."""
    if output is None:
        if page and _taller_than_terminal(text) and _paged(text):
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    data = text.encode("utf-8")
    try:
        if writes_through(output):
            _write_through(output, data)
        else:
            _replace(output, data)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutlookDiffError(f"cannot write the report: {reason}", str(output)) from None


def _write_through(output: Path, data: bytes) -> None:
    # No O_CREAT: the node exists, and if it went away a regular file must not appear in its
    # place. O_APPEND: behind /dev/stdout may be a file the shell opened with >>.
    descriptor = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _replace(output: Path, data: bytes) -> None:
    directory = output.parent if str(output.parent) else Path(".")
    try:
        existing = os.lstat(output)
        # A report written again keeps its mode; a symlink is replaced, not followed, so the
        # file it points to is never written.
        mode = stat.S_IMODE(existing.st_mode) if stat.S_ISREG(existing.st_mode) else None
    except FileNotFoundError:
        mode = None
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        descriptor, temp = _create_temp(directory, output.name)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        with os.fdopen(descriptor, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _create_temp(directory: Path, name: str) -> tuple[int, Path]:
    """A new file beside the report, created with mode 0o666 so that the kernel applies the
    umask (tempfile.mkstemp makes 0o600, and reading the umask means changing it)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    # The name is cut so that the temporary name stays within NAME_MAX (255 bytes).
    stem = os.fsencode(name)[:200].decode(errors="ignore")
    for _ in range(100):
        temp = directory / f".{stem}.{secrets.token_hex(4)}.part"
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


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
