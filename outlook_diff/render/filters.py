"""What a reader chose to see: the `ViewSettings`, and the `--change` filter of a report.

The filter applies to the report itself (before any renderer), so JSON honours it too; the
other settings shape only the view (render/view.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from outlook_diff.errors import OutlookDiffError
from outlook_diff.report import (
    FORECAST_ORDER,
    JUDGEMENT_ORDER,
    RECOMMENDATION_ORDER,
    Report,
    ThemeChanges,
    numbered,
)

DEFAULT_LIMIT = 15
DEFAULT_QUOTE_CHARS = 80

# The sections, in the order they are shown; `--only` takes one of these names.
SECTIONS: tuple[str, ...] = ("alignment", "judgements", "forecasts", "themes", "recommendations")

# The words `--change` takes, per section (a word may name a kind in several sections:
# `dropped` keeps dropped chapters, judgements, themes and recommendations).
CHANGE_WORDS: dict[str, tuple[str, ...]] = {
    "alignment": ("continued", "merged", "split", "dropped", "new"),
    "judgements": JUDGEMENT_ORDER,
    "forecasts": FORECAST_ORDER,
    "themes": ("new", "rising", "dropped", "fading"),
    "recommendations": RECOMMENDATION_ORDER,
}
ALL_CHANGE_WORDS: tuple[str, ...] = tuple(
    dict.fromkeys(w for words in CHANGE_WORDS.values() for w in words)
)


@dataclass(frozen=True)
class ViewSettings:
    """How a report is shown (never what is compared): the same for every format."""

    limit: int | None = DEFAULT_LIMIT  # rows per table; None for all
    only: str | None = None  # one of SECTIONS; None for all
    changes: tuple[str, ...] = ()  # --change words; () for every kind
    quote_chars: int = DEFAULT_QUOTE_CHARS  # quotes in table cells are cut to this (0: whole)

    def checked(self) -> ViewSettings:
        """The settings, or an `OutlookDiffError` naming the option that is wrong."""
        if self.only is not None and self.only not in SECTIONS:
            raise OutlookDiffError(
                f"unknown --only {self.only!r}; choose one of {', '.join(SECTIONS)}"
            )
        if self.limit is not None and self.limit < 0:
            raise OutlookDiffError(f"--limit must be 0 (all rows) or more, not {self.limit}")
        unknown = [w for w in self.changes if w not in ALL_CHANGE_WORDS]
        if unknown:
            raise OutlookDiffError(
                f"unknown --change {', '.join(map(repr, unknown))}; choose from "
                + ", ".join(ALL_CHANGE_WORDS)
            )
        return replace(self, limit=self.limit or None)


def parse_changes(values: Sequence[str]) -> tuple[str, ...]:
    """`--change reversed,realized --change dropped` → ("reversed", "realized", "dropped")."""
    words = [
        w.strip().lower().replace("-", "_").replace(" ", "_") for v in values for w in v.split(",")
    ]
    return tuple(dict.fromkeys(w for w in words if w))


# --- the filter (applied to the report itself, so JSON honours it too) ----------------------


def filter_report(report: Report, changes: Sequence[str]) -> Report:
    """The report keeping only the items whose kind is one of `changes` (all when empty).

    Ids stay those of the full report, so `J7` is the same judgement in a filtered view.
    """
    report = numbered(report)
    if not changes:
        return report
    keep = set(changes)
    themes = report.themes
    return replace(
        report,
        alignment=tuple(a for a in report.alignment if a.status in keep),
        judgements=tuple(j for j in report.judgements if j.change in keep),
        forecasts=tuple(f for f in report.forecasts if f.outcome in keep),
        themes=ThemeChanges(
            new=themes.new if "new" in keep else (),
            dropped=themes.dropped if "dropped" in keep else (),
            rising=themes.rising if "rising" in keep else (),
            fading=themes.fading if "fading" in keep else (),
        ),
        recommendations=tuple(r for r in report.recommendations if r.status in keep),
        changes=tuple(changes),
    )
