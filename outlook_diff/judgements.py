"""Changed judgements: every assessment and forecast of OLD tracked into NEW.

Takes the two editions, their alignment and an embedder; returns the `Judgement` rows (ranked,
most important first), the forecast scorecard and the judgements of chapters dropped or new
whole (which are not rows of their own: the alignment row carries them).

1. **Claims.** An old sentence (body or 提言) is tracked when it states an assessment or a
   forecast: a modality cue, an evaluative predicate (懸念, 困難, 重要…), a word about what is
   to come (今後, 2026年…) or a plain non-past verb (…を図る。), all from data/modality.toml.
   Generic hedges (…が注目される) are tracked but ranked last; asks (…べきである) are left to
   the recommendation stage. Every new sentence is a candidate, cue or no cue.
2. **Retrieval.** Up to four similarities per (old, new) pair — the sentences' embeddings, the
   embeddings with their neighbours (context), character 2-3-gram TF-IDF, and rarity-weighted
   shared key terms with aliases folded (data/aliases.toml) — each z-scored against the old
   sentence's other candidates and the new sentence's other claimants, and summed with the
   weights of `JudgementRules`. A candidate outside the aligned chapter group has to beat the
   in-group ones by `cross_chapter_margin`.
3. **Confidence and pairing.** A logistic calibration turns the score and its leads over the
   runner-up (in its row and its column) into a probability that the two sentences speak of
   the same proposition (fitted on the tuning half of tests/data/eval by tests/calibrate.py).
   Pairs are one maximum-confidence one-to-one assignment over the whole edition, above
   `min_confidence`; each judgement keeps its next-best candidates as alternatives.
4. **Stance.** A pair is reversed (cue signs or an evaluative axis of data/polarity.toml flip),
   realized / unrealized (a forecast then, a statement or a denial now), strengthened /
   weakened (certainty moves) or reaffirmed, with an English reason. Rows are ranked: changes
   of stance on a likely pairing, then on a weak one, then new / dropped, reaffirmed last.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from outlook_diff.model import Edition
from outlook_diff.normalize import normalize
from outlook_diff.report import (
    FORECAST_ORDER,
    JUDGEMENT_ORDER,
    STANCE_CHANGES,
    Candidate,
    Forecast,
    ForecastOutcome,
    Judgement,
    JudgementChange,
    Quote,
    Stance,
)
from outlook_diff.stance import classify, describe, stance, statement
from outlook_diff.stance import outcome as forecast_outcome

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class JudgementRules:
    """Retrieval weights, calibration and thresholds.

    Fitted on the tuning half of tests/data/eval/judgements*.toml by `tests/calibrate.py`;
    `make eval` reports the held-out half.
    """

    # Weights of the four z-scored similarities in the retrieval score, fitted on the tuning
    # half (56 labelled partners; `tests/calibrate.py`): the sentence embedding, half the
    # character-gram score and half the key-term overlap rank best by recall@1 (0.36, @3 0.48;
    # without the key terms @1 0.32, @3 0.54: one pair apart either way, the key terms kept).
    # Measured and not better (tests/diagnose_judgements.py, same half): e5's "query: " prefix
    # instead of "passage: ", the sentence embedded without its modality ending, BM25 over
    # Sudachi lemmas, the section's embedding and the place in the chapter, alone or added.
    # The context embedding (sentence with its neighbours) did not help here, averaged or
    # embedded as one text: off by default, kept for other models and reports.
    embedding_weight: float = 1.0
    context_weight: float = 0.0
    character_weight: float = 0.5
    term_weight: float = 0.5
    # A candidate in a chapter the alignment does not link must beat the best in-group
    # candidate by this much (in the score's z units): judgements do move between chapters,
    # but most stay (margins 0.5-2.5 tried; 2.5 best on the tuning half).
    cross_chapter_margin: float = 2.5
    # Logistic calibration: P(same proposition) = sigmoid(a·score + b·row lead + c·column lead
    # + e·cosine + d), where a lead is the score minus the best other candidate's in the same row
    # (the old sentence's other candidates) or column (the new sentence's other claimants). The
    # cosine is the one term not read against the sentence's own rivals (z-scores and leads need
    # a crowd): it is taken in standard deviations from the mean over all pairs, as models
    # differ in scale.
    calibration: tuple[float, float, float, float, float] = (0.329, 0.149, -0.007, 0.599, -5.588)
    # Below this a judgement stays unpaired (dropped / new): the best F1 of exact pairs after
    # the assignment on the tuning half (0.2: precision 0.42, recall 0.23).
    min_confidence: float = 0.2
    # A pair at or above this cosine is trusted without a crowd (its confidence is at least its
    # cosine). On the real editions no pair of a tracked judgement and a new sentence reaches
    # 0.94 apart from identical sentences (tuning half), so only near-copies qualify.
    absolute_cosine: float = 0.95
    certainty_step: float = 0.15  # stance change that counts as strengthened / weakened
    alternatives: int = 3  # other candidates kept per judgement


# --- the claims ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One sentence (or one recommendation) of an edition, ready for comparison."""

    quote: Quote
    text: str  # normalised
    stance: Stance | None
    terms: frozenset[str]
    block: tuple[str, str | None]  # (chapter, section): neighbours share it


def _year(label: str) -> int | None:
    match = re.fullmatch(r"(\d{4})(-old|-new)?", label)
    return int(match.group(1)) if match else None


def _sentences(edition: Edition) -> Iterator[tuple[Quote, str]]:
    """Every distinct sentence of the edition, body and recommendations, in reading order."""
    seen: set[str] = set()
    for chapter in edition.chapters:
        for sentence in chapter.sentences():
            text = normalize(sentence.text)
            if text and text not in seen:
                seen.add(text)
                yield Quote(chapter.id, sentence.section, sentence.text), text
        for rec in chapter.recommendations:
            text = normalize(rec.text)
            if text and text not in seen:
                seen.add(text)
                yield Quote(chapter.id, f"提言 {rec.index}", rec.text), text


def sentence_texts(edition: Edition) -> list[str]:
    """The normalised texts this stage embeds (for the one up-front embedding batch)."""
    return [text for _, text in _sentences(edition)]


def _units(edition: Edition) -> list[_Unit]:
    from outlook_diff.terms import key_terms

    year = _year(edition.label)
    return [
        _Unit(quote, text, stance(text, year), key_terms(text), (quote.chapter, quote.section))
        for quote, text in _sentences(edition)
    ]


# --- similarities ------------------------------------------------------------------------------


def _z(matrix: np.ndarray) -> np.ndarray:
    """(z against the row + z against the column) / 2: how far a pair stands out on both sides.

    Overwrites `matrix` (a similarity no longer needed) and uses one more matrix of scratch
    space: the editions' sentence grids are large."""
    import numpy as np

    def spread(axis: int) -> np.ndarray:
        sd = matrix.std(axis=axis, keepdims=True)
        sd[sd == 0] = 1.0
        return np.asarray(sd)

    row_mean, row_sd = matrix.mean(axis=1, keepdims=True), spread(1)
    column = matrix - matrix.mean(axis=0, keepdims=True)
    column /= spread(0)
    matrix -= row_mean
    matrix /= row_sd
    matrix += column
    del column
    matrix *= 0.5
    return matrix


def _context(units: list[_Unit], vectors: np.ndarray) -> np.ndarray:
    """Each sentence's vector with half of each neighbour's in the same section, renormalised."""
    import numpy as np

    context = vectors.copy()
    for k, unit in enumerate(units):
        for m in (k - 1, k + 1):
            if 0 <= m < len(units) and units[m].block == unit.block:
                context[k] += 0.5 * vectors[m]
    norms = np.linalg.norm(context, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(context / norms)


_BLOCK = 512  # old sentences per block of the character-gram product
_NOT_GRAM = re.compile(r"[、。「」『』（）()・,.\s]")
_KANA_ONLY = re.compile(r"[ぁ-ゖー]+")


def _grams(text: str) -> Counter[str]:
    """Character 2- and 3-grams, leaving out kana-only ones (particles and endings)."""
    text = _NOT_GRAM.sub("", text)
    grams: Counter[str] = Counter()
    for n in (2, 3):
        for i in range(len(text) - n + 1):
            gram = text[i : i + n]
            if not _KANA_ONLY.fullmatch(gram):
                grams[gram] += 1
    return grams


def _count_matrix(items: Sequence[Mapping[str, int]]) -> Any:
    """One row per item, one column per key, the counts as a sparse matrix (keys in order of
    first appearance). Built from arrays: per-item dictionaries of weights would take far more
    memory than the matrix itself on large editions."""
    import numpy as np
    from scipy.sparse import csr_matrix

    index: dict[str, int] = {}
    rows, cols, counts = array("i"), array("i"), array("i")
    for row, item in enumerate(items):
        for key, n in sorted(item.items()):
            rows.append(row)
            cols.append(index.setdefault(key, len(index)))
            counts.append(n)
    return csr_matrix(
        (
            np.frombuffer(counts, dtype=np.int32).astype(np.float64),
            (np.frombuffer(rows, dtype=np.int32), np.frombuffer(cols, dtype=np.int32)),
        ),
        shape=(len(items), len(index)),
    )


def _blockwise(
    old_rows: Any, new_rows: Any, finish: Callable[[int, np.ndarray], np.ndarray]
) -> np.ndarray:
    """old_rows @ new_rows.T as a dense float32 matrix, in row blocks: the product is nearly
    dense, and as one sparse matrix it would take several times the memory of the result.
    `finish(start, block)` turns each dense block into its final values."""
    import numpy as np

    right = new_rows.T.tocsc()
    out = np.zeros((old_rows.shape[0], new_rows.shape[0]), dtype=np.float32)
    for start in range(0, old_rows.shape[0], _BLOCK):
        out[start : start + _BLOCK] = finish(
            start, (old_rows[start : start + _BLOCK] @ right).toarray()
        )
    return out


def _character_similarity(olds: list[_Unit], news: list[_Unit]) -> np.ndarray:
    """Cosine of sublinear TF-IDF character-gram vectors."""
    import numpy as np

    m = _count_matrix([_grams(u.text) for u in olds + news])
    df = np.bincount(m.indices, minlength=m.shape[1])
    m.data = (1.0 + np.log(m.data)) * np.log(m.shape[0] / df[m.indices])
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    m = m.multiply(1.0 / norms[:, None]).tocsr()
    return _blockwise(m[: len(olds)], m[len(olds) :], lambda start, block: block)


def _term_similarity(olds: list[_Unit], news: list[_Unit]) -> np.ndarray:
    """Rarity-weighted Jaccard of the key terms (idf over all sentences of both editions)."""
    import numpy as np

    ones = _count_matrix([dict.fromkeys(u.terms, 1) for u in olds + news])
    df = np.bincount(ones.indices, minlength=ones.shape[1])
    weights = ones.copy()
    weights.data = np.log((ones.shape[0] + 1) / (1.0 + df[ones.indices])) + 1e-3
    mass = np.asarray(weights.sum(axis=1)).ravel()
    old_mass, new_mass = mass[: len(olds), None], mass[None, len(olds) :]

    def jaccard(start: int, shared: np.ndarray) -> np.ndarray:
        union = old_mass[start : start + _BLOCK] + new_mass - shared
        union[union == 0] = 1.0
        return np.asarray(shared / union)

    return _blockwise(weights[: len(olds)], ones[len(olds) :], jaccard)


@dataclass(frozen=True)
class Scores:
    """The retrieval score of every (old, new) pair and its calibrated confidence; the vectors
    give a pair's cosine when it is reported (no third matrix is kept)."""

    score: np.ndarray
    confidence: np.ndarray
    old_vectors: np.ndarray
    new_vectors: np.ndarray

    def cosine(self, i: int, j: int) -> float:
        return float(self.old_vectors[i] @ self.new_vectors[j])


def lead(score: np.ndarray) -> np.ndarray:
    """Each entry's lead over the best other entry of its row (negative: it trails the best)."""
    import numpy as np

    if score.shape[1] < 2:
        return np.zeros_like(score)
    top2 = np.partition(score, -2, axis=1)[:, -2:]
    best, second = top2.max(axis=1, keepdims=True), top2.min(axis=1, keepdims=True)
    result = score - best
    winners = score >= best
    result[winners] = (score - second)[winners]
    return np.asarray(result)


def _in_group(olds: list[_Unit], news: list[_Unit], alignment: Alignment) -> np.ndarray:
    """Whether each (old, new) pair lies in one aligned chapter group, as a boolean matrix."""
    import numpy as np

    group = {c: k for k, link in enumerate(alignment.links) for c in (*link.old, *link.new)}
    old_group = np.array([group.get(u.quote.chapter, -1) for u in olds])
    new_group = np.array([group.get(u.quote.chapter, -2) for u in news])
    linked = {k for k, link in enumerate(alignment.links) if link.old and link.new}
    old_group = np.where(np.isin(old_group, list(linked)), old_group, -1)
    result: np.ndarray = old_group[:, None] == new_group[None, :]
    return result


def score_pairs(
    olds: list[_Unit],
    news: list[_Unit],
    old_vectors: np.ndarray,
    new_vectors: np.ndarray,
    alignment: Alignment,
    rules: JudgementRules,
    rows: Sequence[int] | None = None,
) -> Scores:
    """Scores of every (old, new) pair, for the old sentences `rows` (None: all).

    The similarities are z-scored against every old sentence (the context a judgement stands
    out from); the leads and the confidence are taken among the `rows` only, the judgements
    that compete for a partner.
    """
    import numpy as np

    # Only the similarities with a weight are computed, one at a time: each is a full
    # (old × new) matrix, z-scored in place.
    parts: list[tuple[float, Callable[[], np.ndarray]]] = [
        (rules.embedding_weight, lambda: old_vectors @ new_vectors.T),
        (
            rules.context_weight,
            lambda: _context(olds, old_vectors) @ _context(news, new_vectors).T,
        ),
        (rules.character_weight, lambda: _character_similarity(olds, news)),
        (rules.term_weight, lambda: _term_similarity(olds, news)),
    ]
    score = np.zeros((len(olds), len(news)), dtype=np.float32)
    for weight, similarity in parts:
        if weight:
            part = _z(np.asarray(similarity(), dtype=np.float32))  # a fresh matrix
            part *= np.float32(weight)
            score += part
            del part
    in_group = _in_group(olds, news, alignment)
    score -= np.float32(rules.cross_chapter_margin) * ~in_group
    del in_group
    typical = _typical_cosine(old_vectors, new_vectors)
    if rows is not None:
        picked = np.asarray(rows, dtype=np.intp)
        score, old_vectors = score[picked], old_vectors[picked]
        olds = [olds[k] for k in rows]
    # Lead over the runner-up, along the row (the old sentence's other candidates) and along
    # the column (the new sentence's other claimants): for the best, its margin over the second;
    # for every other, how far it trails the best (negative).
    a, b, c, e, d = rules.calibration
    logit = lead(score)
    logit *= np.float32(b)
    logit += np.float32(c) * lead(score.T).T
    logit += np.float32(a) * score + np.float32(d)
    cosine = old_vectors @ new_vectors.T
    mean, spread = typical
    logit += np.float32(e / spread) * (cosine - np.float32(mean))
    confidence = 1.0 / (1.0 + np.exp(-logit))
    del logit
    # Two sentences this close are one proposition however few others there are to stand out
    # from: the absolute fallback for an edition or chapter with one or two claims.
    close = cosine >= np.float32(rules.absolute_cosine)
    confidence[close] = np.maximum(confidence[close], cosine[close])
    del cosine, close
    # The same sentence in both editions is the same judgement, however few others there are to
    # stand out from (z-scores need a crowd).
    for i, j in identical(olds, news):
        confidence[i, j] = 1.0
    return Scores(score, confidence, old_vectors, new_vectors)


def _typical_cosine(old_vectors: np.ndarray, new_vectors: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the cosine over every (old, new) pair, without the
    matrix: models differ in scale (e5's unrelated sentences sit near 0.8), so the calibration
    reads a cosine against the editions' own."""
    import numpy as np

    count = old_vectors.shape[0] * new_vectors.shape[0]
    if count == 0:
        return 0.0, 1.0
    o, n = old_vectors.astype(np.float64), new_vectors.astype(np.float64)
    mean = float(o.sum(axis=0) @ n.sum(axis=0)) / count
    # The sum of squared cosines is the Frobenius product of the two Gram matrices (d × d).
    square = float(np.sum((o.T @ o) * (n.T @ n))) / count
    spread = math.sqrt(max(square - mean * mean, 0.0))
    return mean, spread if spread > 1e-6 else 1.0


def identical(olds: Sequence[_Unit], news: Sequence[_Unit]) -> list[tuple[int, int]]:
    """(old, new) index pairs of the same normalised sentence (each text occurs once per
    edition, so the pairs are one-to-one)."""
    same = {u.text: j for j, u in enumerate(news)}
    return [(i, same[o.text]) for i, o in enumerate(olds) if o.text in same]


def _assign(
    confidence: np.ndarray, threshold: float, fixed: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """One-to-one pairs of maximum total confidence among those at or above `threshold`.

    The `fixed` pairs (the same sentence in both editions) are taken first, whatever the
    rest; their rows and columns take no other partner. Solved per connected component of the
    candidate graph, so the cost stays small when the editions grow (most old sentences have a
    handful of candidates above the threshold).
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    pairs: list[tuple[int, int]] = list(fixed)
    eligible = confidence >= threshold
    if pairs:
        done_rows, done_cols = zip(*pairs, strict=True)
        eligible[list(done_rows), :] = False
        eligible[:, list(done_cols)] = False
    rows, cols = np.nonzero(eligible)
    if rows.size == 0:
        return sorted(pairs)
    n_old, n_new = confidence.shape
    graph = csr_matrix(
        (np.ones(rows.size), (rows, cols + n_old)), shape=(n_old + n_new, n_old + n_new)
    )
    _, label = connected_components(graph, directed=False)
    for component in sorted(set(label[rows].tolist())):
        old_ids = sorted({int(r) for r in rows if label[r] == component})
        new_ids = sorted({int(c) for c in cols if label[c + n_old] == component})
        block = np.ix_(old_ids, new_ids)
        weights = np.where(eligible[block], confidence[block], 0.0)
        r, c = linear_sum_assignment(weights, maximize=True)
        pairs.extend(
            (old_ids[i], new_ids[j]) for i, j in zip(r, c, strict=True) if weights[i, j] > 0
        )
    return sorted(pairs)


# --- ranking -----------------------------------------------------------------------------------


def _salience(
    change: JudgementChange,
    old: _Unit | None,
    new: _Unit | None,
    confidence: float | None,
    term_counts: Counter[str],
) -> float:
    terms = (old.terms if old else frozenset()) | (new.terms if new else frozenset())
    # A subject the reports keep returning to (many mentions of its key terms) matters more.
    subject = 1.0 + 0.1 * math.log1p(sum(term_counts[t] for t in terms))
    stances = [u.stance for u in (old, new) if u is not None and u.stance is not None]
    size = max((abs(s.value) for s in stances), default=0.5)
    if old is not None and new is not None and old.stance and new.stance:
        size = 0.5 + abs(new.stance.value - old.stance.value) / 2
    hedged = any(s.kind == "hedge" for s in stances)
    sure = 1.0 if confidence is None else confidence
    return size * subject * sure * (0.3 if hedged else 1.0)


def _tracked(s: Stance | None) -> bool:
    """Asks (…べきである) are the recommendation stage's; every other stance is a judgement."""
    return s is not None and s.kind != "prescription"


# --- the stage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgementResult:
    judgements: tuple[Judgement, ...]
    forecasts: tuple[Forecast, ...]
    # Judgements of chapters that no chapter of the other edition continues: chapter id → quotes.
    unaligned: tuple[tuple[str, tuple[Quote, ...]], ...]


def compare_judgements(
    old: Edition,
    new: Edition,
    alignment: Alignment,
    embedder: Embedder,
    rules: JudgementRules = JudgementRules(),
) -> JudgementResult:
    import numpy as np

    olds_all = _units(old)
    news = _units(new)
    tracked = [k for k, u in enumerate(olds_all) if _tracked(u.stance)]
    olds = [olds_all[k] for k in tracked]
    if not olds_all or not news:
        scores = None
    else:
        vectors = embedder.embed([u.text for u in olds_all + news])
        old_vectors, new_vectors = vectors[: len(olds_all)], vectors[len(olds_all) :]
        # Context comes from every old sentence; only the judgements are compared.
        scores = (
            score_pairs(olds_all, news, old_vectors, new_vectors, alignment, rules, tracked)
            if olds
            else None
        )

    pairs = (
        _assign(
            scores.confidence,
            rules.min_confidence,
            identical(olds, news),
        )
        if scores is not None
        else []
    )
    partner = dict(pairs)
    taken = set(partner.values())
    term_counts: Counter[str] = Counter(t for u in olds + news for t in u.terms)
    continuing_old = {c for link in alignment.links if link.new for c in link.old}
    continuing_new = {c for link in alignment.links if link.old for c in link.new}

    def alternatives(i: int, exclude: int | None) -> tuple[Candidate, ...]:
        assert scores is not None
        order = np.argsort(-scores.score[i], kind="stable")
        picked = [int(j) for j in order if int(j) != exclude][: rules.alternatives]
        return tuple(Candidate(news[j].quote, float(scores.confidence[i, j])) for j in picked)

    rows: list[tuple[float, Judgement]] = []
    forecasts: list[tuple[ForecastOutcome, int, Forecast]] = []
    unaligned: dict[str, list[Quote]] = {}
    for i, o in enumerate(olds):
        assert o.stance is not None
        j = partner.get(i)
        if j is not None and scores is not None:
            n = news[j]
            new_stance = n.stance or statement(n.text)
            change, reason = classify(o.stance, new_stance, o.text, n.text, rules.certainty_step)
            confidence = float(scores.confidence[i, j])
            judgement = Judgement(
                "",
                change,
                o.quote,
                n.quote,
                o.stance,
                new_stance,
                confidence,
                scores.cosine(i, j),
                alternatives(i, j),
                reason,
            )
            rows.append((_salience(change, o, n, confidence, term_counts), judgement))
            if o.stance.kind == "forecast":
                outcome = forecast_outcome(change)
                forecasts.append(
                    (
                        outcome,
                        i,
                        Forecast("", outcome, o.quote, o.stance, n.quote, confidence, None, reason),
                    )
                )
            continue
        best = alternatives(i, None) if scores is not None else ()
        nearest = (
            f"; the best candidate in {new.label} is a {best[0].score:.2f} match" if best else ""
        )
        reason = f"{describe('then:', o.stance)}; nothing in {new.label} speaks to it{nearest}."
        if o.stance.kind == "forecast":
            forecasts.append(
                (
                    "not_mentioned",
                    i,
                    Forecast("", "not_mentioned", o.quote, o.stance, None, None, None, reason),
                )
            )
        if o.quote.chapter not in continuing_old:
            unaligned.setdefault(o.quote.chapter, []).append(o.quote)
            continue
        judgement = Judgement(
            "", "dropped", o.quote, None, o.stance, None, None, None, best, reason
        )
        rows.append((_salience("dropped", o, None, None, term_counts), judgement))
    for j, n in enumerate(news):
        if j in taken or n.stance is None or not _tracked(n.stance):
            continue
        if n.quote.chapter not in continuing_new:
            unaligned.setdefault(n.quote.chapter, []).append(n.quote)
            continue
        reason = f"{describe('now:', n.stance)}; nothing in {old.label} speaks to it."
        judgement = Judgement("", "new", None, n.quote, None, n.stance, None, None, (), reason)
        rows.append((_salience("new", None, n, None, term_counts), judgement))

    ranked = sorted(
        rows, key=lambda r: (_tier(r[1]), JUDGEMENT_ORDER.index(r[1].change), -r[0], _place(r[1]))
    )
    judgements: list[Judgement] = []
    ids: dict[tuple[str, str], str] = {}
    for k, (salience, row) in enumerate(ranked, 1):
        judgements.append(replace(row, id=f"J{k}", salience=round(salience, 6)))
        if row.old is not None:
            ids[(row.old.chapter, row.old.text)] = f"J{k}"
    scorecard = tuple(
        replace(f, id=f"F{k}", judgement=ids.get((f.old.chapter, f.old.text)))
        for k, (_, _, f) in enumerate(
            sorted(forecasts, key=lambda f: (FORECAST_ORDER.index(f[0]), f[1])),
            1,
        )
    )
    return JudgementResult(
        tuple(judgements),
        scorecard,
        tuple((c, tuple(q)) for c, q in sorted(unaligned.items())),
    )


def _tier(judgement: Judgement) -> int:
    """Changes of stance on a likely pairing first, then those on a weak one, then the rest.

    A weak pairing may join two different propositions, so its "change" is only a lead: it
    should not stand above a change the tool is sure of, whatever its class.
    """
    if judgement.change not in STANCE_CHANGES:
        return 2
    return 0 if (judgement.score or 0.0) >= 0.5 else 1


def _place(judgement: Judgement) -> tuple[str, str]:
    quote = judgement.old or judgement.new
    assert quote is not None
    return (quote.chapter, quote.text)


def touches(judgement: Judgement, chapter_ids: Collection[str]) -> bool:
    return any(q is not None and q.chapter in chapter_ids for q in (judgement.old, judgement.new))
