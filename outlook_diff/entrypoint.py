"""The `outlook-diff` console script.

`outlook-diff --help` and `--version` are answered here, without importing typer: measured,
importing typer is ~80 ms of a ~100 ms `--help`, against 14 ms for `python -c pass`. The help
text is typer's own, stored in help.txt (tests/test_cli.py checks it is current; `make golden`
rewrites it). A comparison run before on the same files and settings is answered from the
report cache by replay.py, also without typer (or numpy). Everything else goes to the typer
app in cli.py.

SIGTERM is made to behave like Ctrl-C: its handler raises `Terminated`, a KeyboardInterrupt,
so the same clean-up runs and the same one-line message is printed; the exit code is 143.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

from outlook_diff.errors import Terminated, interrupted_exit_code

HELP_FILE = Path(__file__).with_name("help.txt")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _main(sys.argv[1:])
    except KeyboardInterrupt as interrupt:  # while a module loads, before a command's own guard
        sys.stderr.write("outlook-diff: interrupted: no output written\n")
        sys.exit(interrupted_exit_code(interrupt))


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _main(args: list[str]) -> None:
    if args in (["--help"], ["-h"]):
        sys.stdout.write(HELP_FILE.read_text(encoding="utf-8"))
        return
    if args == ["--version"]:
        from outlook_diff import __version__

        sys.stdout.write(f"outlook-diff {__version__}\n")
        return
    from outlook_diff.replay import replay

    code = replay(args)
    if code is not None:
        sys.exit(code)
    from outlook_diff.cli import main as run

    run()
