"""One item of a report in full: a judgement (J…), forecast (F…), theme (T…), recommendation
(R…) or chapter link (A…).

`outlook-diff show OLD NEW ID` prints it as plain text, every quote whole with where it stands,
or as the item's report-v2 JSON. Nothing is cut: this is where a reader checks a row.
"""

from __future__ import annotations

import json
import re

from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Recommendation
from outlook_diff.render.safe import visible
from outlook_diff.report import (
    AlignmentLink,
    Forecast,
    Judgement,
    Quote,
    RecommendationFate,
    Report,
    Stance,
    Theme,
    confidence_words,
    numbered,
)

_ID = re.compile(r"([JFTRA])([0-9]+)")
Item = Judgement | Forecast | Theme | RecommendationFate | AlignmentLink


def find(report: Report, item_id: str) -> Item:
    """The item with this id; an error naming the ids the report has when there is none."""
    wanted = item_id.strip().upper()
    report = numbered(report)
    items: list[Item] = [
        *report.judgements,
        *report.forecasts,
        *report.themes.new,
        *report.themes.rising,
        *report.themes.dropped,
        *report.themes.fading,
        *report.recommendations,
        *report.alignment,
    ]
    for item in items:
        if item.id == wanted:
            return item
    ranges = []
    kinds = (
        ("J", "judgements"),
        ("F", "forecasts"),
        ("T", "themes"),
        ("R", "recommendations"),
        ("A", "chapter links"),
    )
    for letter, name in kinds:
        count = sum(1 for item in items if item.id.startswith(letter))
        ranges.append(f"{name} {letter}1–{letter}{count}" if count else f"no {name}")
    shape = "" if _ID.fullmatch(wanted) else " (ids look like J1, F3, T12, R2, A1)"
    raise OutlookDiffError(f"no item {item_id!r} in this report{shape}; it has {', '.join(ranges)}")


def render_item(report: Report, item_id: str, fmt: str) -> str:
    from outlook_diff.render.safe import json_text

    item = find(report, item_id)
    if fmt == "json":
        return json_text(json.dumps(item.to_dict(), ensure_ascii=False, indent=2)) + "\n"
    if isinstance(item, Judgement):
        lines = _judgement(report, item)
    elif isinstance(item, Forecast):
        lines = _forecast(report, item)
    elif isinstance(item, Theme):
        lines = _theme(report, item)
    elif isinstance(item, RecommendationFate):
        lines = _recommendation(report, item)
    else:
        lines = _link(report, item)
    return visible("\n".join(lines)) + "\n"


def _place(report: Report, quote: Quote) -> str:
    """Where a quote stands: chapter id (it starts with the edition), title, ◆ section."""
    section = f", ◆{quote.section}" if quote.section else ""
    return f"{quote.chapter} {report.title_of(quote.chapter)}{section}"


def _quoted(report: Report, label: str, quote: Quote | None) -> list[str]:
    if quote is None:
        return [f"{label}: no counterpart"]
    return [f"{label} ({_place(report, quote)}):", f"    {quote.text}"]


def _stance(stance: Stance | None) -> str:
    if stance is None:
        return "—"
    cue = f"{stance.cue}, " if stance.cue else ""
    return f"{stance.kind}: {stance.gloss} ({cue}{stance.value:+.2f})"


def _pairing(score: float | None) -> str:
    return "—" if score is None else f"{confidence_words(score)} ({score:.3f})"


def _judgement(report: Report, j: Judgement) -> list[str]:
    lines = [f"{j.id}  {j.change}", f"Why: {j.reason}", f"Pairing: {_pairing(j.score)}", ""]
    lines += _quoted(report, report.old.label, j.old)
    lines.append(f"    stance: {_stance(j.old_stance)}")
    lines += _quoted(report, report.new.label, j.new)
    lines.append(f"    stance: {_stance(j.new_stance)}")
    if j.alternatives:
        lines += ["", f"Other candidates in {report.new.label}:"]
        for a in j.alternatives:
            lines += [f"  {_pairing(a.score)}  {_place(report, a.quote)}", f"    {a.quote.text}"]
    return lines


def _forecast(report: Report, f: Forecast) -> list[str]:
    row = f" (judgement {f.judgement})" if f.judgement else ""
    lines = [f"{f.id}  {f.outcome.replace('_', ' ')}{row}", f"Why: {f.reason}"]
    lines += [f"Pairing: {_pairing(f.score)}", ""]
    lines += _quoted(report, f"{report.old.label} forecast", f.old)
    lines.append(f"    stance: {_stance(f.stance)}")
    if f.evidence is not None:
        lines += _quoted(report, f"{report.new.label} evidence", f.evidence)
    return lines


def _theme(report: Report, t: Theme) -> list[str]:
    old, new = report.old.label, report.new.label
    lines = [
        f"{t.id}  {t.term}",
        f"Uses: {old} {t.old_count}, {new} {t.new_count}; per 10,000 words "
        f"{t.old_rate:.1f} → {t.new_rate:.1f}; keyness (G²) {t.keyness:.2f}",
        f"Chapters in {old}: {', '.join(t.old_chapters) or '—'}",
        f"Chapters in {new}: {', '.join(t.new_chapters) or '—'}",
        "",
    ]
    for quote in t.contexts:
        lines += [f"{_place(report, quote)}:", f"    {quote.text}"]
    return lines


def _rec(report: Report, label: str, rec: Recommendation | None) -> list[str]:
    if rec is None:
        return [f"{label}: none"]
    place = f"{rec.chapter} {report.title_of(rec.chapter)}, 提言 {rec.index}"
    return [f"{label} ({place}):", f"    {rec.text}"]


def _recommendation(report: Report, r: RecommendationFate) -> list[str]:
    old, new = report.old.label, report.new.label
    lines = [f"{r.id}  {r.status}"]
    if r.changes is not None:
        lines.append(f"What changed: {r.changes.summary}")
    if r.similarity is not None:
        lines.append(f"Similarity: {r.similarity:.3f} (cosine)")
    lines.append("")
    lines += _rec(report, old, r.old)
    lines += _rec(report, new, r.new)
    if r.candidate is not None:
        other = new if r.old is not None else old
        lines += ["", *_rec(report, f"Best candidate in {other}", r.candidate)]
    return lines


def _link(report: Report, a: AlignmentLink) -> list[str]:
    def chapters(ids: tuple[str, ...]) -> str:
        return "; ".join(f"{c} {report.title_of(c)}" for c in ids) or "—"

    state = a.status + (" (uncertain)" if a.uncertain else "")
    lines = [
        f"{a.id}  {state}  (score {a.score:.2f})",
        f"{report.old.label}: {chapters(a.old)}",
        f"{report.new.label}: {chapters(a.new)}",
        f"Topics: {', '.join(a.topics) or '—'}",
        "",
        "Why:",
        *(f"  {reason}" for reason in a.reasons),
    ]
    if a.judgements:
        lines += ["", f"Judgements that go with this chapter ({len(a.judgements)}):"]
        lines += [f"  {_place(report, q)}: {q.text}" for q in a.judgements]
    return lines
