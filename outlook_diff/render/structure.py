"""Renderers for the structure commands: `chapters` (a parsed edition), `align` (the chapter
alignment) and `editions` (the shipped editions). Each takes records and returns a string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from outlook_diff.editions import ShippedEdition
from outlook_diff.model import Edition
from outlook_diff.report import AlignmentLink
from outlook_diff.topics import chapter_topics


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def render_chapters(edition: Edition, fmt: str, *, width: int | None, color: bool) -> str:
    if fmt == "json":
        return _dumps(edition.to_dict())
    from rich.table import Table

    table = Table(
        title=f"{edition.title} — {edition.subtitle}" if edition.subtitle else edition.title,
        caption=f"source: {edition.source} ({edition.encoding})",
        show_lines=False,
    )
    for column in ("id", "title", "author", "date", "sections", "recs", "topics"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "date"))
    for chapter in edition.chapters:
        title = chapter.title
        if chapter.toc_title:
            title += f"\n(contents: {chapter.toc_title})"
        author = "、".join(chapter.authors) or "(unknown)"
        if chapter.affiliations:
            author += "\n" + " / ".join(chapter.affiliations)
        table.add_row(
            chapter.id,
            title,
            author,
            chapter.date or "",
            str(len(chapter.sections)),
            str(len(chapter.recommendations)),
            ", ".join(chapter_topics(chapter)),
        )
    notes = [f"warning: {w}" for w in edition.warnings]
    from outlook_diff.render.table import console_text

    return console_text([table, *notes], width=width, color=color)


def render_alignment(
    old: Edition,
    new: Edition,
    links: Sequence[AlignmentLink],
    fmt: str,
    *,
    width: int | None,
    color: bool,
) -> str:
    if fmt == "json":
        return _dumps(
            {
                "old": old.summary(),
                "new": new.summary(),
                "alignment": [link.to_dict() for link in links],
            }
        )
    from rich.table import Table

    titles = {c.id: c.title for c in (*old.chapters, *new.chapters)}
    table = Table(title=f"Chapter alignment: {old.title} → {new.title}", show_lines=True)
    for column in (f"{old.label} chapters", f"{new.label} chapters", "status", "score", "why"):
        table.add_column(column, overflow="fold")
    for link in links:
        table.add_row(
            "\n".join(f"{i} {titles[i]}" for i in link.old) or "—",
            "\n".join(f"{i} {titles[i]}" for i in link.new) or "—",
            link.status + (" (uncertain)" if link.uncertain else ""),
            f"{link.score:.2f}",
            "\n".join(link.reasons),
        )
    from outlook_diff.render.table import console_text

    return console_text([table], width=width, color=color)


def render_editions(editions: Sequence[ShippedEdition], fmt: str) -> str:
    if fmt == "json":
        return _dumps([asdict(e) for e in editions])
    lines = [
        f"{e.label}\t{e.title} — {e.subtitle}\n\t{e.title_en}\n\t{e.publisher}, {e.published}"
        for e in editions
    ]
    return "\n".join(lines) + "\n"
