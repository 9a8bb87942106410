"""Render a `Report`: terminal tables, a markdown report, an HTML page, or report-v2 JSON.

Takes the `Report` the diff stage returns and the reader's `ViewSettings` (rows per table,
one section, a `--change` filter), plus the terminal's width and colour, and returns the
whole output as one string; nothing is printed here. The `--change` filter applies to the
report itself, so JSON honours it too; the other settings shape only the view
(render/view.py) that the table, markdown and HTML renderers draw. Each format is imported
when it is used, so JSON never imports rich, and markdown and HTML never do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from outlook_diff.errors import OutlookDiffError
from outlook_diff.render.filters import SECTIONS, ViewSettings, filter_report
from outlook_diff.render.view import build_view
from outlook_diff.report import Report


@dataclass(frozen=True)
class Screen:
    """Where the text goes: only the terminal renderer uses it."""

    width: int | None = None  # columns; None lets rich measure the terminal
    color: bool = False


def _table(report: Report, settings: ViewSettings, screen: Screen) -> str:
    from outlook_diff.render.table import render_table

    return render_table(build_view(report, settings), width=screen.width, color=screen.color)


def _markdown(report: Report, settings: ViewSettings, screen: Screen) -> str:
    from outlook_diff.render.markdown import render_markdown

    return render_markdown(build_view(report, settings))


def _html(report: Report, settings: ViewSettings, screen: Screen) -> str:
    from outlook_diff.render.html import render_html

    return render_html(build_view(report, settings))


def _json(report: Report, settings: ViewSettings, screen: Screen) -> str:
    from outlook_diff.render.json import render_json

    return render_json(report)


RENDERERS: dict[str, Callable[[Report, ViewSettings, Screen], str]] = {
    "table": _table,
    "markdown": _markdown,
    "html": _html,
    "json": _json,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


# Rows per table when --limit is not given: a markdown report is shared and read whole, so it
# shows fewer rows (with every quote whole it stays under ~80 KB on the shipped editions).
DEFAULT_LIMITS = {"table": 15, "markdown": 8, "html": 15, "json": 0}


def default_limit(fmt: str, limit: int | None) -> int:
    """--limit as given, else the default of the format."""
    return DEFAULT_LIMITS.get(fmt, 15) if limit is None else limit


def check_format(fmt: str) -> str:
    """The format name, or an error naming the valid ones."""
    if fmt not in RENDERERS:
        raise OutlookDiffError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def render(
    report: Report,
    fmt: str = "table",
    settings: ViewSettings | None = None,
    screen: Screen | None = None,
) -> str:
    """The report in format `fmt` as one string. Raises `OutlookDiffError` for an unknown
    format, section or --change word, or a negative limit."""
    renderer = RENDERERS[check_format(fmt)]
    settings = (settings or ViewSettings()).checked()
    return renderer(filter_report(report, settings.changes), settings, screen or Screen())


__all__ = ["FORMATS", "RENDERERS", "SECTIONS", "Screen", "ViewSettings", "check_format", "render"]
