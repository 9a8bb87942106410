"""The one view of a report that every renderer draws.

Takes a `Report` and the reader's `ViewSettings` (rows per table, one section, a `--change`
filter, how long a quote may be in a table cell) and returns a `View`: the title, the
editions, a headline (what changed, in one screen), then each section with its legend, its
tables and, for the rows shown, a card per item with the quotes whole. Everything a reader
sees is decided here — which rows, in which order, with which labels and words for the
numbers — so the terminal, markdown and HTML renderers only draw it, and cannot disagree.

Text from the editions travels as `Span`s: plain text plus a style name ("strong", "dim",
"code", "deleted", "inserted", "status"), never as markup to be parsed back; each renderer
escapes it for its own output kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from outlook_diff.datafiles import load_table
from outlook_diff.model import Recommendation
from outlook_diff.render.filters import CHANGE_WORDS, SECTIONS, ViewSettings
from outlook_diff.render.spans import (
    NONE,
    Cell,
    Span,
    counts_text,
    cut,
    cut_around,
    cut_spans,
    pairing_words,
    plain,
    redline_if_alike,
    side_by_side,
    status,
)
from outlook_diff.report import (
    FORECAST_ORDER,
    RECOMMENDATION_ORDER,
    STANCE_CHANGES,
    AlignmentLink,
    EditionSummary,
    Judgement,
    Quote,
    RecommendationFate,
    Report,
    Theme,
    confidence_words,
    numbered,
)

HEADLINE_CHANGES = 5  # changes of judgement quoted in the headline
HEADLINE_THEMES = 6  # new and dropped themes named in the headline
HEADLINE_QUOTE_CHARS = 44
# Alternatives and best candidates in a card are cut to this: the card's own quotes are whole,
# and `outlook-diff show ID` prints the candidates whole too.
OTHER_CHARS = 80


# --- the view -------------------------------------------------------------------------------


Role = Literal["id", "status", "quote", "place", "number", "text", "term"]


@dataclass(frozen=True)
class Column:
    header: str
    role: Role
    ratio: int | None = None  # share of the free width (terminal); None: as narrow as it fits


@dataclass(frozen=True)
class Side:
    """One whole quote of a card, and where it stands."""

    edition: str  # label, e.g. "2025"
    place: str  # chapter id and title, ◆ section
    text: Cell
    note: str = ""  # e.g. the stance read from it, or a candidate's pairing


@dataclass(frozen=True)
class Card:
    """One item in full: the quotes side by side, the reason, the alternatives."""

    id: str  # J3, R2, F4: also the anchor (lower case) in markdown and HTML
    status: str
    title: str
    sides: tuple[Side, ...]  # old then new (one of them may be missing)
    notes: tuple[str, ...]  # reason, what changed, pairing
    redline: Cell = ()  # an inline character redline, when the two texts are mostly alike
    others: tuple[Side, ...] = ()  # alternatives or the best candidate
    others_title: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    ids: tuple[str, ...] = ()  # the item id of each row (a link to its card), "" for none
    caption: str = ""
    cards: tuple[Card, ...] = ()
    empty: str = ""  # said instead of the table when it has no rows


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTIONS; the anchor in markdown and HTML
    title: str
    legend: str  # one line: what the words of this section mean
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Fact:
    label: str
    value: Cell


@dataclass(frozen=True)
class Headline:
    verdict: str  # one sentence: what changed, or that nothing did
    facts: tuple[Fact, ...]
    changes: Table  # the most important changes of judgement, with short quotes


@dataclass(frozen=True)
class View:
    title: str
    intro: str
    editions: Table
    selection: str  # the --chapter / --change choices and what they selected, "" for none
    headline: Headline
    sections: tuple[Section, ...]
    old_label: str
    new_label: str


def build_view(report: Report, settings: ViewSettings | None = None) -> View:
    """The view of `report` (already filtered by `filter_report`) under `settings`."""
    settings = (settings or ViewSettings()).checked()
    report = numbered(report)
    builder = _Builder(report, settings)
    names = [n for n in SECTIONS if settings.only in (None, n)]
    return View(
        title=f"outlook-diff: {report_title(report)}",
        intro=(
            f"What changed between {report.old.title or report.old.label} and "
            f"{report.new.title or report.new.label}: chapters, judgements, forecasts, themes "
            "and recommendations, each with the quoted evidence and where it stands."
        ),
        editions=builder.editions(),
        selection=builder.selection(),
        headline=builder.headline(),
        sections=tuple(getattr(builder, name)() for name in names),
        old_label=report.old.label,
        new_label=report.new.label,
    )


def report_title(report: Report) -> str:
    """`戦略アウトルック 2025 → 2026` when the titles differ only by the label, else both titles."""
    old_title, new_title = report.old.title, report.new.title
    old_label, new_label = report.old.label, report.new.label
    stem = old_title[: -len(old_label)] if old_label and old_title.endswith(old_label) else None
    if stem is not None and new_title == stem + new_label:
        return f"{old_title} → {new_label}"
    return f"{old_title or old_label} → {new_title or new_label}"


# --- sections -------------------------------------------------------------------------------


class _Builder:
    def __init__(self, report: Report, settings: ViewSettings) -> None:
        self.report = report
        self.settings = settings
        self.old = report.old.label
        self.new = report.new.label

    # -- small parts --

    def _limited(self, items: Sequence[object]) -> tuple[int, str]:
        limit = self.settings.limit
        if limit is None or len(items) <= limit:
            return len(items), ""
        return limit, f"showing {limit} of {len(items)}; --limit 0 shows all"

    def _quote(self, quote: Quote | None) -> Cell:
        """A quote cut for a cell, under the place it stands (chapter id, ◆ section)."""
        if quote is None:
            return (Span(NONE, "dim"),)
        where = [Span(quote.chapter, "code")]
        if quote.section:
            where.append(Span(f" ◆{cut(quote.section, 24)}", "dim"))
        return (*where, Span("\n"), *plain(cut(quote.text, self.settings.quote_chars)))

    def _chapters(self, ids: Sequence[str]) -> Cell:
        if not ids:
            return (Span(NONE, "dim"),)
        cell: list[Span] = []
        for i, chapter_id in enumerate(ids):
            if i:
                cell.append(Span("\n"))
            cell.append(Span(chapter_id, "code"))
            title = self.report.title_of(chapter_id)
            if title != chapter_id:
                cell.append(Span(f" {title}"))
        return tuple(cell)

    def place(self, chapter: str, section: str | None) -> str:
        title = self.report.title_of(chapter)
        where = chapter if title == chapter else f"{chapter} {title}"
        return f"{where}, ◆{section}" if section else f"{where} (opening text)"

    def _side(self, label: str, quote: Quote, note: str = "") -> Side:
        return Side(label, self.place(quote.chapter, quote.section), plain(quote.text), note)

    def _rec_side(self, label: str, rec: Recommendation, text: Cell | None = None) -> Side:
        place = f"{self.place(rec.chapter, None).removesuffix(' (opening text)')}, 提言 {rec.index}"
        return Side(label, place, text if text is not None else plain(rec.text))

    def _rec_cell(self, rec: Recommendation | None, text: Cell | None = None) -> Cell:
        if rec is None:
            return (Span(NONE, "dim"),)
        head = (Span(f"{rec.chapter} 提言 {rec.index}", "code"), Span("\n"))
        if text is None:
            return (*head, *plain(cut(rec.text, self.settings.quote_chars)))
        return (*head, *cut_spans(text, self.settings.quote_chars))

    # -- header --

    def editions(self) -> Table:
        old, new = self.report.old, self.report.new

        def chapters(e: EditionSummary) -> str:
            n, front = e.chapters, e.front_matter
            return f"{n} (+{front} front matter)" if front else str(n)

        rows = (
            (plain("Title"), plain(old.title), plain(new.title)),
            (plain("Subtitle"), plain(old.subtitle), plain(new.subtitle)),
            (plain("Chapters"), plain(chapters(old)), plain(chapters(new))),
            (
                plain("Recommendations"),
                plain(str(old.recommendations)),
                plain(str(new.recommendations)),
            ),
        )
        columns = (Column("", "text"), Column(self.old, "text", 1), Column(self.new, "text", 1))
        return Table("Editions", columns, rows)

    def selection(self) -> str:
        parts = []
        if self.report.filters:
            chosen = ", ".join(self.report.filters)
            ids = sorted({c for a in self.report.alignment for c in (*a.old, *a.new)})
            parts.append(f"--chapter {chosen}: {', '.join(ids) if ids else 'no chapter'}")
        if self.report.changes:
            parts.append(f"--change {','.join(self.report.changes)}")
        return "; ".join(parts)

    def headline(self) -> Headline:
        report = self.report
        summary = report.summary
        facts: list[Fact] = []
        alignment = summary["alignment"]
        facts.append(Fact("Chapters", plain(counts_text(alignment))))
        changed = {k: v for k, v in summary["judgements"].items() if k != "reaffirmed"}
        reaffirmed = summary["judgements"].get("reaffirmed", 0)
        facts.append(
            Fact(
                "Judgements",
                plain(counts_text(changed) + (f"; reaffirmed {reaffirmed}" if reaffirmed else "")),
            )
        )
        if report.forecasts:
            facts.append(Fact(f"Forecasts of {self.old}", plain(counts_text(summary["forecasts"]))))
        for label, themes in (
            ("New themes", report.themes.new),
            ("Dropped themes", report.themes.dropped),
        ):
            if themes:
                terms = ", ".join(t.term for t in themes[:HEADLINE_THEMES])
                more = (
                    f" (+{len(themes) - HEADLINE_THEMES} more)"
                    if len(themes) > HEADLINE_THEMES
                    else ""
                )
                facts.append(Fact(label, (Span(terms, "term"), Span(more))))
        if report.recommendations:
            facts.append(Fact("Recommendations", plain(counts_text(summary["recommendations"]))))
        top = [j for j in report.judgements if j.change in STANCE_CHANGES][:HEADLINE_CHANGES]
        rows = tuple(
            (
                plain(j.id),
                status(j.change),
                plain(cut(j.old.text, HEADLINE_QUOTE_CHARS) if j.old else NONE),
                plain(cut(j.new.text, HEADLINE_QUOTE_CHARS) if j.new else NONE),
                plain(pairing_words(j.score)),
            )
            for j in top
        )
        changes = Table(
            "The most important changes of judgement",
            (
                Column("#", "id"),
                Column("Change", "status"),
                Column(self.old, "quote", 1),
                Column(self.new, "quote", 1),
                Column("Pairing", "text"),
            ),
            rows,
            ids=tuple(j.id for j in top),
            empty="No change of stance among the judgements."
            if "judgements" not in self._filtered_out()
            else "",
        )
        if report.changes:
            listed = sum(sum(counts.values()) for counts in summary.values())
            verdict = (
                f"Only what --change {','.join(report.changes)} selects: {listed} items "
                f"from {self.old} to {self.new} (the counts below are of those)."
            )
        elif report.has_changes:
            links = summary["alignment"]
            chapters = ", ".join(f"{n} {w}" for w, n in links.items() if n)
            stance = sum(1 for j in report.judgements if j.change in STANCE_CHANGES)
            recs = sum(1 for r in report.recommendations if r.status != "kept")
            verdict = (
                f"From {self.old} to {self.new}: chapters {chapters or 'none'}; "
                f"{stance} judgements changed stance; "
                f"{recs} of {len(report.recommendations)} recommendations not kept as they were."
            )
        else:
            verdict = (
                f"No changes: {self.old} and {self.new} report the same chapters, judgements, "
                "themes and recommendations."
            )
        return Headline(verdict, tuple(facts), changes)

    def _filtered_out(self) -> set[str]:
        """Sections the --change filter leaves empty by choice (their emptiness says nothing)."""
        if not self.report.changes:
            return set()
        keep = set(self.report.changes)
        return {name for name, words in CHANGE_WORDS.items() if not keep.intersection(words)}

    def _empty(self, key: str, message: str) -> str:
        if key in self._filtered_out():
            chosen = ",".join(self.report.changes)
            return f"Nothing here: --change {chosen} selects none of this section."
        return message

    def _section(self, key: str, tables: Sequence[Table]) -> Section:
        text = load_table("sections.toml")[key]
        legend = text["legend"].format(old=self.old, new=self.new)
        return Section(key, text["title"], " ".join(legend.split()), tuple(tables))

    # -- sections --

    def alignment(self) -> Section:
        links = self.report.alignment
        n, caption = self._limited(links)
        rows = tuple(
            (
                plain(link.id),
                self._chapters(link.old),
                self._chapters(link.new),
                status(link.status, link.status + (" (uncertain)" if link.uncertain else "")),
                plain("\n".join((*link.reasons, *_carried(link)))),
            )
            for link in links[:n]
        )
        table = Table(
            "Chapter alignment",
            (
                Column("#", "id"),
                Column(f"{self.old} chapters", "place", 2),
                Column(f"{self.new} chapters", "place", 2),
                Column("Status", "status"),
                Column("Reasons", "text", 3),
            ),
            rows,
            ids=tuple(link.id for link in links[:n]),
            caption=caption,
            empty=self._empty("alignment", "No chapter alignment: neither edition has chapters."),
        )
        return self._section("alignment", [table])

    def judgements(self) -> Section:
        report = self.report
        shown_reaffirmed = "reaffirmed" in report.changes
        listed = [j for j in report.judgements if shown_reaffirmed or j.change != "reaffirmed"]
        reaffirmed = sum(1 for j in report.judgements if j.change == "reaffirmed")
        n, caption = self._limited(listed)
        if reaffirmed and not shown_reaffirmed:
            caption = "; ".join(filter(None, [caption, f"{reaffirmed} reaffirmed not listed"]))
        if not report.judgements:
            empty = (
                "No judgements: neither edition states an assessment or forecast that could "
                "be tracked."
            )
        else:
            empty = (
                f"No changed judgements ({reaffirmed} reaffirmed)."
                if reaffirmed
                else "No changed judgements."
            )
        rows = tuple(
            (
                plain(j.id),
                status(j.change),
                self._quote(j.old),
                self._quote(j.new),
                plain(pairing_words(j.score)),
                plain(j.reason),
            )
            for j in listed[:n]
        )
        table = Table(
            "Changed judgements",
            (
                Column("#", "id"),
                Column("Change", "status"),
                Column(f"{self.old} quote", "quote", 3),
                Column(f"{self.new} quote", "quote", 3),
                Column("Pairing", "text"),
                Column("Why", "text", 2),
            ),
            rows,
            ids=tuple(j.id for j in listed[:n]),
            caption=caption,
            cards=tuple(self._judgement_card(j) for j in listed[:n]),
            empty=self._empty("judgements", empty),
        )
        return self._section("judgements", [table])

    def _judgement_card(self, j: Judgement) -> Card:
        sides = []
        for label, quote, stance in (
            (self.old, j.old, j.old_stance),
            (self.new, j.new, j.new_stance),
        ):
            if quote is not None:
                note = (
                    f"{stance.gloss} ({stance.cue})"
                    if stance and stance.cue
                    else (stance.gloss if stance else "")
                )
                sides.append(self._side(label, quote, note))
        notes = [j.reason]
        if j.score is not None:
            notes.append(f"Pairing: {confidence_words(j.score)} ({j.score:.2f}).")
        others = tuple(
            Side(
                self.new,
                self.place(a.quote.chapter, a.quote.section),
                plain(cut(a.quote.text, OTHER_CHARS)),
                f"pairing {confidence_words(a.score)} ({a.score:.2f})",
            )
            for a in j.alternatives
        )
        return Card(
            j.id,
            j.change,
            f"{j.id}: {j.change}",
            tuple(sides),
            tuple(notes),
            others=others,
            others_title=f"Other candidates in {self.new}" if others else "",
        )

    def forecasts(self) -> Section:
        report = self.report
        empty = self._empty("forecasts", f"No forecasts in {self.old} to score.")
        per_chapter: dict[str, dict[str, int]] = {}
        for f in report.forecasts:
            tally = per_chapter.setdefault(f.old.chapter, {})
            tally[f.outcome] = tally.get(f.outcome, 0) + 1
        order = [c for c, _ in report.chapter_titles]
        chapters = sorted(per_chapter, key=lambda c: order.index(c) if c in order else len(order))
        by_chapter = Table(
            "Forecasts per chapter",
            (Column("Chapter", "place", 2), Column("Outcomes", "text", 3)),
            tuple(
                (
                    self._chapters((c,)),
                    plain(counts_text({k: per_chapter[c].get(k, 0) for k in FORECAST_ORDER})),
                )
                for c in chapters
            ),
            empty=empty,
        )
        n, caption = self._limited(report.forecasts)
        counts = counts_text(report.summary["forecasts"]) if report.forecasts else ""
        shown = report.forecasts[:n]
        table = Table(
            f"Forecast scorecard: what {self.old} foresaw, as {self.new} tells it",
            (
                Column("#", "id"),
                Column("Outcome", "status"),
                Column(f"{self.old} forecast", "quote", 3),
                Column(f"{self.new} evidence", "quote", 3),
                Column("Pairing", "text"),
            ),
            tuple(
                (
                    plain(f.id),
                    status(f.outcome),
                    self._quote(f.old),
                    self._quote(f.evidence),
                    plain(pairing_words(f.score)),
                )
                for f in shown
            ),
            ids=tuple(f.id for f in shown),
            caption="; ".join(filter(None, [counts, caption])),
            empty=empty,
        )
        return self._section("forecasts", [by_chapter, table] if report.forecasts else [table])

    def themes(self) -> Section:
        from outlook_diff.themes import bare_term

        themes = self.report.themes
        groups: list[tuple[str, str, tuple[Theme, ...]]] = [
            ("new", f"New themes (absent in {self.old})", themes.new),
            ("rising", "Rising themes", themes.rising),
            ("dropped", f"Dropped themes (absent in {self.new})", themes.dropped),
            ("fading", "Fading themes", themes.fading),
        ]
        tables = []
        for kind, title, group in groups:
            n, caption = self._limited(group)
            rows = tuple(
                (
                    plain(t.id),
                    (Span(t.term, "strong"),),
                    plain(f"{t.old_count} → {t.new_count}\n{t.old_rate:.1f} → {t.new_rate:.1f}"),
                    plain(", ".join(t.chapters) or NONE),
                    plain(cut_around(t.context.text, bare_term(t.term), self.settings.quote_chars))
                    if t.context
                    else (Span(NONE, "dim"),),
                )
                for t in group[:n]
            )
            tables.append(
                Table(
                    title,
                    (
                        Column("#", "id"),
                        Column("Term", "term"),
                        Column(f"Uses {self.old} → {self.new}\nper 10k words", "number"),
                        Column("Chapters", "text", 2),
                        Column("Context", "quote", 6),
                    ),
                    rows,
                    ids=tuple(t.id for t in group[:n]),
                    caption=caption,
                    empty=self._empty("themes", f"No {kind} themes.")
                    if kind in self.report.changes or not self.report.changes
                    else "",
                )
            )
        return self._section("themes", tables)

    def recommendations(self) -> Section:
        fates = self.report.recommendations
        tables = []
        for kind in RECOMMENDATION_ORDER:
            group = [f for f in fates if f.status == kind]
            if not group:
                continue
            n, caption = self._limited(group)
            rows = []
            for fate in group[:n]:
                old_text, new_text = self._rec_texts(fate)
                same = (
                    fate.old is not None and fate.new is not None and fate.old.text == fate.new.text
                )
                new_cell = (
                    (
                        Span(f"{fate.new.chapter} 提言 {fate.new.index}", "code"),
                        Span("\n"),
                        Span("(the same text)", "dim"),
                    )
                    if same and fate.new is not None
                    else self._rec_cell(fate.new, new_text)
                )
                rows.append(
                    (
                        plain(fate.id),
                        status(fate.status),
                        self._rec_cell(fate.old, old_text),
                        new_cell,
                        self._fate_detail(fate),
                    )
                )
            tables.append(
                Table(
                    f"Recommendations: {kind} ({len(group)})",
                    (
                        Column("#", "id"),
                        Column("Status", "status"),
                        Column(f"{self.old} recommendation", "quote", 3),
                        Column(f"{self.new} recommendation", "quote", 3),
                        Column("What changed / best candidate", "text", 3),
                    ),
                    tuple(rows),
                    ids=tuple(f.id for f in group[:n]),
                    caption=caption,
                    cards=tuple(
                        self._recommendation_card(f) for f in group[:n] if f.status != "kept"
                    ),
                )
            )
        if not tables:
            message = self._empty("recommendations", "No recommendations in either edition.")
            tables.append(Table("Recommendations", (), (), empty=message))
        return self._section("recommendations", tables)

    def _rec_texts(self, fate: RecommendationFate) -> tuple[Cell | None, Cell | None]:
        if fate.old is None or fate.new is None or fate.old.text == fate.new.text:
            return None, None
        changes = fate.changes
        removed = changes.removed if changes else ()
        added = changes.added if changes else ()
        return side_by_side(fate.old.text, fate.new.text, removed, added)

    def _fate_detail(self, fate: RecommendationFate) -> Cell:
        if fate.changes is not None:
            return plain(fate.changes.summary)
        if fate.candidate is not None:
            best = fate.candidate
            return (
                Span(f"best candidate {best.chapter} 提言 {best.index}", "dim"),
                Span("\n" + cut(best.text, self.settings.quote_chars)),
            )
        if fate.status == "kept":
            return (
                Span(
                    "unchanged"
                    if fate.old and fate.new and fate.old.text == fate.new.text
                    else "reworded slightly",
                    "dim",
                ),
            )
        return (Span(NONE, "dim"),)

    def _recommendation_card(self, fate: RecommendationFate) -> Card:
        old_text, new_text = self._rec_texts(fate)
        sides = []
        if fate.old is not None:
            sides.append(self._rec_side(self.old, fate.old, old_text))
        if fate.new is not None:
            sides.append(self._rec_side(self.new, fate.new, new_text))
        notes = []
        if fate.changes is not None:
            notes.append(f"What changed: {fate.changes.summary}.")
        if fate.similarity is not None:
            notes.append(f"Similarity {fate.similarity:.2f} (cosine of the two texts).")
        mostly_alike: Cell = ()
        if fate.old is not None and fate.new is not None:
            mostly_alike = redline_if_alike(fate.old.text, fate.new.text)
        others: tuple[Side, ...] = ()
        if fate.candidate is not None:
            other = self.new if fate.old is not None else self.old
            others = (
                self._rec_side(other, fate.candidate, plain(cut(fate.candidate.text, OTHER_CHARS))),
            )
        return Card(
            fate.id,
            fate.status,
            f"{fate.id}: {fate.status}",
            tuple(sides),
            tuple(notes),
            redline=mostly_alike,
            others=others,
            others_title="Best candidate, for the reader to judge" if others else "",
        )


def _carried(link: AlignmentLink) -> tuple[str, ...]:
    """A chapter dropped or new whole: its judgements are counted on its alignment row."""
    if not link.judgements:
        return ()
    return (f"{len(link.judgements)} judgements of this chapter go with it (listed in JSON)",)
