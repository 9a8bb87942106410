"""The embedding progress a command shows on stderr: one first-run line, then a rich bar.

The embedding stage reports progress through a `progress(done, total)` callback and imports no
UI; this module makes that callback for the CLI. rich is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Messages(Protocol):
    quiet: bool

    def note(self, message: str) -> None: ...


# Draw the bar only when at least this many texts must really be embedded; below it the bar
# would flash for a second and only clutter the terminal.
PROGRESS_MIN_TEXTS = 17


# About how many texts a second the bundled model embeds on two cores, load included (the bench
# measured 72 on a quiet machine, a little less with a cold cache), for the first-run line.
TEXTS_PER_SECOND = 60


@contextmanager
def embedding_progress(messages: Messages) -> Iterator[Callable[[int, int], None] | None]:
    """A `progress(done, total)` callback: on the first report of enough work, one line on
    stderr says what is embedded once and that later runs use the cache; on a terminal a rich
    bar then follows the work. None when --quiet."""
    if messages.quiet:
        yield None
        return
    said: list[bool] = []

    def first_run(done: int, total: int) -> None:
        if not said and total >= PROGRESS_MIN_TEXTS:
            said.append(True)
            seconds = max(1, round(total / TEXTS_PER_SECOND))
            messages.note(
                f"embedding {total} texts once with the model (about {seconds} s); "
                "later runs use the cache"
            )

    if not sys.stderr.isatty():
        yield first_run
        return
    from rich.console import Console

    console = Console(stderr=True)
    # FORCE_COLOR makes rich call any stream a terminal; a bar in a CI log is noise.
    if not console.is_terminal:
        yield first_run
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("Embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task: list[Any] = []

    def progress(done: int, total: int) -> None:
        first_run(done, total)
        if not task:
            if total < PROGRESS_MIN_TEXTS:
                return
            bar.start()
            task.append(bar.add_task("embed", total=total))
        bar.update(task[0], completed=done, total=total)

    try:
        yield progress
    finally:
        if task:
            bar.stop()
