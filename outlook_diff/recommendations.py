"""Recommendation fates: every old recommendation against every new one, across the editions.

Takes the two editions, their alignment and an embedder; returns one `RecommendationFate` per
old recommendation (kept, modified, moved or dropped) and per new one without an ancestor (new).

Texts that are the same (after normalisation) pair one to one first. The others are paired by
one assignment over the whole edition (`RecommendationRules` says how a pair is scored: how far
its cosine stands out from the other candidates on both sides, the key terms the two share, and
the chapter alignment as a prior), so a recommendation that moved to another chapter is found
there when nothing better is in its own. A fixed cosine threshold does not work with a crowd:
with e5 a right match and an unrelated pair can differ by 0.001 of cosine, because every
recommendation in the report talks about Japan, the US and security. Without one (fewer than
ten recommendations a side) only a near-certain cosine pairs. Kept and modified are told apart
by character similarity of the normalised texts; moved means matched across chapters that the
alignment does not link. A dropped recommendation keeps its best candidate, for the reader to
judge.
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
from outlook_diff.report import (
    RECOMMENDATION_ORDER,
    RecommendationChange,
    RecommendationFate,
    RecommendationStatus,
)

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class RecommendationRules:
    """Decision rules, fitted on the tuning half of tests/data/eval/recommendations.toml.

    Pairs are decided in two steps. First, texts that are the same after normalisation (or
    nearly: character similarity ≥ `same_text`) pair one to one, most alike first, whatever
    else the editions hold. Then the rest are paired by one assignment over the whole edition.

    With a crowd (both sides ≥ `min_crowd` recommendations) a pair's score is
    z_row + z_col (how many standard deviations its cosine stands above the old item's other
    candidates and above the new item's other candidates; with e5 a right match and an
    unrelated pair can differ by 0.001 of cosine, so only the contrast means anything)
    + `term_weight` × the key-term overlap (IDF-weighted cosine of the two key-term sets)
    + `aligned_prior` when the two chapters are aligned. Declining a pair (dropped) is worth
    `min_score`, so a pair across chapters the alignment does not link (moved) needs
    `min_score`, one within aligned chapters `min_score - aligned_prior`. A new recommendation
    may receive two old ones (2025 ch2 items 2 and 3 became 2026 ch1 item 2); the second pays
    `fusion_cost`.

    Without a crowd z-scores mean nothing: the largest z a sample of n values can give is
    (n-1)/√n, so below 10 candidates z_row + z_col cannot reach the 4-7 that right matches
    reach among the 24 new items of 2026. Then a pair needs an absolute cosine of
    `min_cosine_alone`, one to one.
    """

    same_text: float = 0.90  # character similarity at which two texts are one, whatever else
    min_crowd: int = 10  # recommendations per side below which z-scores are not used
    term_weight: float = 10.0  # key-term overlap (0-1) against z_row + z_col
    aligned_prior: float = 1.5  # a pair within aligned chapters
    min_score: float = 5.0  # worth of declining a pair: a match must score at least this
    fusion_cost: float = 1.0  # a new recommendation's second old one
    min_cosine: float = 0.80  # below this nothing is a match, whatever the rank
    # Without a crowd: above every cosine (0.904) between two recommendations of the shipped
    # editions that a reader does not pair, below the nearly verbatim pair (0.932).
    min_cosine_alone: float = 0.92
    # Character similarity at or above which a match is "kept" rather than "modified". Rewritten
    # asks measure 0.11-0.26 here; the one labelled carried over nearly verbatim 0.41.
    kept_similarity: float = 0.40


def redline(old: str, new: str) -> str:
    """Inline character redline of two texts for JSON: [-deleted-]{+inserted+}."""
    from outlook_diff.redline import pieces

    marks = {"kept": "{}", "deleted": "[-{}-]", "inserted": "{{+{}+}}"}
    return "".join(marks[kind].format(text) for kind, text in pieces(old, new))


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
    from outlook_diff.terms import key_terms

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
    olds = list(old.recommendations)
    news = list(new.recommendations)
    if not olds and not news:
        return ()
    from outlook_diff.terms import key_terms

    texts = [normalize(r.text) for r in olds + news]
    vectors = embedder.embed(texts)
    term_sets = [key_terms(t) for t in texts]
    rarity = _rarity(term_sets)
    evidence = weigh(olds, news, vectors, term_sets, rarity, alignment, rules)
    pairs = pair(evidence, rules)

    fates: list[RecommendationFate] = []
    for i, o in enumerate(olds):
        j = pairs.get(i)
        if j is None:
            best = evidence.best_new(i)
            fates.append(
                RecommendationFate(
                    "dropped",
                    o,
                    None,
                    None if best is None else float(evidence.cosine[i, best]),
                    None if best is None else news[best],
                    None,
                )
            )
            continue
        n = news[j]
        status: RecommendationStatus = (
            "kept" if evidence.text_similarity[i, j] >= rules.kept_similarity else "modified"
        )
        if not evidence.aligned[i, j]:
            status = "moved"
        same = o.text == n.text
        fates.append(
            RecommendationFate(
                status,
                o,
                n,
                float(evidence.cosine[i, j]),
                None,
                None if same else redline(o.text, n.text),
                None if same else changes(o.text, n.text, rarity),
            )
        )
    matched = set(pairs.values())
    for j, n in enumerate(news):
        if j in matched:
            continue
        best = evidence.best_old(j)
        fates.append(
            RecommendationFate(
                "new",
                None,
                n,
                None if best is None else float(evidence.cosine[best, j]),
                None if best is None else olds[best],
                None,
            )
        )
    return tuple(sorted(fates, key=_importance))


@dataclass(frozen=True)
class Evidence:
    """Every old recommendation (rows) against every new one (columns)."""

    cosine: np.ndarray
    text_similarity: np.ndarray  # character similarity of the normalised texts
    aligned: np.ndarray  # bool: the two chapters are in one aligned group
    score: np.ndarray  # what the assignment maximises; -inf where no match is allowed
    crowd: bool  # whether `score` contrasts each pair with the other candidates (z-scores)

    def best_new(self, i: int) -> int | None:
        """The old item's best candidate, for the reader to judge a drop by."""
        return self._best(self.score[i], self.cosine[i])

    def best_old(self, j: int) -> int | None:
        return self._best(self.score[:, j], self.cosine[:, j])

    @staticmethod
    def _best(score: np.ndarray, cosine: np.ndarray) -> int | None:
        import numpy as np

        if not len(score):
            return None
        # Where every candidate is ruled out (cosine too low), the nearest one by cosine.
        return int(np.argmax(score)) if np.isfinite(score).any() else int(np.argmax(cosine))


def weigh(
    olds: list[Recommendation],
    news: list[Recommendation],
    vectors: np.ndarray,
    term_sets: list[frozenset[str]],
    rarity: dict[str, float],
    alignment: Alignment,
    rules: RecommendationRules,
) -> Evidence:
    """The evidence for every pair: cosine, text similarity, alignment and the score."""
    import numpy as np
    from rapidfuzz.distance import Indel
    from rapidfuzz.process import cdist

    n_old, n_new = len(olds), len(news)
    cosine = (
        np.asarray(vectors[:n_old] @ vectors[n_old:].T, dtype=np.float64)
        if n_old and n_new
        else np.zeros((n_old, n_new))
    )
    text_similarity = (
        cdist(
            [normalize(r.text) for r in olds],
            [normalize(r.text) for r in news],
            scorer=Indel.normalized_similarity,
            dtype=np.float32,
        ).astype(np.float64)
        if n_old and n_new
        else np.zeros((n_old, n_new))
    )
    aligned = np.array(
        [[alignment.aligned(o.chapter, n.chapter) for n in news] for o in olds], dtype=bool
    ).reshape(n_old, n_new)
    crowd = min(n_old, n_new) >= rules.min_crowd
    if crowd:
        z_row, z_col = _z_scores(cosine)
        terms = _term_overlap(term_sets[:n_old], term_sets[n_old:], rarity)
        score = z_row + z_col + rules.term_weight * terms + rules.aligned_prior * aligned
        score = np.where(cosine >= rules.min_cosine, score, -np.inf)
    else:
        # Only a near-certain cosine; a hundredth more for an aligned candidate wins a near tie.
        score = np.where(cosine >= rules.min_cosine_alone, cosine + 0.01 * aligned, -np.inf)
    return Evidence(cosine, text_similarity, aligned, score, crowd)


def pair(evidence: Evidence, rules: RecommendationRules) -> dict[int, int]:
    """Old index → new index for every match: the same texts first, then one assignment."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    n_old, n_new = evidence.cosine.shape
    pairs: dict[int, int] = {}
    # The same text pairs with the same text, one to one, most alike first (ten identical
    # recommendations are ten kept ones, not one kept and nine dropped).
    same = np.argwhere(evidence.text_similarity >= rules.same_text)
    order = sorted(
        (tuple(int(v) for v in ij) for ij in same),
        key=lambda ij: (
            -evidence.text_similarity[ij],
            not evidence.aligned[ij],
            -evidence.cosine[ij],
            ij,
        ),
    )
    taken: set[int] = set()
    for i, j in order:
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    rows = [i for i in range(n_old) if i not in pairs]
    if not rows or not n_new:
        return pairs

    # One assignment: each remaining old item takes one new item or declines (its own dummy
    # column, worth the threshold). With a crowd a new item has a second, costlier place (a
    # fusion of two old recommendations); without one, matches are one to one.
    # Without a crowd every allowed pair has already passed its cosine bar (score ≥ 0.92).
    threshold = rules.min_score if evidence.crowd else 0.0
    forbidden = -1e9
    score = np.where(np.isfinite(evidence.score[rows]), evidence.score[rows], forbidden)
    first = score.copy()
    first[:, sorted(taken)] = forbidden
    blocks = [first]
    if evidence.crowd:
        blocks.append(score - rules.fusion_cost)
    decline = np.full((len(rows), len(rows)), forbidden)
    np.fill_diagonal(decline, threshold)
    matrix = np.hstack([*blocks, decline])
    chosen_rows, chosen_cols = linear_sum_assignment(matrix, maximize=True)
    for r, c in zip(chosen_rows, chosen_cols, strict=True):
        if c < n_new * len(blocks) and matrix[r, c] >= threshold:
            pairs[rows[r]] = int(c) % n_new
    return pairs


def _term_overlap(
    old_terms: list[frozenset[str]], new_terms: list[frozenset[str]], rarity: dict[str, float]
) -> np.ndarray:
    """Cosine of the rarity-weighted key-term sets of every old and new recommendation."""
    import numpy as np
    from scipy.sparse import csr_matrix, diags

    vocabulary = {t: k for k, t in enumerate(sorted(rarity))}

    def matrix(sets: list[frozenset[str]]) -> csr_matrix:
        rows, cols, weights = [], [], []
        for r, terms in enumerate(sets):
            for t in terms:
                rows.append(r)
                cols.append(vocabulary[t])
                weights.append(rarity[t])
        m = csr_matrix((weights, (rows, cols)), shape=(len(sets), len(vocabulary)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return csr_matrix(diags(1.0 / np.where(norms > 0, norms, 1.0)) @ m)

    return np.asarray((matrix(old_terms) @ matrix(new_terms).T).todense(), dtype=np.float64)


def _rarity(term_sets: list[frozenset[str]]) -> dict[str, float]:
    """Inverse document frequency of each key term over all recommendations of both editions."""
    counts: Counter[str] = Counter(t for terms in term_sets for t in terms)
    total = len(term_sets) + 1
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
