"""Draw a `View` as a GitHub-flavoured markdown report.

Takes the view (render/view.py) and returns one markdown document: the title, a table of
contents whose links work on GitHub (headings are plain English, anchors follow GitHub's
rule), the headline, the editions, then each section with its legend and tables. A row that
has a card links to it; the card quotes both sides whole with where they stand, so every quote
appears once: tables with cards leave their quote columns to the cards. Recommendations are
set side by side, the changed words marked <del>/<ins>. Every text passes
`safe.markdown_inline` (nothing from an input is read as markdown or HTML). The text has no
trailing blanks and ends with exactly one newline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from outlook_diff.render.safe import markdown_inline
from outlook_diff.render.spans import Cell
from outlook_diff.render.view import Card, Side, Table, View

_NONE = "—"
_PLAIN_ID = re.compile(r"[\w/.\- ]+")


def render_markdown(view: View) -> str:
    """The view as one markdown document ending in a single newline."""
    slugs = _Slugs()
    cards = {card.id: slug(card.title) for s in view.sections for t in s.tables for card in t.cards}
    body: list[str] = []
    contents: list[tuple[str, str]] = []

    def heading(level: int, text: str) -> str:
        anchor = slugs.add(text)
        if level == 2:
            contents.append((text, anchor))
        return f"{'#' * level} {markdown_inline(text)}"

    body.append(heading(2, "Headline"))
    body.append(f"**{markdown_inline(view.headline.verdict)}**")
    if view.selection:
        body.append(f"Selected: {markdown_inline(view.selection)}")
    body.append(
        "\n".join(
            f"- **{markdown_inline(f.label)}**: {_cell(f.value)}" for f in view.headline.facts
        )
    )
    if view.headline.changes.rows:
        body.append(heading(3, view.headline.changes.title))
        body.append(_table(view.headline.changes, cards, keep_quotes=True))
    body.append(heading(2, "Editions"))
    body.append(_table(view.editions, cards, keep_quotes=True))
    for section in view.sections:
        body.append(heading(2, section.title))
        body.append(f"*{markdown_inline(section.legend)}*")
        for table in section.tables:
            if len(section.tables) > 1 or table.title != section.title:
                body.append(heading(3, table.title))
            if not table.rows:
                body.append(f"*{markdown_inline(table.empty or 'None.')}*")
                continue
            body.append(_table(table, cards, keep_quotes=not table.cards))
            if table.caption:
                body.append(f"*{markdown_inline(table.caption)}*")
            for card in table.cards:
                body.extend(_card(card, slugs))
    toc = "\n".join(f"- [{markdown_inline(text)}](#{anchor})" for text, anchor in contents)
    blocks = [f"# {markdown_inline(view.title)}", markdown_inline(view.intro), "## Contents", toc]
    slugs.add("Contents")
    return _join([*blocks, *body])


class _Slugs:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, a number
    appended to a repeated one."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def add(self, text: str) -> str:
        base = slug(text)
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return base if n == 0 else f"{base}-{n}"


def slug(text: str) -> str:
    """A heading's anchor as GitHub makes it."""
    kept = "".join(
        ch
        for ch in text.lower()
        if ch in " -_" or unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Mn"
    )
    return kept.replace(" ", "-")


def _join(blocks: Sequence[str]) -> str:
    """Blocks separated by one blank line; no trailing blanks; exactly one final newline."""
    text = "\n\n".join(block.strip("\n") for block in blocks if block.strip())
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def _spans(cell: Cell) -> str:
    """A cell's spans as inline markdown (newlines untouched)."""
    out = []
    for span in cell:
        text = markdown_inline(span.text)
        if not text.strip():
            out.append(text)
        elif span.style in ("strong", "status", "term"):
            out.append(f"**{text.strip()}**" if span.style != "term" else f"**{text}**")
        elif span.style == "code":
            # A code span shows an id as typed; one holding anything but word characters and
            # / . - (a label from an option may) is plain escaped text instead, since a | in a
            # code span still splits a table cell.
            out.append(f"`{span.text}`" if _PLAIN_ID.fullmatch(span.text) else text)
        elif span.style == "deleted":
            out.append(f"<del>{text}</del>")
        elif span.style == "inserted":
            out.append(f"<ins>{text}</ins>")
        elif span.style == "dim":
            out.append(f"*{text}*" if text.strip() == text else text)
        else:
            out.append(text)
    return "".join(out)


def _cell(cell: Cell) -> str:
    """A cell for a GFM table: newlines as <br>, pipes escaped (by markdown_inline)."""
    lines = [line.strip() for line in _spans(cell).split("\n")]
    return "<br>".join(line for line in lines if line) or " "


def _table(table: Table, cards: dict[str, str], *, keep_quotes: bool) -> str:
    columns = [i for i, c in enumerate(table.columns) if keep_quotes or c.role != "quote"]
    headers = [markdown_inline(table.columns[i].header) or " " for i in columns]
    rule = ["---:" if table.columns[i].role in ("id", "number") else "---" for i in columns]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    for r, row in enumerate(table.rows):
        cells = []
        for i in columns:
            text = _cell(row[i])
            item = table.ids[r] if r < len(table.ids) else ""
            if table.columns[i].role == "id" and item in cards:
                text = f"[{item}](#{cards[item]})"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _blockquote(cell: Cell) -> str:
    lines = [line.strip() for line in _spans(cell).split("\n")]
    quoted = [re.sub(r"^(\d+)([.)])", r"\1\\\2", line) for line in lines if line]
    return "\n>\n".join(f"> {line}" for line in quoted) or f"> {_NONE}"


def _place(side: Side) -> str:
    note = f" — {markdown_inline(side.note)}" if side.note else ""
    return f"**{markdown_inline(side.edition)}**, {markdown_inline(side.place)}{note}:"


def _card(card: Card, slugs: _Slugs) -> list[str]:
    slugs.add(card.title)
    blocks = [f"#### {markdown_inline(card.title)}"]
    if card.redline:  # mostly alike: the redline holds both texts, each word once
        old, new = card.sides
        blocks.append(f"{_place(old)}<br>{_place(new)}")
        blocks.append(f"> {_spans(card.redline)}")
    elif card.id.startswith("R") and len(card.sides) == 2:
        old, new = card.sides
        blocks.append(
            "\n".join(
                [
                    f"| {_place(old)} | {_place(new)} |",
                    "| --- | --- |",
                    f"| {_cell(old.text)} | {_cell(new.text)} |",
                ]
            )
        )
    else:
        for side in card.sides:
            blocks.append(_place(side))
            blocks.append(_blockquote(side.text))
    blocks.append(" ".join(markdown_inline(n) for n in card.notes))
    if card.others:
        items = []
        for other in card.others:
            text = " ".join(_spans(other.text).split())
            note = f"{markdown_inline(other.note)}: " if other.note else ""
            items.append(f"- {note}{markdown_inline(other.place)}: {text}")
        blocks.append(f"{markdown_inline(card.others_title)}:\n\n" + "\n".join(items))
    return blocks
