"""The `outlook-diff` console script.

`outlook-diff --help` and `--version` are answered here, without importing typer: measured,
importing typer is ~80 ms of a ~100 ms `--help`, against 14 ms for `python -c pass`. The help
text is typer's own, stored in help.txt (tests/test_cli.py checks it is current; `make golden`
rewrites it). A comparison run before on the same files and settings is answered from the
report cache by replay.py, also without typer (or numpy). Everything else goes to the typer
app in cli.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

HELP_FILE = Path(__file__).with_name("help.txt")


def main() -> None:
    args = sys.argv[1:]
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
