"""Draw a `View` as rich tables for the terminal.

Takes the view (render/view.py) and the terminal's width and colour, and returns the printed
text as one string: a header panel (editions, headline, the most important changes of
judgement), then each section with its one-line legend and tables. Cards are not drawn here
(`outlook-diff show ID` prints one); quotes come cut by the view. Every cell is a `Prose`
text: rich measures East-Asian width itself, square brackets are never read as markup, and
lines break between phrases and never against kinsoku (render/prose.py). Terminal control
characters from the inputs are made visible first (render/safe.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.containers import Lines
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from outlook_diff.render.prose import break_offsets
from outlook_diff.render.safe import for_terminal
from outlook_diff.render.spans import Cell, Span
from outlook_diff.render.view import Table, View

_STATUS_STYLE = {
    "reversed": "bold red",
    "unrealized": "bold red",
    "weakened": "yellow",
    "strengthened": "cyan",
    "realized": "magenta",
    "open": "cyan",
    "not_mentioned": "dim",
    "new": "green",
    "dropped": "red",
    "merged": "yellow",
    "split": "yellow",
    "moved": "magenta",
    "modified": "yellow",
    "kept": "dim",
    "rising": "green",
    "fading": "yellow",
}
_STYLE = {
    "strong": "bold",
    "dim": "dim",
    "code": "bold",
    "term": "bold",
    "deleted": "red strike",
    "inserted": "green underline",
}


# A column that holds prose is never squeezed below this many cells (Japanese then breaks
# every character or two, and kinsoku cannot hold).
MIN_CELL = 10


class Prose(Text):
    """Text that wraps Japanese between phrases and by the kinsoku rules."""

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: Any = None,
        overflow: Any = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        if no_wrap or self.no_wrap:
            return super().wrap(
                console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=True
            )
        lines = Lines()
        for line in self.split(allow_blank=True):
            pieces = line.divide(break_offsets(line.plain, width))
            for piece in pieces:
                piece.rstrip_end(width)
                piece.truncate(width, overflow="fold")
            lines.extend(pieces)
        return lines


def render_table(view: View, *, width: int | None = None, color: bool = False) -> str:
    """The view as terminal text. `width` None lets rich measure the terminal (or COLUMNS);
    with `color` False the text holds no escape codes."""
    renderables: list[RenderableType] = [_header(view, color)]
    for section in view.sections:
        single = len(section.tables) == 1 and section.tables[0].title == section.title
        renderables.append(Prose(for_terminal(section.title.upper()), style="bold"))
        renderables.append(Prose(for_terminal(section.legend), style="dim"))
        for table in section.tables:
            renderables.append(_table(table, color, titled=not single))
    return console_text(renderables, width=width, color=color)


def console_text(renderables: Sequence[RenderableType], *, width: int | None, color: bool) -> str:
    """Print renderables to a private console and return the text, one blank line between.

    Markup and emoji codes are off, so `[…]` in a quote is never read as a style.
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


def cell_text(cell: Cell, color: bool) -> Prose:
    """A view cell as rich text; without colour, deletions and insertions keep a visible
    marker ([-…-] and {+…+}), since their style would not show."""
    out = Prose()
    for span in cell:
        text = for_terminal(span.text)
        if span.style == "status":
            out.append(text, style=_STATUS_STYLE.get(span.kind, "") if color else "")
        elif span.style in ("deleted", "inserted") and not color:
            out.append(f"[-{text}-]" if span.style == "deleted" else f"{{+{text}+}}")
        else:
            out.append(text, style=_STYLE.get(span.style, ""))
    return out


def _header(view: View, color: bool) -> Panel:
    editions = RichTable(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in view.editions.columns:
        editions.add_column(cell_text((Span(column.header),), color), ratio=column.ratio)
    for row in view.editions.rows:
        editions.add_row(*(cell_text(c, color) for c in row))
    facts = RichTable.grid(padding=(0, 2))
    facts.add_column(no_wrap=True)
    facts.add_column(ratio=1)
    if view.selection:
        facts.add_row(Prose("Selected", style="bold"), cell_text((Span(view.selection),), color))
    for fact in view.headline.facts:
        facts.add_row(Prose(fact.label, style="bold"), cell_text(fact.value, color))
    parts: list[RenderableType] = [
        Prose(for_terminal(view.headline.verdict), style="bold"),
        Text(""),
        facts,
    ]
    changes = view.headline.changes
    if changes.rows:
        parts += [Text(""), _table(changes, color, boxed=False)]
    parts += [Text(""), editions]
    return Panel(
        Group(*parts),
        title=Prose(for_terminal(view.title), style="bold"),
        title_align="left",
        box=box.ROUNDED,
    )


def _table(table: Table, color: bool, *, boxed: bool = True, titled: bool = True) -> RenderableType:
    if not table.rows:
        return Prose(for_terminal(table.empty or f"{table.title}: none."), style="dim")
    out = RichTable(
        title=Prose(for_terminal(table.title), style="bold") if titled else None,
        title_justify="left",
        box=box.SIMPLE_HEAD if boxed else box.SIMPLE,
        show_lines=boxed,
        expand=True,
        caption=Prose(for_terminal(table.caption), style="dim") if table.caption else None,
        caption_justify="left",
    )
    for column in table.columns:
        narrow = column.role in ("id", "status", "number", "term")
        out.add_column(
            cell_text((Span(column.header),), color),
            ratio=column.ratio,
            min_width=MIN_CELL if column.ratio else None,
            no_wrap=narrow,
            justify="right" if column.role in ("id", "number") else "left",
        )
    for row in table.rows:
        out.add_row(*(cell_text(cell, color) for cell in row))
    return out
