"""The records the diff stage returns: a `Report` and its parts.

Everything a renderer needs is here; renderers never look back at the editions. `to_dict()`
gives the `outlook-diff/report-v2` JSON shape (docs/report-v2.md, docs/report-v2.schema.json).
Every list is ordered most-important first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

from outlook_diff.model import Recommendation

SCHEMA = "outlook-diff/report-v2"

AlignmentStatus = Literal["continued", "merged", "split", "dropped", "new"]
JudgementChange = Literal[
    "reversed",
    "realized",
    "unrealized",
    "strengthened",
    "weakened",
    "new",
    "dropped",
    "reaffirmed",
]
# Most important first (issue 11): a change of stance, then what a forecast became, then a shift
# of certainty, then what appeared or vanished, and what stayed the same last (the order of the
# Literal above).
JUDGEMENT_ORDER: tuple[JudgementChange, ...] = get_args(JudgementChange)
STANCE_CHANGES: frozenset[JudgementChange] = frozenset(
    ("reversed", "realized", "unrealized", "strengthened", "weakened")
)
StanceKind = Literal["forecast", "assessment", "prescription", "hedge", "statement"]
ForecastOutcome = Literal["realized", "unrealized", "open", "not_mentioned"]
FORECAST_ORDER: tuple[ForecastOutcome, ...] = ("realized", "unrealized", "open", "not_mentioned")
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
class Stance:
    """What a sentence asserts about its proposition, read from its wording."""

    kind: StanceKind  # statement: no cue at all (a plain statement of fact)
    value: float  # -1 (surely not) … +1 (surely so); a statement counts as +1 or -1
    cue: str | None  # the words that decided it, as matched
    gloss: str  # the cue in English ("possible", "stated as fact")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": round(self.value, 3),
            "cue": self.cue,
            "gloss": self.gloss,
        }


@dataclass(frozen=True)
class Candidate:
    """Another sentence a judgement could be paired with, and how sure that pairing would be."""

    quote: Quote
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {**self.quote.to_dict(), "score": round(self.score, 3)}


@dataclass(frozen=True)
class AlignmentLink:
    old: tuple[str, ...]  # chapter ids in the old edition (empty for "new")
    new: tuple[str, ...]  # chapter ids in the new edition (empty for "dropped")
    status: AlignmentStatus
    score: float
    reasons: tuple[str, ...]
    topics: tuple[str, ...] = ()  # topic keys touched by the chapters of this link
    # For a chapter dropped (or new) whole: its judgements, which are not rows of their own.
    judgements: tuple[Quote, ...] = ()
    # The evidence does not settle this link (a merge, or a refusal to merge, decided by a
    # ratio close to its threshold): the reasons give the margin.
    uncertain: bool = False
    id: str = ""  # "A1" … in report order (set by `numbered`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "old": list(self.old),
            "new": list(self.new),
            "status": self.status,
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "topics": list(self.topics),
            "judgements": [q.to_dict() for q in self.judgements],
            "uncertain": self.uncertain,
        }


def confidence_words(score: float) -> str:
    """A pairing confidence in words a reader understands (the number stays in JSON)."""
    if score >= 0.75:
        return "strong"
    if score >= 0.5:
        return "likely"
    return "weak"


@dataclass(frozen=True)
class Judgement:
    """One tracked judgement: an old one and what became of it, or a new one."""

    id: str  # "J1" … in rank order
    change: JudgementChange
    old: Quote | None
    new: Quote | None
    old_stance: Stance | None
    new_stance: Stance | None
    score: float | None  # calibrated confidence that old and new speak of the same thing, 0-1
    similarity: float | None  # cosine of the two sentences (for reference)
    alternatives: tuple[Candidate, ...]  # other candidates on the other side, best first
    reason: str  # in English, checkable against the two quotes
    salience: float = 0.0  # ranking weight (not part of the JSON contract's meaning)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "change": self.change,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
            "old_stance": self.old_stance.to_dict() if self.old_stance else None,
            "new_stance": self.new_stance.to_dict() if self.new_stance else None,
            "score": None if self.score is None else round(self.score, 3),
            "confidence": None if self.score is None else confidence_words(self.score),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Forecast:
    """A forecast of the old edition and what the new edition says became of it."""

    id: str  # "F1" …
    outcome: ForecastOutcome
    old: Quote
    stance: Stance
    evidence: Quote | None  # the new sentence that tells the outcome (None: not mentioned)
    score: float | None  # confidence of that pairing
    judgement: str | None  # id of the judgement row that pairs them, if any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "old": self.old.to_dict(),
            "stance": self.stance.to_dict(),
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "score": None if self.score is None else round(self.score, 3),
            "judgement": self.judgement,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Theme:
    """A key term whose use changed, with its counts, keyness and where it stands."""

    id: str  # "T1" … over the four lists in report order
    term: str
    old_count: int
    new_count: int
    old_rate: float  # uses per 10,000 words of the counted text
    new_rate: float
    keyness: float  # log-likelihood G² of the two counts against the editions' word totals
    old_chapters: tuple[str, ...]  # chapter ids where the term occurs
    new_chapters: tuple[str, ...]
    # Up to two sentences per edition that has it, old first; each edition's busiest chapter
    # first.
    contexts: tuple[Quote, ...]
    side: Literal["old", "new"]  # the edition where it matters: new/rising → new

    @property
    def chapters(self) -> tuple[str, ...]:
        return self.new_chapters if self.side == "new" else self.old_chapters

    @property
    def context(self) -> Quote | None:
        """The context sentence of the edition where the term matters (its busiest chapter)."""
        label_side = [q for q in self.contexts if q.chapter in self.chapters]
        return label_side[0] if label_side else (self.contexts[0] if self.contexts else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "term": self.term,
            "old_count": self.old_count,
            "new_count": self.new_count,
            "old_rate": round(self.old_rate, 2),
            "new_rate": round(self.new_rate, 2),
            "keyness": round(self.keyness, 2),
            "old_chapters": list(self.old_chapters),
            "new_chapters": list(self.new_chapters),
            "contexts": [q.to_dict() for q in self.contexts],
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
class RecommendationChange:
    """What changed in a matched recommendation, beyond the redline."""

    added: tuple[str, ...]  # key terms only the new text has, rarest first
    removed: tuple[str, ...]  # key terms only the old text has
    old_ask: str | None  # the words that carry the ask (べきである, 検討), as matched
    new_ask: str | None
    ask: Literal["stronger", "weaker", "same"]  # data/asks.toml levels: must > should > could

    @property
    def summary(self) -> str:
        """In English, e.g. "adds 西半球, 抑制主義; drops IPEF; the ask is firmer (検討 → べき)"."""
        parts = []
        if self.added:
            parts.append("adds " + ", ".join(self.added))
        if self.removed:
            parts.append("drops " + ", ".join(self.removed))
        if self.ask != "same":
            word = "firmer" if self.ask == "stronger" else "softer"
            parts.append(f"the ask is {word} ({self.old_ask or '—'} → {self.new_ask or '—'})")
        return "; ".join(parts) or "the same key terms and the same ask, reworded"

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "old_ask": self.old_ask,
            "new_ask": self.new_ask,
            "ask": self.ask,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class RecommendationFate:
    status: RecommendationStatus
    old: Recommendation | None
    new: Recommendation | None
    similarity: float | None
    candidate: (
        Recommendation | None
    )  # for dropped/new: the best match on the other side, to judge by
    redline: str | None  # for modified/moved: inline character redline, [-deleted-]{+inserted+}
    changes: RecommendationChange | None = None  # for kept/modified/moved whose texts differ
    id: str = ""  # "R1" … in report order (set by `numbered`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "candidate": self.candidate.to_dict() if self.candidate else None,
            "redline": self.redline,
            "changes": self.changes.to_dict() if self.changes else None,
        }


@dataclass(frozen=True)
class EditionSummary:
    label: str
    title: str
    subtitle: str
    source: str
    chapters: int
    front_matter: int
    recommendations: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    old: EditionSummary
    new: EditionSummary
    alignment: tuple[AlignmentLink, ...]
    judgements: tuple[Judgement, ...]
    themes: ThemeChanges
    recommendations: tuple[RecommendationFate, ...]
    chapter_titles: tuple[tuple[str, str], ...] = ()  # (chapter id, title) for both editions
    filters: tuple[str, ...] = ()  # the --chapter selectors applied, for the header
    forecasts: tuple[Forecast, ...] = ()
    changes: tuple[str, ...] = ()  # the --change words applied, for the header

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
            "forecasts": count(self.forecasts, "outcome"),
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
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "alignment": [a.to_dict() for a in self.alignment],
            "judgements": [j.to_dict() for j in self.judgements],
            "forecasts": [f.to_dict() for f in self.forecasts],
            "themes": self.themes.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "summary": self.summary,
            "filters": {"chapter": list(self.filters), "change": list(self.changes)},
        }


def numbered(report: Report) -> Report:
    """The report with ids on its alignment links (A1…) and recommendations (R1…), in report
    order; judgements, forecasts and themes are numbered by their own stages."""
    if all(a.id for a in report.alignment) and all(r.id for r in report.recommendations):
        return report
    return replace(
        report,
        alignment=tuple(replace(a, id=f"A{k}") for k, a in enumerate(report.alignment, 1)),
        recommendations=tuple(
            replace(r, id=f"R{k}") for k, r in enumerate(report.recommendations, 1)
        ),
    )
