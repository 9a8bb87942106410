"""Recommendation fates: every old recommendation against every new one.

Takes the two editions, their alignment and an embedder; returns one `RecommendationFate` per
old recommendation (kept, modified, moved or dropped) and per new one without an ancestor (new).

An old recommendation is matched to its best candidate when that pair stands out from the
other candidates on both sides: its cosine is well above the old item's other cosines and the
new item's other cosines (z-scores), or the texts are nearly the same. A fixed cosine threshold does
not work here: with e5, a right match and an unrelated pair of recommendations can differ by
0.001 of cosine, because every recommendation in the report talks about Japan, the US and
security. Kept and modified are told apart by character similarity of the normalised texts;
moved means matched across chapters that the alignment does not link.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from outlook_diff.datafiles import load_table
from outlook_diff.model import Edition, Recommendation
from outlook_diff.normalize import normalize
from outlook_diff.report import RECOMMENDATION_ORDER, RecommendationChange, RecommendationFate

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class RecommendationRules:
    """Decision thresholds, fitted on tests/data/eval/recommendations.toml (`make eval`).

    Evidence for a pair is z_row + z_col: how many standard deviations its cosine stands above
    the old recommendation's other candidates plus above the new one's other candidates.
    Measured on the labelled pairs: true matches 2.7-7.0 (most above 3.4), the best candidate
    of a dropped recommendation 1.0-4.3 (most below 3.3). A match across chapters that the
    alignment does not link (moved) must stand out more than one within aligned chapters.
    """

    min_evidence: float = 3.0  # z_row + z_col for a pair within aligned chapters
    min_evidence_moved: float = 4.5  # ... for a pair across chapters (a moved recommendation)
    min_cosine: float = 0.80  # below this nothing is a match, whatever the rank
    same_text: float = 0.90  # character similarity at which two texts are one, whatever else
    # Character similarity at or above which a match is "kept" rather than "modified". Rewritten
    # asks measure 0.11-0.26 here; the one labelled carried over nearly verbatim 0.41.
    kept_similarity: float = 0.40
    aligned_bonus: float = 0.01  # a candidate in an aligned chapter wins a near tie


def redline(old: str, new: str) -> str:
    """Inline character redline of two texts: [-deleted-]{+inserted+}.

    Equal runs shorter than 3 characters between two edits are folded into the edits, so a
    rewritten Japanese sentence reads as phrases replaced, not as confetti of single kana.
    """
    from rapidfuzz.distance import Indel

    # (is_edit, old_start, old_end, new_start, new_end), with short equal bridges folded in
    spans: list[tuple[bool, int, int, int, int]] = []
    ops = Indel.opcodes(old, new)
    for i, op in enumerate(ops):
        short_bridge = op.tag == "equal" and op.src_end - op.src_start < 3 and 0 < i < len(ops) - 1
        is_edit = op.tag != "equal" or short_bridge
        if spans and spans[-1][0] and is_edit:
            spans[-1] = (True, spans[-1][1], op.src_end, spans[-1][3], op.dest_end)
        else:
            spans.append((is_edit, op.src_start, op.src_end, op.dest_start, op.dest_end))
    out: list[str] = []
    for is_edit, a0, a1, b0, b1 in spans:
        if not is_edit:
            out.append(old[a0:a1])
            continue
        if a1 > a0:
            out.append(f"[-{old[a0:a1]}-]")
        if b1 > b0:
            out.append(f"{{+{new[b0:b1]}+}}")
    return "".join(out)


@cache
def _ask_levels() -> tuple[tuple[int, re.Pattern[str]], ...]:
    table = load_table("asks.toml")
    return tuple(
        (int(level["strength"]), re.compile(pattern))
        for level in table["level"]
        for pattern in level["patterns"]
    )


def ask(text: str) -> tuple[int, str | None]:
    """How firmly a (normalised) recommendation asks, and the words that say so."""
    best: tuple[int, str | None] = (0, None)
    for strength, pattern in _ask_levels():
        match = pattern.search(text)
        if match and strength > best[0]:
            best = (strength, match.group(0))
    return best


def changes(old: str, new: str, rarity: dict[str, float], most: int = 4) -> RecommendationChange:
    """Key terms added and removed (the rarest few) and the firmness of the ask."""
    from outlook_diff.themes import key_terms

    a, b = normalize(old), normalize(new)
    old_terms, new_terms = key_terms(a), key_terms(b)

    def rarest(terms: frozenset[str], other: frozenset[str]) -> tuple[str, ...]:
        # A term inside one the other side has (国家安全保障戦略 / 安全保障) is not news, and
        # of a term and a longer one holding it (ハイレベル / ハイレベル外交) the longer says it.
        only = [t for t in terms if not any(t in o or o in t for o in other)]
        only = [t for t in only if not any(t != o and t in o for o in only)]
        return tuple(sorted(only, key=lambda t: (-rarity.get(t, 0.0), t))[:most])

    old_strength, old_words = ask(a)
    new_strength, new_words = ask(b)
    direction: Literal["stronger", "weaker", "same"] = (
        "stronger"
        if new_strength > old_strength
        else "weaker"
        if new_strength < old_strength
        else "same"
    )
    return RecommendationChange(
        rarest(new_terms, old_terms), rarest(old_terms, new_terms), old_words, new_words, direction
    )


def character_similarity(a: str, b: str) -> float:
    from rapidfuzz.distance import Indel

    return float(Indel.normalized_similarity(normalize(a), normalize(b)))


def _z_scores(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far each cosine stands above its row's and its column's others."""
    import numpy as np

    def z(matrix: np.ndarray, axis: int) -> np.ndarray:
        mean = matrix.mean(axis=axis, keepdims=True)
        std = matrix.std(axis=axis, keepdims=True)
        return np.asarray((matrix - mean) / np.where(std > 1e-6, std, 1.0))

    return z(sims, 1), z(sims, 0)


def compare_recommendations(
    old: Edition,
    new: Edition,
    alignment: Alignment,
    embedder: Embedder,
    rules: RecommendationRules = RecommendationRules(),
) -> tuple[RecommendationFate, ...]:
    import numpy as np

    olds = list(old.recommendations)
    news = list(new.recommendations)
    if not olds and not news:
        return ()
    vectors = embedder.embed([normalize(r.text) for r in olds + news])
    rarity = _rarity([*olds, *news])
    sims = (
        vectors[: len(olds)] @ vectors[len(olds) :].T
        if olds and news
        else np.zeros((len(olds), len(news)))
    )
    if olds and news:
        bonus = np.array(
            [
                [
                    rules.aligned_bonus if alignment.aligned(o.chapter, n.chapter) else 0.0
                    for n in news
                ]
                for o in olds
            ]
        )
        ranked = sims + bonus
    else:
        ranked = sims
    z_row, z_col = _z_scores(sims) if olds and news else (sims, sims)

    fates: list[RecommendationFate] = []
    matched_new: set[int] = set()
    for i, o in enumerate(olds):
        if not news:
            fates.append(RecommendationFate("dropped", (o), None, None, None, None))
            continue
        # Several old recommendations may fold into one new one (2025 chapter 2 items 2 and 3
        # became 2026 chapter 1 item 2), so a new recommendation is not reserved once used.
        j = int(np.argmax(ranked[i]))
        n = news[j]
        cosine = float(sims[i, j])
        aligned = alignment.aligned(o.chapter, n.chapter)
        text_similarity = character_similarity(o.text, n.text)
        evidence = float(z_row[i, j] + z_col[i, j])
        needed = rules.min_evidence if aligned else rules.min_evidence_moved
        if text_similarity >= rules.same_text or (
            evidence >= needed and cosine >= rules.min_cosine
        ):
            matched_new.add(j)
            status = "kept" if text_similarity >= rules.kept_similarity else "modified"
            if not aligned:
                status = "moved"
            fates.append(
                RecommendationFate(
                    status,  # type: ignore[arg-type]
                    (o),
                    (n),
                    cosine,
                    None,
                    None if o.text == n.text else redline(o.text, n.text),
                    None if o.text == n.text else changes(o.text, n.text, rarity),
                )
            )
        else:
            fates.append(RecommendationFate("dropped", (o), None, cosine, (n), None))
    for j, n in enumerate(news):
        if j in matched_new:
            continue
        if olds:
            i = int(np.argmax(sims[:, j]))
            fates.append(RecommendationFate("new", None, (n), float(sims[i, j]), (olds[i]), None))
        else:
            fates.append(RecommendationFate("new", None, (n), None, None, None))
    return tuple(sorted(fates, key=_importance))


def _rarity(recommendations: list[Recommendation]) -> dict[str, float]:
    """Inverse document frequency of each key term over all recommendations of both editions."""
    from outlook_diff.themes import key_terms

    sets = [key_terms(normalize(r.text)) for r in recommendations]
    counts: Counter[str] = Counter(t for terms in sets for t in terms)
    total = len(sets) + 1
    return {t: math.log(total / (1 + n)) for t, n in counts.items()}


def _importance(fate: RecommendationFate) -> tuple[int, float, str, int]:
    """Dropped and new first (what a reader most needs), then moved, modified, kept.

    Within a class: for dropped/new the ones with the weakest candidate first (most surely gone
    or new); for matches the least similar first (the biggest rewrite).
    """
    ref = fate.old or fate.new
    assert ref is not None
    similarity = fate.similarity if fate.similarity is not None else 0.0
    return (RECOMMENDATION_ORDER.index(fate.status), similarity, ref.chapter, ref.index)
