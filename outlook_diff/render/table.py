"""Render a `Report` as rich tables for the terminal.

Takes a `Report` and the reader's choices (rows per table, one section, width, colour, how
long a quote may be) and returns the printed text as one string: a header panel, then the
tables Chapter alignment, Changed judgements, New themes, Faded / dropped themes and
Recommendations. Quotes longer than `quote_chars` characters are cut with "…" (here only: the
markdown and JSON keep them whole). Every cell is a `rich.text.Text`, so rich measures
East-Asian width itself and square brackets in the Japanese are never read as markup.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from outlook_diff.model import Recommendation
from outlook_diff.render import DEFAULT_QUOTE_CHARS, carried
from outlook_diff.report import (
    RECOMMENDATION_ORDER,
    EditionSummary,
    Forecast,
    Judgement,
    Quote,
    RecommendationFate,
    Report,
    Theme,
    confidence_words,
)

# The redline markers written by recommendations.redline: [-deleted-] and {+inserted+}.
_REDLINE = re.compile(r"\[-(?P<deleted>.*?)-\]|\{\+(?P<inserted>.*?)\+\}", re.DOTALL)
_DELETED = "red strike"
_INSERTED = "green underline"
_NONE = "—"

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class _Layout:
    limit: int | None
    quote_chars: int
    color: bool
    old_label: str
    new_label: str


def render_table(
    report: Report,
    *,
    limit: int | None = None,
    only: str | None = None,
    width: int | None = None,
    color: bool = False,
    quote_chars: int = DEFAULT_QUOTE_CHARS,
) -> str:
    """The report as terminal text: header panel, then each section's tables.

    `limit` rows per table (None or 0: all); `only` one of "alignment", "judgements",
    "themes", "recommendations" (None: all). `width` None lets rich measure the terminal (or
    `COLUMNS`); tests pass a number. With `color` False the text holds no escape codes.
    """
    if only is not None and only not in _SECTIONS:
        raise ValueError(f"unknown section {only!r}; choose one of {', '.join(_SECTIONS)}")
    layout = _Layout(
        limit=limit or None,
        quote_chars=quote_chars,
        color=color,
        old_label=report.old.label,
        new_label=report.new.label,
    )
    renderables: list[RenderableType] = [_header(report, layout)]
    if not report.has_changes:
        renderables.append(
            Text(
                f"No changes: {layout.old_label} and {layout.new_label} report the same "
                "chapters, judgements, themes and recommendations.",
                style="bold",
            )
        )
    for name, section in _SECTIONS.items():
        if only is None or only == name:
            renderables.extend(section(report, layout))
    return console_text(renderables, width=width, color=color)


def console_text(renderables: Sequence[RenderableType], *, width: int | None, color: bool) -> str:
    """Print renderables to a private console and return the text, one blank line between.

    `width` None lets rich measure the terminal (or `COLUMNS`). Strings are printed as they
    are: markup and emoji codes are off, so `[…]` in a quote is never read as a style.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="truecolor" if color else None,
        force_terminal=color,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        record=False,
    )
    for renderable in renderables:
        console.print(renderable)
        console.print()
    # Rich pads every line to the full width; trailing blanks only make diffs noisy.
    lines = [line.rstrip(" ") for line in buffer.getvalue().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


# --- header ---------------------------------------------------------------------------------


def report_title(report: Report) -> str:
    """`戦略アウトルック 2025 → 2026` when the titles differ only by the label, else both titles."""
    old_title = report.old.title
    new_title = report.new.title
    old_label = report.old.label
    new_label = report.new.label
    if old_label and old_title.endswith(old_label):
        stem = old_title[: -len(old_label)]
        if new_title == stem + new_label:
            return f"{old_title} → {new_label}"
    return f"{old_title or old_label} → {new_title or new_label}"


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{name} {count}" for name, count in counts.items() if count]
    return ", ".join(shown) if shown else "none"


def _header(report: Report, layout: _Layout) -> Panel:
    editions = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    editions.add_column("")
    editions.add_column(Text(layout.old_label), overflow="fold")
    editions.add_column(Text(layout.new_label), overflow="fold")

    def row(name: str, key: str) -> None:
        editions.add_row(
            Text(name, style="bold"),
            Text(str(getattr(report.old, key))),
            Text(str(getattr(report.new, key))),
        )

    row("Title", "title")
    row("Subtitle", "subtitle")
    editions.add_row(
        Text("Chapters", style="bold"),
        Text(_chapter_count(report.old)),
        Text(_chapter_count(report.new)),
    )
    row("Recommendations", "recommendations")

    summary = report.summary
    found = Table.grid(padding=(0, 2))
    found.add_column()
    found.add_column(overflow="fold")
    if report.filters:
        found.add_row(Text("Filter", style="bold"), Text("chapter " + ", ".join(report.filters)))
    changed = {k: v for k, v in summary["judgements"].items() if k != "reaffirmed"}
    found.add_row(Text("Alignment", style="bold"), Text(_counts(summary["alignment"])))
    found.add_row(Text("Judgements", style="bold"), Text(_judgement_counts(summary, changed)))
    found.add_row(Text("Forecasts", style="bold"), Text(_counts(summary["forecasts"]) or "none"))
    found.add_row(Text("Themes", style="bold"), Text(_counts(summary["themes"])))
    found.add_row(Text("Recommendations", style="bold"), Text(_counts(summary["recommendations"])))
    return Panel(
        Group(editions, Text(""), found),
        title=Text(f"outlook-diff: {report_title(report)}", style="bold"),
        title_align="left",
        box=box.ROUNDED,
    )


def _chapter_count(edition: EditionSummary) -> str:
    chapters = edition.chapters
    front = edition.front_matter
    return f"{chapters} (+{front} front matter)" if front else str(chapters)


def _judgement_counts(summary: dict[str, Any], changed: dict[str, int]) -> str:
    reaffirmed = summary["judgements"].get("reaffirmed", 0)
    text = _counts(changed)
    return f"{text}; reaffirmed {reaffirmed}" if reaffirmed else text


# --- shared cell builders -------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """One line of at most `limit` characters: newlines become spaces, the rest becomes "…"."""
    flat = re.sub(r"\s*\n\s*", " ", text).strip()
    if limit > 0 and len(flat) > limit:
        return flat[: max(limit - 1, 1)].rstrip() + "…"
    return flat


def cut_around(text: str, term: str, limit: int) -> str:
    """Like `cut`, but keeps `term` in view: a theme's context is useless without its term."""
    flat = cut(text, 0)
    at = flat.find(term)
    if limit <= 0 or len(flat) <= limit or at < 0 or at + len(term) <= limit - 1:
        return cut(flat, limit)
    start = max(0, min(at - limit // 3, len(flat) - limit + 2))
    return "…" + cut(flat[start:], limit - 1)


def redline_parts(redline: str) -> list[tuple[str, str]]:
    """Split a `[-deleted-]{+inserted+}` redline into ("equal"|"deleted"|"inserted", text) parts."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _REDLINE.finditer(redline):
        if match.start() > position:
            parts.append(("equal", redline[position : match.start()]))
        deleted = match.group("deleted")
        if deleted is not None:
            parts.append(("deleted", deleted))
        else:
            parts.append(("inserted", match.group("inserted")))
        position = match.end()
    if position < len(redline):
        parts.append(("equal", redline[position:]))
    return parts


def redline_text(redline: str, *, color: bool, limit: int) -> Text:
    """A redline as styled text: deletions red struck through, insertions green underlined.

    Without colour the `[-…-]`/`{+…+}` markers stay in the text so the change is still visible.
    With a `limit`, long unchanged stretches shrink to "…" plus a few characters of context, so
    the changes, not the first sentence, fill the cell; the result is then cut like a quote.
    """
    parts = redline_parts(cut(redline, 0))
    out = Text()
    for i, (kind, part) in enumerate(parts):
        if kind == "equal":
            out.append(_context(part, first=i == 0, last=i == len(parts) - 1) if limit else part)
        elif color:
            out.append(part, style=_DELETED if kind == "deleted" else _INSERTED)
        else:
            out.append(f"[-{part}-]" if kind == "deleted" else f"{{+{part}+}}")
    if limit > 0 and len(out.plain) > limit:
        out = out[: max(limit - 1, 1)]
        out.rstrip()
        out.append("…")
    return out


_CONTEXT_CHARS = 10  # unchanged characters kept on each side of a change in a cut redline


def _context(text: str, *, first: bool, last: bool) -> str:
    """An unchanged stretch of a redline shortened to the characters next to the changes."""
    keep_head = 0 if first else _CONTEXT_CHARS
    keep_tail = 0 if last else _CONTEXT_CHARS
    if len(text) <= keep_head + keep_tail + 1:
        return text
    return text[:keep_head] + "…" + (text[len(text) - keep_tail :] if keep_tail else "")


def _quote_text(quote: Quote | None, layout: _Layout) -> Text:
    if quote is None:
        return Text(_NONE, style="dim")
    return Text(cut(quote.text, layout.quote_chars))


def _where(quote: Quote | None, label: str) -> Text:
    if quote is None:
        return Text(f"{label}: {_NONE}", style="dim")
    where = Text(quote.chapter)
    if quote.section:
        where.append(f" ◆{cut(quote.section, 24)}", style="dim")
    return where


def _number(value: float | None) -> Text:
    return Text(_NONE if value is None else f"{value:.2f}", justify="right")


def _rec(ref: Recommendation | None, layout: _Layout) -> Text:
    if ref is None:
        return Text(_NONE, style="dim")
    text = Text(f"{ref.chapter}#{ref.index}", style="bold")
    text.append("\n" + cut(ref.text, layout.quote_chars))
    return text


def _table(title: str, columns: Sequence[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(
        title=Text(title, style="bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_lines=True,
        expand=True,
    )
    for header, options in columns:
        table.add_column(Text(header), overflow="fold", **options)
    return table


def _rows(items: Sequence[_Row], layout: _Layout) -> tuple[Sequence[_Row], str | None]:
    """The rows to show, and the caption saying how many were left out (None if none)."""
    if layout.limit is None or len(items) <= layout.limit:
        return items, None
    shown = items[: layout.limit]
    return shown, f"showing {len(shown)} of {len(items)}; --limit 0 shows all"


def _empty(message: str) -> Text:
    return Text(message, style="dim")


# --- sections -------------------------------------------------------------------------------


def _alignment(report: Report, layout: _Layout) -> list[RenderableType]:
    if not report.alignment:
        return [_empty("No chapter alignment: neither edition has chapters to compare.")]
    links, caption = _rows(report.alignment, layout)
    table = _table(
        "Chapter alignment",
        [
            (f"{layout.old_label} chapters", {"ratio": 2}),
            (f"{layout.new_label} chapters", {"ratio": 2}),
            ("Status", {"no_wrap": True}),
            ("Score", {"justify": "right", "no_wrap": True}),
            ("Reasons", {"ratio": 3}),
        ],
    )
    for link in links:
        table.add_row(
            _chapters(report, link.old),
            _chapters(report, link.new),
            Text(
                link.status + (" (uncertain)" if link.uncertain else ""),
                style=_ALIGNMENT_STYLE.get(link.status, ""),
            ),
            _number(link.score),
            Text("\n".join((*link.reasons, *carried(link.judgements)))),
        )
    table.caption = caption
    return [table]


_ALIGNMENT_STYLE = {"dropped": "red", "new": "green", "merged": "yellow", "split": "yellow"}


def _chapters(report: Report, ids: Sequence[str]) -> Text:
    if not ids:
        return Text(_NONE, style="dim")
    text = Text()
    for i, chapter_id in enumerate(ids):
        if i:
            text.append("\n")
        text.append(chapter_id, style="bold")
        title = report.title_of(chapter_id)
        if title != chapter_id:
            text.append(f" {title}")
    return text


def _changed(report: Report) -> tuple[list[Judgement], int]:
    changed = [j for j in report.judgements if j.change != "reaffirmed"]
    return changed, len(report.judgements) - len(changed)


_JUDGEMENT_STYLE = {
    "reversed": "bold red",
    "unrealized": "bold red",
    "weakened": "yellow",
    "strengthened": "cyan",
    "realized": "magenta",
    "new": "green",
    "dropped": "red",
}


def _confidence(score: float | None) -> Text:
    if score is None:
        return Text(_NONE, style="dim")
    return Text(confidence_words(score))


def _judgements(report: Report, layout: _Layout) -> list[RenderableType]:
    changed, reaffirmed = _changed(report)
    if not changed:
        aside = f" ({reaffirmed} reaffirmed)" if reaffirmed else ""
        if not report.judgements:
            aside = " (neither edition states an assessment or forecast that could be tracked)"
        return [_empty(f"No changed judgements{aside}.")]
    pairs, caption = _rows(changed, layout)
    if reaffirmed:
        caption = "; ".join(filter(None, [caption, f"{reaffirmed} reaffirmed not listed"]))
    pairing = "Pairing: how sure the two quotes speak of one thing (strong ≥ 0.75, likely ≥ 0.5)"
    caption = "\n".join(filter(None, [caption, pairing]))
    table = _table(
        "Changed judgements",
        [
            ("#", {"justify": "right", "no_wrap": True}),
            ("Change", {"no_wrap": True}),
            (f"{layout.old_label} quote", {"ratio": 3}),
            (f"{layout.new_label} quote", {"ratio": 3}),
            ("Where", {"ratio": 2}),
            ("Pairing", {"no_wrap": True}),
            ("Why", {"ratio": 2}),
        ],
    )
    for pair in pairs:
        where = _where(pair.old, layout.old_label)
        where.append("\n")
        where.append_text(_where(pair.new, layout.new_label))
        table.add_row(
            Text(pair.id),
            Text(pair.change, style=_JUDGEMENT_STYLE.get(pair.change, "")),
            _quote_text(pair.old, layout),
            _quote_text(pair.new, layout),
            where,
            _confidence(pair.score),
            Text(pair.reason),
        )
    table.caption = caption
    return [table]


_OUTCOME_STYLE = {
    "realized": "magenta",
    "unrealized": "bold red",
    "open": "cyan",
    "not_mentioned": "dim",
}


def _order(report: Report, chapter_id: str) -> int:
    """A chapter's place in reading order (front matter first), for per-chapter tables."""
    ids = [c for c, _ in report.chapter_titles]
    return ids.index(chapter_id) if chapter_id in ids else len(ids)


def _forecasts(report: Report, layout: _Layout) -> list[RenderableType]:
    if not report.forecasts:
        return [_empty(f"No forecasts in {layout.old_label} to score.")]
    counts = _counts(report.summary["forecasts"])
    shown: Sequence[Forecast]
    shown, caption = _rows(report.forecasts, layout)
    table = _table(
        f"Forecast scorecard — what {layout.old_label} foresaw, as {layout.new_label} tells it",
        [
            ("#", {"justify": "right", "no_wrap": True}),
            ("Outcome", {"no_wrap": True}),
            (f"{layout.old_label} forecast", {"ratio": 3}),
            (f"{layout.new_label} evidence", {"ratio": 3}),
            ("Where", {"ratio": 2}),
            ("Pairing", {"no_wrap": True}),
        ],
    )
    for f in shown:
        where = _where(f.old, layout.old_label)
        where.append("\n")
        where.append_text(_where(f.evidence, layout.new_label))
        table.add_row(
            Text(f.id),
            Text(f.outcome.replace("_", " "), style=_OUTCOME_STYLE.get(f.outcome, "")),
            _quote_text(f.old, layout),
            _quote_text(f.evidence, layout),
            where,
            _confidence(f.score),
        )
    table.caption = "; ".join(filter(None, [counts, caption]))
    per_chapter: dict[str, dict[str, int]] = {}
    for f in report.forecasts:
        tally = per_chapter.setdefault(f.old.chapter, {})
        tally[f.outcome] = tally.get(f.outcome, 0) + 1
    chapters = _table(
        "Forecasts per chapter",
        [("Chapter", {"ratio": 2}), ("Outcomes", {"ratio": 3})],
    )
    for chapter_id, tally in sorted(per_chapter.items(), key=lambda kv: _order(report, kv[0])):
        chapters.add_row(
            Text(f"{chapter_id} {report.title_of(chapter_id)}"),
            Text(_counts({k.replace("_", " "): v for k, v in sorted(tally.items())})),
        )
    return [chapters, table]


def _themes(report: Report, layout: _Layout) -> list[RenderableType]:
    old, new = layout.old_label, layout.new_label
    groups: list[tuple[str, tuple[Theme, ...], str]] = [
        (f"New themes — absent in {old}", report.themes.new, "No new themes."),
        ("New themes — rising", report.themes.rising, "No rising themes."),
        (
            f"Faded / dropped themes — dropped (absent in {new})",
            report.themes.dropped,
            "No dropped themes.",
        ),
        ("Faded / dropped themes — fading", report.themes.fading, "No fading themes."),
    ]
    out: list[RenderableType] = []
    for title, themes, empty in groups:
        if not themes:
            out.append(_empty(empty))
            continue
        shown, caption = _rows(themes, layout)
        table = _table(
            title,
            [
                ("#", {"justify": "right", "no_wrap": True}),
                ("Term", {"ratio": 2}),
                (f"{old} → {new}", {"justify": "right", "no_wrap": True}),
                ("per 10k words", {"justify": "right", "no_wrap": True}),
                ("Chapters", {"ratio": 2}),
                ("Context", {"ratio": 6}),
            ],
        )
        for theme in shown:
            table.add_row(
                Text(theme.id),
                Text(theme.term, style="bold"),
                Text(f"{theme.old_count} → {theme.new_count}"),
                Text(_rates(theme)),
                Text(", ".join(theme.chapters) or _NONE),
                Text(cut_around(theme.context.text, theme.term, layout.quote_chars))
                if theme.context
                else Text(_NONE, style="dim"),
            )
        table.caption = caption
        out.append(table)
    return out


def _rates(theme: Theme) -> str:
    return f"{theme.old_rate:.1f} → {theme.new_rate:.1f}"


_RECOMMENDATION_STYLE = {
    "dropped": "bold red",
    "new": "green",
    "modified": "yellow",
    "moved": "magenta",
    "kept": "dim",
}


def _recommendations(report: Report, layout: _Layout) -> list[RenderableType]:
    """One table per fate, so `--limit` shows some of each instead of only the first kind."""
    if not report.recommendations:
        return [_empty("No recommendations in either edition.")]
    out: list[RenderableType] = []
    for status in RECOMMENDATION_ORDER:
        group = [f for f in report.recommendations if f.status == status]
        if not group:
            continue
        fates, caption = _rows(group, layout)
        table = _table(
            f"Recommendations — {status} ({len(group)})",
            [
                ("#", {"justify": "right", "no_wrap": True}),
                ("Status", {"no_wrap": True}),
                (f"{layout.old_label} recommendation", {"ratio": 3}),
                (f"{layout.new_label} recommendation", {"ratio": 3}),
                ("Sim.", {"justify": "right", "no_wrap": True}),
                ("What changed / best candidate", {"ratio": 3}),
            ],
        )
        for rank, fate in enumerate(fates, start=1):
            table.add_row(
                Text(str(rank)),
                Text(fate.status, style=_RECOMMENDATION_STYLE.get(fate.status, "")),
                _rec(fate.old, layout),
                _rec(fate.new, layout),
                _number(fate.similarity),
                _fate_detail(fate, layout),
            )
        table.caption = caption
        out.append(table)
    return out


def _fate_detail(fate: RecommendationFate, layout: _Layout) -> Text:
    if fate.redline:
        line = redline_text(fate.redline, color=layout.color, limit=layout.quote_chars)
        if fate.changes is None:
            return line
        detail = Text(fate.changes.summary, style="bold")
        detail.append("\n")
        detail.append_text(line)
        return detail
    if fate.candidate is not None:
        best = fate.candidate
        detail = Text(f"best candidate {best.chapter}#{best.index}", style="dim")
        detail.append("\n" + cut(fate.candidate.text, layout.quote_chars))
        return detail
    if fate.status == "kept":
        return Text("unchanged", style="dim")
    return Text(_NONE, style="dim")


_SECTIONS: dict[str, Callable[[Report, _Layout], list[RenderableType]]] = {
    "alignment": _alignment,
    "judgements": _judgements,
    "forecasts": _forecasts,
    "themes": _themes,
    "recommendations": _recommendations,
}

__all__ = [
    "DEFAULT_QUOTE_CHARS",
    "console_text",
    "cut",
    "redline_parts",
    "redline_text",
    "render_table",
    "report_title",
]
