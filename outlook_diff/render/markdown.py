"""Render a `Report` as a GitHub-flavoured markdown report.

Takes a `Report` and the reader's choices (rows per table, one section) and returns one
markdown document: a title, a summary (editions, counts, filters, a legend of the status
words), then one section per table — Chapter alignment, Changed judgements, New themes,
Faded / dropped themes, Recommendations — as GFM tables, and under each changed judgement and
each recommendation that was not kept, the full quotes as block quotes with where they stand.
Headings and labels are English so a reader who does not read Japanese can follow; the
Japanese is quoted as written and never cut. The text has no trailing blanks and ends with
exactly one newline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from outlook_diff.model import Recommendation
from outlook_diff.render import carried
from outlook_diff.render.table import redline_parts, report_title
from outlook_diff.report import (
    RECOMMENDATION_ORDER,
    EditionSummary,
    Judgement,
    Quote,
    RecommendationFate,
    Report,
    Theme,
    confidence_words,
)

_NONE = "—"

_Row = TypeVar("_Row")

# ASCII characters markdown may read as syntax inside a line of text (an ampersand only where
# it would start a character reference such as `&amp;`).
_ACTIVE = re.compile(r"([\\`*_~<>\[\]|]|&(?=#?\w+;))")
# Line starts markdown may read as a heading, list item or rule inside a block quote.
_LINE_START = re.compile(r"^(\s*)(\d*)([#+=.)-])")


@dataclass(frozen=True)
class _Layout:
    limit: int | None
    old_label: str
    new_label: str


def render_markdown(report: Report, *, limit: int | None = None, only: str | None = None) -> str:
    """The report as one markdown document ending in a single newline.

    `limit` rows per table (None or 0: all; the details under a table follow its rows); `only`
    one of "alignment", "judgements", "themes", "recommendations" (None: all).
    """
    if only is not None and only not in _SECTIONS:
        raise ValueError(f"unknown section {only!r}; choose one of {', '.join(_SECTIONS)}")
    layout = _Layout(
        limit=limit or None,
        old_label=report.old.label,
        new_label=report.new.label,
    )
    names = [name for name in _SECTIONS if only is None or only == name]
    blocks: list[str] = [f"# outlook-diff: {_escape(report_title(report))}"]
    blocks.extend(_summary(report, layout, names))
    for name in names:
        blocks.extend(_SECTIONS[name](report, layout))
    return _join(blocks)


def _join(blocks: Sequence[str]) -> str:
    """Blocks separated by one blank line; no trailing blanks; exactly one final newline."""
    text = "\n\n".join(block.strip("\n") for block in blocks if block.strip())
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


# --- escaping -------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Inline text with markdown syntax characters backslash-escaped (newlines untouched)."""
    return _ACTIVE.sub(r"\\\1", text)


def _cell(text: str) -> str:
    """Text for a GFM table cell: `|` escaped, newlines as `<br>`."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "<br>".join(_escape(line) for line in lines if line) or " "


def _blockquote(text: str) -> str:
    """The whole text as a block quote; each line of the source its own paragraph."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    paragraphs = [_LINE_START.sub(r"\1\2\\\3", _escape(line)) for line in lines if line]
    return "\n>\n".join(f"> {p}" for p in paragraphs) or f"> {_NONE}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A GFM table; `align` holds one of "l"/"r" per column (left when missing)."""
    rule = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _punctuation(char: str | None) -> bool:
    return char is not None and unicodedata.category(char)[0] in "PS"


def _space(char: str | None) -> bool:
    return char is None or char.isspace()


def _flanks(before: str | None, first: str, last: str, after: str | None) -> bool:
    """Whether `~~x~~`/`**x**` between `before` and `after` parses as emphasis (CommonMark).

    Japanese punctuation breaks the rule easily: `は**、さらに**` is not emphasis, because an
    opening run followed by punctuation must follow a space or punctuation itself.
    """
    opens = not _space(first) and (
        not _punctuation(first) or _space(before) or _punctuation(before)
    )
    closes = not _space(last) and (not _punctuation(last) or _space(after) or _punctuation(after))
    return opens and closes


def _redline(redline: str) -> str:
    """A redline as markdown: `~~deleted~~` and `**inserted**`.

    Where Japanese punctuation (or a space) at the edge of a change would stop GitHub reading
    the markers as emphasis, the change is written `<del>…</del>` / `<strong>…</strong>`
    instead, which GitHub renders the same way.
    """
    parts = [
        (kind, _escape(re.sub(r"\s*\n\s*", " ", text)))
        for kind, text in redline_parts(redline)
        if text
    ]
    out: list[str] = []
    for i, (kind, text) in enumerate(parts):
        if kind == "equal":
            out.append(text)
            continue
        # A neighbouring change starts or ends with a marker, which is punctuation.
        before = None if i == 0 else ("*" if parts[i - 1][0] != "equal" else parts[i - 1][1][-1])
        after = (
            None
            if i == len(parts) - 1
            else ("*" if parts[i + 1][0] != "equal" else parts[i + 1][1][0])
        )
        marker, tag = ("~~", "del") if kind == "deleted" else ("**", "strong")
        if _flanks(before, text[0], text[-1], after):
            out.append(f"{marker}{text}{marker}")
        else:
            out.append(f"<{tag}>{text}</{tag}>")
    return "".join(out)


# --- summary --------------------------------------------------------------------------------


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{name} {count}" for name, count in counts.items() if count]
    return ", ".join(shown) if shown else "none"


def _chapter_count(edition: EditionSummary) -> str:
    chapters = edition.chapters
    front = edition.front_matter
    return f"{chapters} (+{front} front matter)" if front else str(chapters)


_LEGEND: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "alignment": (
        "Chapter alignment",
        (
            ("continued", "a chapter of {old} carries on in one chapter of {new}"),
            ("merged", "several chapters of {old} became one chapter of {new}"),
            ("split", "one chapter of {old} became several chapters of {new}"),
            ("dropped", "a chapter of {old} with no successor in {new}"),
            ("new", "a chapter of {new} with no predecessor in {old}"),
        ),
    ),
    "judgements": (
        "Judgements (assessments and forecasts)",
        (
            ("reversed", "the assessment now points the other way (direction or negation flips)"),
            ("realized", "what {old} forecast, {new} states as having happened"),
            ("unrealized", "what {old} forecast, {new} says did not happen"),
            ("strengthened", "the same assessment, stated with more certainty"),
            ("weakened", "the same assessment, stated with less certainty"),
            ("reaffirmed", "unchanged; counted in the summary, not listed"),
            ("new", "a judgement in {new} with no counterpart in {old}"),
            ("dropped", "a judgement in {old} with no counterpart in {new}"),
        ),
    ),
    "forecasts": (
        "Forecast scorecard (every forecast of the old edition)",
        (
            ("realized", "{new} states it as having happened"),
            ("unrealized", "{new} says it did not happen"),
            ("open", "{new} still treats it as a judgement about what is to come"),
            ("not_mentioned", "nothing in {new} speaks to it"),
        ),
    ),
    "themes": (
        "Themes (key terms, counted per edition)",
        (
            ("new", "absent in {old}, prominent in {new}"),
            ("rising", "in both, much more frequent in {new}"),
            ("dropped", "prominent in {old}, absent in {new}"),
            ("fading", "in both, much less frequent in {new}"),
        ),
    ),
    "recommendations": (
        "Recommendations (the 提言 of each chapter)",
        (
            ("kept", "the same recommendation, in a chapter aligned with its old one"),
            ("modified", "reworded; the redline shows ~~deleted~~ and **inserted** text"),
            ("moved", "kept or modified, but now in a chapter not aligned with its old one"),
            ("dropped", "no {new} recommendation matches it; the best candidate is shown"),
            ("new", "no {old} recommendation matches it; the best candidate is shown"),
        ),
    ),
}


def _summary(report: Report, layout: _Layout, names: Sequence[str]) -> list[str]:
    old, new = layout.old_label, layout.new_label
    blocks = [
        f"Changes between *{_escape(report.old.title)}* and "
        f"*{_escape(report.new.title)}*, as found by outlook-diff.",
        "## Summary",
    ]

    def row(name: str, key: str) -> list[str]:
        return [name, _cell(str(getattr(report.old, key))), _cell(str(getattr(report.new, key)))]

    blocks.append(
        _table(
            ["", _cell(old), _cell(new)],
            [
                row("Title", "title"),
                row("Subtitle", "subtitle"),
                ["Chapters", _chapter_count(report.old), _chapter_count(report.new)],
                row("Recommendations", "recommendations"),
            ],
        )
    )
    if report.filters:
        selectors = ", ".join(f"`{f}`" for f in report.filters)
        blocks.append(f"Chapter filter: {selectors} (only the chapters it selects are compared).")
    summary = report.summary
    reaffirmed = summary["judgements"].get("reaffirmed", 0)
    changed = {k: v for k, v in summary["judgements"].items() if k != "reaffirmed"}
    judgements = _counts(changed) + (f"; reaffirmed {reaffirmed}" if reaffirmed else "")
    found = {
        "alignment": ["Chapter alignment", _counts(summary["alignment"])],
        "judgements": ["Changed judgements", judgements],
        "forecasts": ["Forecasts", _counts(summary["forecasts"]) or _NONE],
        "themes": ["Themes", _counts(summary["themes"])],
        "recommendations": ["Recommendations", _counts(summary["recommendations"])],
    }
    blocks.append(_table(["Section", "Found"], [found[name] for name in names]))
    if not report.has_changes:
        blocks.append(
            f"**No changes:** {_escape(old)} and {_escape(new)} report the same chapters, "
            "judgements, themes and recommendations."
        )
    if layout.limit is not None:
        blocks.append(
            f"Each table shows at most {layout.limit} rows; the JSON report (`--format json`) "
            "has every row."
        )
    legend = [
        "### Legend",
        "Similarity runs from 0 (unrelated) to 1 (the same meaning). *Pairing* says how sure the "
        "tool is that two sentences speak of the same thing: **strong** (0.75 or more), "
        "**likely** (0.5 or more) or **weak**; the number is a calibrated probability.",
    ]
    for name in names:
        heading, words = _LEGEND[name]
        items = "\n".join(
            f"- **{word}**: {meaning.format(old=old, new=new)}" for word, meaning in words
        )
        legend.append(f"{heading}:\n\n{items}")
    blocks.extend(legend)
    return blocks


# --- shared cells ---------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return _NONE if value is None else f"{value:.2f}"


def _limited(items: Sequence[_Row], layout: _Layout) -> tuple[Sequence[_Row], str | None]:
    if layout.limit is None or len(items) <= layout.limit:
        return items, None
    return items[: layout.limit], (
        f"*Showing {layout.limit} of {len(items)}; `--limit 0` shows all.*"
    )


def _chapters(report: Report, ids: Sequence[str]) -> str:
    if not ids:
        return _NONE
    return "<br>".join(_chapter(report, chapter_id) for chapter_id in ids)


def _chapter(report: Report, chapter_id: str) -> str:
    title = report.title_of(chapter_id)
    label = f"`{chapter_id}`"
    return label if title == chapter_id else f"{label} {_cell(title)}"


def _place(report: Report, label: str, chapter: str, section: str | None) -> str:
    """Where a quote stands: edition, chapter id and title, section heading."""
    where = f"**{_escape(label)}**, {_chapter(report, chapter)}"
    if section:
        return f"{where}, section “{_escape(section)}”"
    return f"{where}, opening text (before the first section heading)"


def _quote_cell(quote: Quote | None) -> str:
    return _NONE if quote is None else _cell(quote.text)


def _where_cell(quote: Quote | None) -> str:
    if quote is None:
        return _NONE
    where = f"`{quote.chapter}`"
    return f"{where} ◆{_cell(quote.section)}" if quote.section else where


def _rec_cell(ref: Recommendation | None) -> str:
    return _NONE if ref is None else f"`{ref.chapter}` #{ref.index}: {_cell(ref.text)}"


# --- sections -------------------------------------------------------------------------------


def _alignment(report: Report, layout: _Layout) -> list[str]:
    blocks = ["## Chapter alignment"]
    if not report.alignment:
        return [*blocks, "*No chapter alignment: neither edition has chapters to compare.*"]
    links, note = _limited(report.alignment, layout)
    rows = [
        [
            _chapters(report, link.old),
            _chapters(report, link.new),
            f"**{link.status}**" + (" (uncertain)" if link.uncertain else ""),
            _number(link.score),
            _cell("\n".join((*link.reasons, *carried(link.judgements)))) if link.reasons else _NONE,
        ]
        for link in links
    ]
    headers = [f"{layout.old_label} chapters", f"{layout.new_label} chapters"]
    blocks.append(_table([*headers, "Status", "Score", "Reasons"], rows, "lllrl"))
    return [*blocks, note or ""]


def _judgements(report: Report, layout: _Layout) -> list[str]:
    blocks = ["## Changed judgements"]
    changed = [j for j in report.judgements if j.change != "reaffirmed"]
    reaffirmed = len(report.judgements) - len(changed)
    if not changed:
        aside = f" ({reaffirmed} reaffirmed)" if reaffirmed else ""
        if not report.judgements:
            aside = " (neither edition states an assessment or forecast that could be tracked)"
        return [*blocks, f"*No changed judgements{aside}.*"]
    pairs, note = _limited(changed, layout)
    rows = [
        [
            pair.id,
            f"**{pair.change}**",
            _quote_cell(pair.old),
            _quote_cell(pair.new),
            "<br>".join([_where_cell(pair.old), _where_cell(pair.new)]),
            _confidence(pair.score),
        ]
        for pair in pairs
    ]
    headers = ["#", "Change", f"{layout.old_label} quote", f"{layout.new_label} quote", "Where"]
    blocks.append(_table([*headers, "Pairing"], rows, "rlllll"))
    if reaffirmed:
        blocks.append(f"*Reaffirmed judgements ({reaffirmed}) are counted above but not listed.*")
    blocks.append(note or "")
    blocks.append("### The quotes in full")
    for pair in pairs:
        blocks.extend(_judgement_detail(report, layout, pair))
    return blocks


def _confidence(score: float | None) -> str:
    return _NONE if score is None else f"{confidence_words(score)} ({score:.2f})"


def _judgement_detail(report: Report, layout: _Layout, pair: Judgement) -> list[str]:
    blocks = [f"#### {pair.id}. {pair.change}"]
    for label, quote in ((layout.old_label, pair.old), (layout.new_label, pair.new)):
        if quote is None:
            blocks.append(f"**{_escape(label)}**: no counterpart.")
        else:
            blocks.append(_place(report, label, quote.chapter, quote.section) + ":")
            blocks.append(_blockquote(quote.text))
    facts = [_escape(pair.reason)]
    if pair.score is not None:
        facts.append(f"Pairing: {_confidence(pair.score)}.")
    blocks.append(" ".join(facts))
    if pair.alternatives:
        other = layout.new_label
        lines = [
            f"- {_confidence(a.score)}: `{a.quote.chapter}` {_escape(_one_line(a.quote.text))}"
            for a in pair.alternatives
        ]
        blocks.append(f"Other candidates in {_escape(other)}:\n" + "\n".join(lines))
    return blocks


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _order(report: Report, chapter_id: str) -> int:
    """A chapter's place in reading order (front matter first), for per-chapter tables."""
    ids = [c for c, _ in report.chapter_titles]
    return ids.index(chapter_id) if chapter_id in ids else len(ids)


def _forecasts(report: Report, layout: _Layout) -> list[str]:
    blocks = ["## Forecast scorecard"]
    if not report.forecasts:
        return [*blocks, f"*No forecasts in {_escape(layout.old_label)} to score.*"]
    per_chapter: dict[str, dict[str, int]] = {}
    for f in report.forecasts:
        counts = per_chapter.setdefault(f.old.chapter, {})
        counts[f.outcome] = counts.get(f.outcome, 0) + 1
    blocks.append(
        _table(
            ["Chapter", "Outcomes"],
            [
                [f"`{c}`", _counts(dict(sorted(v.items())))]
                for c, v in sorted(per_chapter.items(), key=lambda kv: _order(report, kv[0]))
            ],
        )
    )
    shown, note = _limited(report.forecasts, layout)
    rows = [
        [
            f.id,
            f"**{f.outcome.replace('_', ' ')}**",
            _quote_cell(f.old),
            _quote_cell(f.evidence),
            "<br>".join([_where_cell(f.old), _where_cell(f.evidence)]),
            _confidence(f.score),
        ]
        for f in shown
    ]
    headers = ["#", "Outcome", f"{layout.old_label} forecast", f"{layout.new_label} evidence"]
    blocks.append(_table([*headers, "Where", "Pairing"], rows, "rlllll"))
    return [*blocks, note or ""]


def _themes(report: Report, layout: _Layout) -> list[str]:
    old, new = layout.old_label, layout.new_label
    groups: list[tuple[str, str, tuple[Theme, ...], str]] = [
        ("## New themes", f"### Absent in {old}", report.themes.new, "*No new themes.*"),
        ("", "### Rising", report.themes.rising, "*No rising themes.*"),
        (
            "## Faded / dropped themes",
            f"### Dropped (absent in {new})",
            report.themes.dropped,
            "*No dropped themes.*",
        ),
        ("", "### Fading", report.themes.fading, "*No fading themes.*"),
    ]
    blocks: list[str] = []
    for section, heading, themes, empty in groups:
        blocks.extend([section, heading])
        if not themes:
            blocks.append(empty)
            continue
        shown, note = _limited(themes, layout)
        rows = [
            [
                theme.id,
                f"**{_cell(theme.term)}**",
                f"{theme.old_count} → {theme.new_count}",
                f"{theme.old_rate:.1f} → {theme.new_rate:.1f}",
                ", ".join(f"`{c}`" for c in theme.chapters) or _NONE,
                "<br>".join(_context_cell(q) for q in theme.contexts) or _NONE,
            ]
            for theme in shown
        ]
        headers = ["#", "Term", f"{old} → {new}", "per 10k words", "Chapters", "Context"]
        blocks.append(_table(headers, rows, "rlrrll"))
        blocks.append(note or "")
    return blocks


def _context_cell(quote: Quote | None) -> str:
    if quote is None:
        return _NONE
    return f"{_cell(quote.text)} (`{quote.chapter}`)"


def _recommendations(report: Report, layout: _Layout) -> list[str]:
    """One table per fate, so `--limit` shows some of each instead of only the first kind."""
    blocks = ["## Recommendations"]
    if not report.recommendations:
        return [*blocks, "*No recommendations in either edition.*"]
    headers = ["#", "Status", f"{layout.old_label}", f"{layout.new_label}", "Similarity"]
    for status in RECOMMENDATION_ORDER:
        group = [f for f in report.recommendations if f.status == status]
        if not group:
            continue
        fates, note = _limited(group, layout)
        rows = [
            [
                str(rank),
                f"**{fate.status}**",
                _rec_cell(fate.old),
                _rec_cell(fate.new),
                _number(fate.similarity),
                _fate_cell(fate),
            ]
            for rank, fate in enumerate(fates, start=1)
        ]
        blocks.append(f"### {status.capitalize()} ({len(group)})")
        blocks.append(_table([*headers, "What changed / best candidate"], rows, "rlllrl"))
        blocks.append(note or "")
        if status != "kept":
            for rank, fate in enumerate(fates, start=1):
                blocks.extend(_recommendation_detail(report, layout, rank, fate))
    return blocks


def _fate_cell(fate: RecommendationFate) -> str:
    if fate.changes is not None:
        return _escape(fate.changes.summary)  # the redline is in the details below
    if fate.redline:
        return _redline(fate.redline)
    if fate.candidate is not None:
        return f"best candidate {_rec_cell(fate.candidate)}"
    return "unchanged" if fate.status == "kept" else _NONE


def _recommendation_detail(
    report: Report, layout: _Layout, rank: int, fate: RecommendationFate
) -> list[str]:
    blocks = [f"#### {rank}. {fate.status}"]
    for label, ref in ((layout.old_label, fate.old), (layout.new_label, fate.new)):
        if ref is None:
            continue
        blocks.append(_place_rec(report, label, ref) + ":")
        blocks.append(_blockquote(ref.text))
    if fate.redline:
        change = f"{_escape(layout.old_label)} → {_escape(layout.new_label)}"
        if fate.changes is not None:
            blocks.append(f"What changed: {_escape(fate.changes.summary)}.")
        blocks.append(f"Redline ({change}): {_redline(fate.redline)}")
    if fate.candidate is not None:
        other = layout.new_label if fate.old is not None else layout.old_label
        score = "" if fate.similarity is None else f" (similarity {_number(fate.similarity)})"
        place = _place_rec(report, other, fate.candidate)
        blocks.append(f"Best candidate{score}, for the reader to judge: {place}:")
        blocks.append(_blockquote(fate.candidate.text))
    elif fate.similarity is not None:
        blocks.append(f"Similarity {_number(fate.similarity)}.")
    return blocks


def _place_rec(report: Report, label: str, ref: Recommendation) -> str:
    return f"**{_escape(label)}**, {_chapter(report, ref.chapter)}, recommendation {ref.index}"


_SECTIONS: dict[str, Callable[[Report, _Layout], list[str]]] = {
    "alignment": _alignment,
    "judgements": _judgements,
    "forecasts": _forecasts,
    "themes": _themes,
    "recommendations": _recommendations,
}
