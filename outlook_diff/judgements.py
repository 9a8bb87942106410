"""Changed judgements: assessments and forecasts, paired across two editions and classified.

Takes the two editions, their alignment and an embedder; returns `JudgementPair`s ranked by how
much a reader should care.

1. A body sentence is a judgement when it carries a modality cue from data/modality.toml
   (だろう, 見込まれる, 可能性が高い, 考えにくい …). Its stance runs from -1 (surely not) to +1
   (surely so): the sign is its polarity (a negation before the cue flips it), the size its
   certainty. New-edition sentences with no cue (statements of fact) are kept too, as the
   possible outcome of last year's forecasts: realized, or reversed when the fact is denied.
2. Old and new sentences are paired by embedding similarity plus shared key terms; a pair in
   aligned chapters needs less similarity than a pair across chapters (judgements move).
   Pairing is greedy on the best pairs first, each sentence used once, over the top candidates
   of each old sentence only (so it does not grow quadratically with the text).
3. A pair is reversed (polarity flips), strengthened or weakened (certainty moves), reaffirmed,
   or realized (a forecast then, a fact now). Unpaired ones are new or dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from outlook_diff.datafiles import load_table
from outlook_diff.model import Edition, Sentence
from outlook_diff.normalize import normalize
from outlook_diff.report import JudgementChange, JudgementPair, Quote

if TYPE_CHECKING:
    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class JudgementRules:
    """Pairing and classification thresholds (fitted on tests/data/eval/judgements.toml)."""

    same_group_similarity: float = 0.87  # cosine to pair sentences in aligned chapters
    cross_group_similarity: float = 0.91  # cosine to pair sentences across chapters
    realized_similarity: float = 0.90  # cosine to take a stated fact as a forecast's outcome
    # A flip of polarity between two cue words is often two different propositions (Ukraine
    # may not hold out / Russia will not give up): claim a reversal only on a close pairing.
    reversal_similarity: float = 0.90
    min_shared_terms: int = 1  # key terms two paired sentences must share
    min_shared_terms_for_outcome: int = 2  # ... for a realized or reversed pair
    certainty_step: float = 0.15  # stance change that counts as strengthened/weakened
    # Weight of shared key terms (rarity-weighted Jaccard) next to the cosine when ranking
    # candidate pairs: measured on the labelled pairs, 0.2 puts 12 of 22 true partners in the
    # top 3 against 8 of 22 by cosine alone.
    term_weight: float = 0.2
    aligned_bonus: float = 0.01
    candidates_per_sentence: int = 8  # top-k new sentences considered for each old one


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    stance: float
    kind: str


@dataclass(frozen=True)
class Modality:
    stance: float  # -1 … +1
    kind: str  # "forecast" or "assessment"
    cue: str  # the words that decided it, as matched


@cache
def _table() -> tuple[tuple[_Cue, ...], re.Pattern[str], int, re.Pattern[str], re.Pattern[str]]:
    table = load_table("modality.toml")
    cues = tuple(
        _Cue(re.compile(c["pattern"]), float(c["stance"]), str(c["kind"])) for c in table["cue"]
    )
    return (
        cues,
        re.compile(table["negation_before"]),
        int(table["negation_window"]),
        re.compile(table["fact_negation"]),
        re.compile(table["factual_ending"]),
    )


def modality(sentence: str) -> Modality | None:
    """The sentence's strongest modality cue (on normalised text), or None."""
    cues, negation, window, _, _ = _table()
    best: Modality | None = None
    for cue in cues:
        for m in cue.pattern.finditer(sentence):
            stance = cue.stance
            before = sentence[max(0, m.start() - window) : m.start()]
            cue_text = m.group(0)
            if stance > 0 and negation.search(before):
                stance = -stance
                cue_text = before[-3:] + cue_text
            if best is None or abs(stance) > abs(best.stance):
                best = Modality(stance, cue.kind, cue_text)
    return best


def reports_fact(sentence: str) -> bool:
    """A sentence without a cue that reports something as done or under way."""
    return bool(_table()[4].search(sentence))


def denies(sentence: str) -> bool:
    """A statement of fact that says something did not happen (…なかった, 見送られた)."""
    return bool(_table()[3].search(sentence))


@dataclass(frozen=True)
class _Candidate:
    quote: Quote
    text: str  # normalised
    modality: Modality | None
    terms: frozenset[str]


def _judgement_sentences(
    edition: Edition, *, with_facts: bool
) -> Iterator[tuple[Sentence, str, Modality | None]]:
    """Each distinct judgement sentence (and, if asked, statement of fact) with its modality."""
    seen: set[str] = set()
    for chapter in edition.chapters:
        for sentence in chapter.sentences():
            text = normalize(sentence.text)
            if text in seen:
                continue
            mod = modality(text)
            if mod is None and not (with_facts and reports_fact(text)):
                continue
            seen.add(text)
            yield sentence, text, mod


def candidate_texts(edition: Edition, *, with_facts: bool) -> list[str]:
    """The normalised texts this stage embeds (for the one up-front embedding batch)."""
    return [text for _, text, _ in _judgement_sentences(edition, with_facts=with_facts)]


def _candidates(edition: Edition, *, with_facts: bool) -> list[_Candidate]:
    from outlook_diff.themes import terms

    return [
        _Candidate(
            Quote(sentence.chapter, sentence.section, sentence.text),
            text,
            mod,
            frozenset(terms(text)),
        )
        for sentence, text, mod in _judgement_sentences(edition, with_facts=with_facts)
    ]


def _rarity(term_sets: list[frozenset[str]]) -> dict[str, float]:
    """Inverse document frequency of each key term over the candidate sentences."""
    counts: Counter[str] = Counter(t for terms in term_sets for t in terms)
    total = len(term_sets) + 1
    return {t: math.log(total / (1 + n)) + 1e-3 for t, n in counts.items()}


def _term_overlap(a: frozenset[str], b: frozenset[str], rarity: dict[str, float]) -> float:
    union = a | b
    if not union:
        return 0.0
    return sum(rarity.get(t, 0.0) for t in a & b) / sum(rarity.get(t, 0.0) for t in union)


_CHANGE_WEIGHT: dict[str, float] = {
    "reversed": 1.0,
    "realized": 0.9,
    "strengthened": 0.7,
    "weakened": 0.7,
    "new": 0.5,
    "dropped": 0.5,
    "reaffirmed": 0.2,
}


def _classify(old: Modality, new: Modality | None, new_text: str, step: float) -> JudgementChange:
    if new is None:
        # Stated as fact this year: it happened (realized), or the fact denies it (reversed).
        return "reversed" if denies(new_text) else "realized"
    if old.stance * new.stance < 0:
        return "reversed"
    delta = abs(new.stance) - abs(old.stance)
    if delta >= step:
        return "strengthened"
    if delta <= -step:
        return "weakened"
    return "reaffirmed"


def _magnitude(change: str, old: Modality | None, new: Modality | None) -> float:
    if old and new:
        return abs(new.stance - old.stance)
    side = old or new
    return abs(side.stance) if side else 1.0


def _cue_notes(
    old_label: str, new_label: str, old: Modality | None, new: Modality | None, realized: bool
) -> tuple[str, ...]:
    notes: list[str] = []
    if old:
        notes.append(f"{old_label}: {old.cue} ({old.kind}, {old.stance:+.2f})")
    if new:
        notes.append(f"{new_label}: {new.cue} ({new.kind}, {new.stance:+.2f})")
    elif realized:
        notes.append(f"{new_label}: stated as fact (no modality cue)")
    return tuple(notes)


def compare_judgements(
    old: Edition,
    new: Edition,
    alignment: Alignment,
    embedder: Embedder,
    rules: JudgementRules = JudgementRules(),
) -> tuple[JudgementPair, ...]:
    import numpy as np

    olds = _candidates(old, with_facts=False)
    news = _candidates(new, with_facts=True)
    if not olds and not news:
        return ()
    vectors = embedder.embed([c.text for c in olds + news])
    old_vectors, new_vectors = vectors[: len(olds)], vectors[len(olds) :]

    # The best candidate pairs, best first: top-k new sentences for each old one.
    proposals: list[tuple[float, int, int]] = []
    rarity = _rarity([c.terms for c in olds + news])
    if olds and news:
        sims = old_vectors @ new_vectors.T
        k = min(rules.candidates_per_sentence, len(news))
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for i, row in enumerate(top):
            for j in row:
                j = int(j)
                o, n = olds[i], news[j]
                cosine = float(sims[i, j])
                if n.modality is None and (o.modality is None or o.modality.stance <= 0):
                    continue  # only a positive forecast can be realized by a stated fact
                shared = len(o.terms & n.terms)
                # A claimed outcome or reversal needs more common ground than a restatement.
                assert o.modality is not None  # old candidates are all judgements
                polarity_flip = n.modality is not None and n.modality.stance * o.modality.stance < 0
                needed_terms = (
                    rules.min_shared_terms_for_outcome
                    if n.modality is None or polarity_flip
                    else rules.min_shared_terms
                )
                if shared < needed_terms:
                    continue
                aligned = alignment.aligned(o.quote.chapter, n.quote.chapter)
                if n.modality is None:
                    needed = rules.realized_similarity
                elif polarity_flip:
                    needed = rules.reversal_similarity
                elif aligned:
                    needed = rules.same_group_similarity
                else:
                    needed = rules.cross_group_similarity
                if cosine < needed:
                    continue
                # Shared specific terms (weighted by rarity) count alongside the cosine, and
                # within aligned chapters first: a small bonus settles near ties.
                score = (
                    cosine
                    + rules.term_weight * _term_overlap(o.terms, n.terms, rarity)
                    + (rules.aligned_bonus if aligned else 0.0)
                )
                proposals.append((score, i, j))
        proposals.sort(key=lambda p: (-p[0], p[1], p[2]))

    term_counts: Counter[str] = Counter(t for c in olds + news for t in c.terms)
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[JudgementPair] = []
    for _, i, j in proposals:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        o, n = olds[i], news[j]
        assert o.modality is not None
        change = _classify(o.modality, n.modality, n.text, rules.certainty_step)
        cosine = float(old_vectors[i] @ new_vectors[j])
        pairs.append(_pair(change, o, n, cosine, old.label, new.label, term_counts))
    for i, o in enumerate(olds):
        if i not in used_old:
            pairs.append(_pair("dropped", o, None, None, old.label, new.label, term_counts))
    for j, n in enumerate(news):
        if j not in used_new and n.modality is not None:
            pairs.append(_pair("new", None, n, None, old.label, new.label, term_counts))
    pairs.sort(key=lambda p: (-p.salience, *_tiebreak(p)))
    return tuple(pairs)


def _pair(
    change: JudgementChange,
    old: _Candidate | None,
    new: _Candidate | None,
    similarity: float | None,
    old_label: str,
    new_label: str,
    term_counts: Counter[str],
) -> JudgementPair:
    old_mod = old.modality if old else None
    new_mod = new.modality if new else None
    subject_terms = (old.terms if old else frozenset()) | (new.terms if new else frozenset())
    # A subject the reports keep returning to (many mentions of its key terms) matters more.
    prominence = sum(term_counts[t] for t in subject_terms)
    subject = 1.0 + 0.1 * math.log1p(prominence)
    # How sure we are that the two sentences speak of the same thing: a change claimed on a
    # weak pairing should not outrank one claimed on a strong pairing.
    sureness = 1.0 if similarity is None else min(1.0, max(0.2, (similarity - 0.85) / 0.08))
    salience = (
        _CHANGE_WEIGHT[change] * (0.5 + _magnitude(change, old_mod, new_mod)) * subject * sureness
    )
    return JudgementPair(
        change=change,
        old=old.quote if old else None,
        new=new.quote if new else None,
        similarity=similarity,
        cues=_cue_notes(old_label, new_label, old_mod, new_mod, change == "realized"),
        salience=round(salience, 6),
    )


def _tiebreak(pair: JudgementPair) -> tuple[str, str]:
    quote = pair.old or pair.new
    assert quote is not None
    return (quote.chapter, quote.text)


def touches(pair: JudgementPair, chapter_ids: Collection[str]) -> bool:
    return any(q is not None and q.chapter in chapter_ids for q in (pair.old, pair.new))
