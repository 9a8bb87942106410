"""Why is a labelled theme missed? One row per label of tests/data/eval/themes.toml.

Run: `python tests/diagnose_themes.py [tuning|held-out|all]` (default: tuning, the half the
selection is tuned on). For every labelled new/dropped/rising/fading term it prints where the
term was lost, the first cause that applies in pipeline order:

- "not in counted text": the string never occurs in the sentences, headings and
  recommendations that themes.py counts (it is only in the table of contents, a caption, a
  footnote);
- "split by sudachi": it occurs, but a word boundary of Sudachi falls inside it, or one of its
  ends is in the middle of a word (so no term can start or end there);
- "not a term": the boundaries are right but the rules of themes.py make no term of it;
- "inside compounds only": a term of some texts, but not one the editions use on its own;
- "counted in the other edition": a new/dropped label that the tool counts on both sides;
- "under the minimum": too few uses, paragraphs or chapters to be new/dropped;
- "change too small": a rising/fading label whose keyness or rate ratio is under the bar;
- "classed X": it is in another list; "nested": left out of its list for a longer term;
- "ranked N": in the right list, below the top (40 new/rising, 60 dropped/fading);
- "found": in the top of the right list (possibly as a longer term, shown in brackets).

It then prints the predicted terms in the top of each list that carry a label of another list
(what costs precision). Nothing here changes what the tool does.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from outlook_diff import themes as th  # noqa: E402
from outlook_diff.editions import load_edition  # noqa: E402
from tests.evaluate import THEME_TOP  # noqa: E402
from tests.judgement_labels import half  # noqa: E402

LABELS = ROOT / "tests" / "data" / "eval" / "themes.toml"
KINDS = ("new", "dropped", "rising", "fading")


@dataclass(frozen=True)
class Row:
    kind: str
    term: str
    labelled: str  # the label's whole-file counts
    counted: str  # the tool's counts
    cause: str
    detail: str


def _lists(selection: Any) -> dict[str, list[str]]:
    s = selection
    return {
        "new": th._ranked(s.appeared, s.after),
        "dropped": th._ranked(s.vanished, s.before),
        "rising": th._ranked(s.rising, s.after),
        "fading": th._ranked(s.fading, s.before),
    }


def _candidates(selection: Any) -> dict[str, dict[str, float]]:
    s = selection
    return {"new": s.appeared, "dropped": s.vanished, "rising": s.rising, "fading": s.fading}


def _split_detail(term: str, passages: list[Any]) -> tuple[str, str] | None:
    """Where the counted text holds `term` as a string, why it makes no term there."""
    hits = [(p, m.start()) for p in passages for m in re.finditer(re.escape(term), p.normalised)]
    if not hits:
        return None
    passage, start = hits[0]
    end = start + len(term)
    words = th._words(passage.normalised)
    analysis = th._analyse(passage.normalised)
    if any(t == term for _, _, t in analysis.occurrences):
        return "inside compounds only", f"{len(hits)} uses, never a term on its own"
    around = [w for w in words if w.end > start - 4 and w.start < end + 4]
    shown = "|".join(
        f"{w.form}/{w.role}" for w in around if w.start < end + 2 and w.end > start - 2
    )
    if start not in analysis.starts or end not in analysis.ends:
        return "split by sudachi", shown
    return "not a term", shown


def diagnose(part: str | None) -> tuple[list[Row], list[str]]:
    old, new = load_edition("2025"), load_edition("2026")
    selection = th._select(old, new, None, None)
    before, after = selection.before, selection.after
    lists = _lists(selection)
    candidates = _candidates(selection)
    section = th._settings().recommendation_section
    passages = {
        "old": [p for c in old.chapters for p in th._passages(c, section)],
        "new": [p for c in new.chapters for p in th._passages(c, section)],
    }
    labels = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    every_label = {th.fold(i["term"]): k for k in KINDS for i in labels.get(k, [])}
    rows: list[Row] = []
    for kind in KINDS:
        top = THEME_TOP[kind]
        for item in labels.get(kind, []):
            if part is not None and half("theme:" + item["term"]) != part:
                continue
            term = th.fold(item["term"])
            labelled = f"{item.get('old_count', '?')}→{item.get('new_count', '?')}"
            counted = f"{before.total[term]}→{after.total[term]}"
            carriers = [(r, t) for r, t in enumerate(lists[kind][:top], 1) if term in t]
            where = {k: lists[k].index(term) + 1 for k in KINDS if term in lists[k]}
            if carriers:
                rank, carrier = carriers[0]
                shown = f"#{rank}" + ("" if carrier == term else f" [{carrier}]")
                rows.append(Row(kind, term, labelled, counted, "found", shown))
                continue
            if kind in where:
                cause, detail = f"ranked {where[kind]}", f"of {len(lists[kind])}"
            elif term in candidates[kind]:
                longer = [t for t in lists[kind] if term in t and t != term]
                cause, detail = "nested", ", ".join(longer[:2])
            elif where:
                other = next(iter(where))
                cause, detail = f"classed {other}", f"#{where[other]} of {len(lists[other])}"
            elif before.total[term] or after.total[term]:
                cause, detail = _why_not_selected(kind, term, before, after)
            else:
                side = "old" if kind == "dropped" else "new"
                found = _split_detail(term, passages[side])
                if found is None and kind in ("rising", "fading"):
                    found = _split_detail(term, passages["old"])
                cause, detail = found or ("not in counted text", "")
            rows.append(Row(kind, term, labelled, counted, cause, detail))
    wrong: list[str] = []
    for kind in KINDS:
        for rank, t in enumerate(lists[kind][: THEME_TOP[kind]], 1):
            carried = [g for g in every_label if g in t]
            if carried and not any(every_label[g] == kind for g in carried):
                labels_of = ", ".join(f"{g} ({every_label[g]})" for g in carried)
                wrong.append(f"{kind} #{rank} {t}: carries {labels_of}")
    return rows, wrong


def _why_not_selected(kind: str, term: str, before: Any, after: Any) -> tuple[str, str]:
    settings = th._settings()
    a, b = before.total[term], after.total[term]
    if kind in ("new", "dropped"):
        present, absent = (after, before) if kind == "new" else (before, after)
        if absent.total[term]:
            return "counted in the other edition", f"G² {th._keyness(term, before, after):.1f}"
        return "under the minimum", (
            f"count {present.total[term]}, paragraphs {present.paragraphs[term]}, "
            f"chapters {present.spread(term)}"
        )
    g2 = th._keyness(term, before, after)
    ratio = th._log2_ratio(term, before, after)
    more = b if kind == "rising" else a
    return "change too small", (
        f"G² {g2:.1f} (≥ {settings.min_keyness}), log2 {ratio:+.2f} "
        f"(≥ {settings.min_log2_ratio}), count {more} (≥ {settings.min_change_count})"
    )


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else "tuning"
    part = None if arg == "all" else arg
    rows, wrong = diagnose(part)
    console = Console(width=160)
    table = Table(title=f"Labelled themes ({arg} half): where each is lost")
    for name in ("list", "term", "labelled", "counted", "cause", "detail"):
        table.add_column(name)
    for row in rows:
        table.add_row(row.kind, row.term, row.labelled, row.counted, row.cause, row.detail)
    console.print(table)
    causes = Counter(
        row.cause.split()[0] if row.cause.startswith("ranked") else row.cause for row in rows
    )
    console.print("causes: " + ", ".join(f"{c} {n}" for c, n in causes.most_common()))
    console.print("top-of-list terms carrying a label of another list:")
    for line in wrong:
        console.print("  " + line)


if __name__ == "__main__":
    main()
