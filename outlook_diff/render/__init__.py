"""Render a `Report` as text: terminal tables, a markdown report, or report-v2 JSON.

Takes the `Report` the diff stage returns and the reader's choices (format, rows per table,
one section, width, colour) and returns the whole output as one string; nothing is printed
here, the CLI writes the string where it belongs. Each format lives in its own module and is
reached through the `RENDERERS` table, so adding a format is one entry, not a new branch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from outlook_diff.errors import OutlookDiffError
from outlook_diff.report import Quote, Report

# Terminal quotes longer than this are cut with "…". (Kept here, not imported from table.py,
# so that `--format json` never imports rich: each renderer is imported when it is used.)
DEFAULT_QUOTE_CHARS = 80

# The names `--only` accepts, in the order the sections are printed.
SECTIONS: tuple[str, ...] = ("alignment", "judgements", "forecasts", "themes", "recommendations")


def carried(judgements: Sequence[Quote]) -> tuple[str, ...]:
    """A chapter dropped or new whole: its judgements are counted on its alignment row, not
    listed as rows of their own (the same words in every format)."""
    if not judgements:
        return ()
    return (f"{len(judgements)} judgements of this chapter go with it (listed in JSON)",)


@dataclass(frozen=True)
class RenderOptions:
    """What the reader asked for; JSON ignores all of it (it is always complete)."""

    limit: int | None = None  # rows per table; None (or 0) for all
    only: str | None = None  # one of SECTIONS, None for every section
    width: int | None = None  # terminal columns; None lets rich measure the terminal
    color: bool = False
    quote_chars: int = DEFAULT_QUOTE_CHARS  # terminal quotes longer than this are cut with "…"


Renderer = Callable[[Report, RenderOptions], str]


def _table(report: Report, options: RenderOptions) -> str:
    from outlook_diff.render.table import render_table

    return render_table(
        report,
        limit=options.limit,
        only=options.only,
        width=options.width,
        color=options.color,
        quote_chars=options.quote_chars,
    )


def _markdown(report: Report, options: RenderOptions) -> str:
    from outlook_diff.render.markdown import render_markdown

    return render_markdown(report, limit=options.limit, only=options.only)


def _json(report: Report, options: RenderOptions) -> str:
    from outlook_diff.render.json import render_json

    return render_json(report)


RENDERERS: dict[str, Renderer] = {
    "table": _table,
    "markdown": _markdown,
    "json": _json,
}

FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(
    report: Report,
    fmt: str,
    *,
    limit: int | None = None,
    only: str | None = None,
    width: int | None = None,
    color: bool = False,
    quote_chars: int = DEFAULT_QUOTE_CHARS,
) -> str:
    """The report in format `fmt` ("table", "markdown" or "json") as one string.

    `limit` is rows per table (None or 0: all), `only` one section name of `SECTIONS` (None:
    all); `width` and `color` matter to the table only. JSON ignores `limit` and `only`.
    Raises `OutlookDiffError` for an unknown format or section, or a negative limit.
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise OutlookDiffError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if only is not None and only not in SECTIONS:
        raise OutlookDiffError(f"unknown section {only!r}; choose one of {', '.join(SECTIONS)}")
    if limit is not None and limit < 0:
        raise OutlookDiffError(f"--limit must be 0 (all rows) or more, not {limit}")
    options = RenderOptions(
        limit=limit or None, only=only, width=width, color=color, quote_chars=quote_chars
    )
    return renderer(report, options)


__all__ = ["FORMATS", "RENDERERS", "SECTIONS", "RenderOptions", "Renderer", "render"]
