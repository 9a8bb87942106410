"""The records the diff stage returns: a `Report` and its parts.

Everything a renderer needs is here; renderers never look back at the editions. `to_dict()`
gives the `outlook-diff/report-v1` JSON shape (schema: docs/report-v1.schema.json).
Every list is ordered most-important first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SCHEMA = "outlook-diff/report-v1"

AlignmentStatus = Literal["continued", "merged", "split", "dropped", "new"]
JudgementChange = Literal[
    "reversed", "strengthened", "weakened", "realized", "reaffirmed", "new", "dropped"
]
RecommendationStatus = Literal["dropped", "new", "modified", "moved", "kept"]
# Most important first: what a reader needs first, in every list and every renderer.
RECOMMENDATION_ORDER: tuple[RecommendationStatus, ...] = (
    "dropped",
    "new",
    "moved",
    "modified",
    "kept",
)


@dataclass(frozen=True)
class Quote:
    """A quoted sentence and where it stands."""

    chapter: str  # chapter id, e.g. "2026/ch03"
    section: str | None  # the ◆ heading, None for a chapter's lead text
    text: str  # as printed

    def to_dict(self) -> dict[str, Any]:
        return {"chapter": self.chapter, "section": self.section, "text": self.text}


@dataclass(frozen=True)
class AlignmentLink:
    old: tuple[str, ...]  # chapter ids in the old edition (empty for "new")
    new: tuple[str, ...]  # chapter ids in the new edition (empty for "dropped")
    status: AlignmentStatus
    score: float
    reasons: tuple[str, ...]
    topics: tuple[str, ...] = ()  # topic keys touched by the chapters of this link

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": list(self.old),
            "new": list(self.new),
            "status": self.status,
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "topics": list(self.topics),
        }


@dataclass(frozen=True)
class JudgementPair:
    change: JudgementChange
    old: Quote | None
    new: Quote | None
    similarity: float | None
    cues: tuple[str, ...]  # the cue words that decided the class, e.g. ("old: 可能性がある", ...)
    salience: float = 0.0  # ranking weight (not part of the JSON contract's meaning)

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "cues": list(self.cues),
        }


@dataclass(frozen=True)
class Theme:
    term: str
    old_count: int
    new_count: int
    chapters: tuple[str, ...]  # chapter ids where the term occurs (in the edition that has it most)
    context: Quote | None  # one sentence showing the term in use

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "old_count": self.old_count,
            "new_count": self.new_count,
            "chapters": list(self.chapters),
            "context": self.context.to_dict() if self.context else None,
        }


@dataclass(frozen=True)
class ThemeChanges:
    new: tuple[Theme, ...]
    dropped: tuple[Theme, ...]
    rising: tuple[Theme, ...]
    fading: tuple[Theme, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": [t.to_dict() for t in self.new],
            "dropped": [t.to_dict() for t in self.dropped],
            "rising": [t.to_dict() for t in self.rising],
            "fading": [t.to_dict() for t in self.fading],
        }


@dataclass(frozen=True)
class RecRef:
    """A recommendation as reported: chapter id, 1-based index within the chapter, text."""

    chapter: str
    index: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"chapter": self.chapter, "index": self.index, "text": self.text}


@dataclass(frozen=True)
class RecommendationFate:
    status: RecommendationStatus
    old: RecRef | None
    new: RecRef | None
    similarity: float | None
    candidate: RecRef | None  # for dropped/new: the best match on the other side, to judge by
    redline: str | None  # for modified/moved: inline character redline, [-deleted-]{+inserted+}

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "candidate": self.candidate.to_dict() if self.candidate else None,
            "redline": self.redline,
        }


@dataclass(frozen=True)
class Report:
    old: dict[str, Any]  # EditionSummary (Edition.summary())
    new: dict[str, Any]
    alignment: tuple[AlignmentLink, ...]
    judgements: tuple[JudgementPair, ...]
    themes: ThemeChanges
    recommendations: tuple[RecommendationFate, ...]
    chapter_titles: tuple[tuple[str, str], ...] = ()  # (chapter id, title) for both editions
    filters: tuple[str, ...] = ()  # the --chapter selectors applied, for the header

    @property
    def summary(self) -> dict[str, Any]:
        def count(items: tuple[Any, ...], key: str) -> dict[str, int]:
            counts: dict[str, int] = {}
            for item in items:
                value = getattr(item, key)
                counts[value] = counts.get(value, 0) + 1
            return dict(sorted(counts.items()))

        return {
            "alignment": count(self.alignment, "status"),
            "judgements": count(self.judgements, "change"),
            "themes": {
                "new": len(self.themes.new),
                "dropped": len(self.themes.dropped),
                "rising": len(self.themes.rising),
                "fading": len(self.themes.fading),
            },
            "recommendations": count(self.recommendations, "status"),
        }

    @property
    def has_changes(self) -> bool:
        """True when anything differs: the CLI exits 1 then, 0 otherwise."""
        return (
            any(link.status != "continued" for link in self.alignment)
            or any(j.change != "reaffirmed" for j in self.judgements)
            or any((self.themes.new, self.themes.dropped, self.themes.rising, self.themes.fading))
            or any(r.status != "kept" for r in self.recommendations)
        )

    def title_of(self, chapter_id: str) -> str:
        return dict(self.chapter_titles).get(chapter_id, chapter_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "old": self.old,
            "new": self.new,
            "alignment": [a.to_dict() for a in self.alignment],
            "judgements": [j.to_dict() for j in self.judgements],
            "themes": self.themes.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "summary": self.summary,
        }
