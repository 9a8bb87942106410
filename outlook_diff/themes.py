"""Themes stage: key terms per edition, and which appeared, vanished, rose or faded.

Takes two `Edition`s (optionally restricted to some chapters of each) and returns a
`ThemeChanges` (report.py): four tuples of `Theme`, most salient first. Terms come from
terms.py; counting runs on normalised text (normalize.py), so spellings folded there count
once; theme-specific merges, stop-terms and the thresholds live in data/themes.toml.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from outlook_diff.datafiles import load_table
from outlook_diff.model import Chapter, Edition
from outlook_diff.normalize import normalize
from outlook_diff.report import Quote, Theme, ThemeChanges
from outlook_diff.terms import (
    _SENTENCE_END,
    _analyse,
    _is_loanword,
    _is_name,
    _settings,
    _specificity,
    _terms,
    _whole_run_words,
)

# --- counting an edition --------------------------------------------------------------------


@dataclass(frozen=True)
class _Passage:
    """One counted sentence: where it stands, as printed, and normalised."""

    chapter: str
    section: str | None
    text: str
    normalised: str
    paragraph: int  # the paragraph's place in its chapter (each recommendation is one)
    body: bool = True  # False for a chapter title, a ◆ heading or a footnote
    note: bool = False  # a footnote


@dataclass(frozen=True)
class _Counts:
    """Term counts of one edition (restricted to some chapters)."""

    chapters: tuple[str, ...]  # the counted chapters, in document order
    total: Counter[str]
    by_chapter: dict[str, Counter[str]]
    paragraphs: Counter[str]  # in how many paragraphs each term occurs
    uses: dict[str, list[_Passage]]  # the sentences using each term, in reading order
    words: int  # Sudachi words of the counted text: the denominator of rates and keyness

    def spread(self, term: str) -> int:
        return sum(1 for c in self.chapters if self.by_chapter[c][term])

    def rate(self, term: str) -> float:
        """Uses per 10,000 words."""
        return 10_000 * self.total[term] / max(self.words, 1)

    def marked(self, term: str) -> int:
        """In how many titles, ◆ headings and 「」 quotes the authors name the term: what
        they mark as a subject (「抑制主義」, ◆ 統一地方選挙を控える台湾情勢)."""
        return sum(
            1
            for p in self.uses.get(term, [])
            if (not p.body and not p.note)
            or f"「{term}" in p.normalised
            or f"{term}」" in p.normalised
        )

    def dispersed(self, term: str) -> bool:
        """Used in at least two paragraphs or two chapters: a theme, not one passage's word."""
        return self.paragraphs[term] >= _settings().min_paragraphs or self.spread(term) >= 2


def _passages(chapter: Chapter, recommendation_section: str) -> Iterator[_Passage]:
    """The counted text of a chapter: its title, ◆ headings, body sentences, recommendations
    and footnotes.

    Titles and headings count (a chapter titled 米国の抑制主義 is about 抑制主義), each as a
    paragraph of its own.
    """
    yield _Passage(chapter.id, None, chapter.title, normalize(chapter.title), 0, body=False)
    paragraph = 0
    for section in chapter.sections:
        if section.heading:
            paragraph += 1
            yield _Passage(
                chapter.id,
                section.heading,
                section.heading,
                normalize(section.heading),
                paragraph,
                body=False,
            )
        for para in section.paragraphs:
            paragraph += 1
            for sentence in para.sentences:
                yield _Passage(
                    chapter.id, section.heading, sentence, normalize(sentence), paragraph
                )
    for recommendation in chapter.recommendations:
        paragraph += 1
        for text in _SENTENCE_END.split(recommendation.text):
            if text.strip():
                yield _Passage(chapter.id, recommendation_section, text, normalize(text), paragraph)
    # A footnote that explains (パクス・シリカは米国主導の国際イニシアチブで…) names a theme; one
    # that cites a source names its authors and publishers (川崎研一（2025）『…』, 大和総研 URL).
    citation = _settings().citation
    for footnote in chapter.footnotes:
        if citation.search(footnote):
            continue
        paragraph += 1
        yield _Passage(chapter.id, None, footnote, normalize(footnote), paragraph, False, True)


def _selected(edition: Edition, chapter_ids: Collection[str] | None) -> list[Chapter]:
    if chapter_ids is None:
        return list(edition.chapters)
    wanted = set(chapter_ids)
    return [c for c in edition.chapters if c.id in wanted]


@dataclass(frozen=True)
class _Vocabulary:
    """What counts as a term in a comparison, read from both editions whole.

    A part of a longer compound counts only if the authors also use it on its own somewhere:
    トランプ (トランプ氏は…) counts inside トランプ政権, but 核巡航 never stands alone, so
    海洋発射型核巡航ミサイル does not make it a term. A name (one proper noun: ネタニヤフ, ガザ,
    ヘグセス) counts inside any compound, because Sudachi joins names to their titles
    (ネタニヤフ首相, ヘグセス米国防長官). Quoted phrases with particles (「動乱の枢軸」)
    are looked for unquoted as well.
    """

    terms: frozenset[str]
    phrases: frozenset[str]
    # 米政府 → 米国政府: a compound with a short form (themes.toml short_forms) counts as the
    # one with the long form, where the editions also write the long one.
    folds: dict[str, str]


def _vocabulary(passages: Iterable[_Passage]) -> _Vocabulary:
    free: set[str] = set()
    phrases: set[str] = set()
    for passage in passages:
        analysis = _analyse(passage.normalised)
        free.update(analysis.free)
        for start, _, term in analysis.occurrences:
            if passage.normalised[start - 1 : start] == "「" and not _whole_run_words(term):
                phrases.add(term)
            elif _is_name(term) or _is_loanword(term):
                free.add(term)
    folds: dict[str, str] = {}
    for short, long in _settings().short_forms.items():
        for term in free:
            if term.startswith(short) and not term.startswith(long) and len(term) > len(short):
                longer = long + term[len(short) :]
                if longer in free:
                    folds[term] = longer
    return _Vocabulary(frozenset(free), frozenset(phrases), folds)


def _occurrences(passage: _Passage, vocabulary: _Vocabulary) -> list[str]:
    analysis = _analyse(passage.normalised)
    spans = {
        (s, e): vocabulary.folds.get(t, t)
        for s, e, t in analysis.occurrences
        if t in vocabulary.terms
    }
    for phrase in vocabulary.phrases:
        start = passage.normalised.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            if start in analysis.starts and end in analysis.ends:
                spans.setdefault((start, end), phrase)
            start = passage.normalised.find(phrase, start + 1)
    return list(spans.values())


def _count(
    edition: Edition, chapter_ids: Collection[str] | None, vocabulary: _Vocabulary
) -> _Counts:
    section = _settings().recommendation_section
    chapters = _selected(edition, chapter_ids)
    total: Counter[str] = Counter()
    by_chapter: dict[str, Counter[str]] = {}
    paragraphs: Counter[str] = Counter()
    uses: dict[str, list[_Passage]] = {}
    words = 0
    for chapter in chapters:
        counter: Counter[str] = Counter()
        seen: set[tuple[int, str]] = set()
        for passage in _passages(chapter, section):
            words += len(_analyse(passage.normalised).starts)
            for term in _occurrences(passage, vocabulary):
                counter[term] += 1
                if (passage.paragraph, term) not in seen:
                    seen.add((passage.paragraph, term))
                    paragraphs[term] += 1
                found = uses.setdefault(term, [])
                if not found or found[-1] is not passage:
                    found.append(passage)
        by_chapter[chapter.id] = counter
        total.update(counter)
    return _Counts(tuple(c.id for c in chapters), total, by_chapter, paragraphs, uses, words)


# --- deciding and ranking -------------------------------------------------------------------


def keyness(a: int, b: int, words_a: int, words_b: int) -> float:
    """Dunning's log-likelihood G² of a term used `a` times in A and `b` times in B.

    Large when the difference in rates is unlikely under one shared rate, given the editions'
    sizes: 0→6 in the shorter edition can matter more than 39→4, and 1→2 never does.
    """
    total = words_a + words_b
    if total == 0 or a + b == 0:
        return 0.0
    expected_a = words_a * (a + b) / total
    expected_b = words_b * (a + b) / total
    g2 = 0.0
    for observed, expected in ((a, expected_a), (b, expected_b)):
        if observed:
            g2 += observed * math.log(observed / expected)
    return 2.0 * g2


def _keyness(term: str, old: _Counts, new: _Counts) -> float:
    return keyness(old.total[term], new.total[term], old.words, new.words)


def _score(term: str, old: _Counts, new: _Counts) -> float:
    """Keyness weighted by how specific the term is (names and compounds before plain nouns)
    and how widely the edition that uses it more spreads it over paragraphs."""
    settings = _settings()
    side = new if new.total[term] * old.words >= old.total[term] * new.words else old
    spread = 1.0 + settings.dispersion_weight * math.log(max(side.paragraphs[term], 1))
    marked = 1.0 + settings.marked_weight * min(side.marked(term), settings.marked_cap)
    return _keyness(term, old, new) * _specificity(term) * spread * marked


def _absent_matters(term: str, present: _Counts, absent: _Counts) -> bool:
    """Is a term of `present` that `absent` never uses salient enough to call new/dropped?"""
    settings = _settings()
    count = present.total[term]
    # At the rate of `present`, the other edition would have used it this often: below
    # that, its absence may just be the other edition being shorter.
    expected = count * absent.words / max(present.words, 1)
    return (
        count >= settings.min_count
        and present.dispersed(term)
        and expected >= settings.min_expected_absent
    )


def _log2_ratio(term: str, old: _Counts, new: _Counts) -> float:
    alpha = _settings().smoothing
    old_rate = (old.total[term] + alpha) / max(old.words, 1)
    new_rate = (new.total[term] + alpha) / max(new.words, 1)
    return math.log2(new_rate / old_rate)


def _ranked(scores: dict[str, float], counts: _Counts) -> list[str]:
    """Most key first (ties by term), one line per family of nested terms.

    A term nested (on word boundaries) in a kept one whose uses it nearly all shares says the
    same thing twice (高市 / 高市首相, 米中首脳 / 米中首脳会談), so only one stays, at the
    better rank: the longer spelling when it carries at least `nested_share` of the shorter
    one's uses, except that a name with a title or a common word after it is shown as the
    name (高市, バイデン; but 東京グローバル・ダイアログ, a name of its own).
    A shorter term used much more on its own is a theme of its own (台湾 beside 台湾有事).
    """
    share = _settings().nested_share

    def related(a: str, b: str) -> bool:
        # Nested on word boundaries, or anywhere with the very same uses (進歩 / 進歩派).
        same = (a in b or b in a) and counts.total[a] == counts.total[b]
        return _nested(a, b) or _nested(b, a) or same

    def one_line(short: str, long: str) -> bool:
        return counts.total[long] >= share * counts.total[short]

    kept: list[str] = []
    for term in sorted(scores, key=lambda t: (-scores[t], t)):
        other = next((o for o in kept if related(term, o)), None)
        if other is None:
            kept.append(term)
            continue
        short, long = (other, term) if other in term else (term, other)
        if not one_line(short, long):
            kept.append(term)
            continue
        wanted = short if _titled_name(short, long) else long
        kept[kept.index(other)] = wanted
        # 東京グローバル・ダイアログ replacing 東京 also stands for グローバル・ダイアログ.
        kept = [
            k
            for k in kept
            if k == wanted
            or not related(k, wanted)
            or not (one_line(k, wanted) if k in wanted else one_line(wanted, k))
        ]
    return list(dict.fromkeys(kept))


def _nested(short: str, long: str) -> bool:
    """Is `short` a part of `long` that starts and ends on its word boundaries (US is not a
    part of AUKUS)?"""
    return short != long and short in long and short in _terms(long)


def _titled_name(name: str, term: str) -> bool:
    """Is `term` the name `name` with one common word before or after it (高市首相)?"""
    if not _is_name(name):
        return False
    rest = term.replace(name, "", 1)
    return _whole_run_words(term) == 2 and not _is_name(rest)


def _contexts(term: str, counts: _Counts) -> tuple[Quote, ...]:
    """Up to two sentences using the term: the first in its busiest chapter (the one a table
    shows), then one from another chapter (or the next one in the same chapter). Sentences of
    the body and recommendations are preferred to titles and headings."""
    uses = sorted(counts.uses.get(term, []), key=lambda p: not p.body)
    if not uses:
        return ()
    busiest = max(
        counts.chapters, key=lambda c: (counts.by_chapter[c][term], -counts.chapters.index(c))
    )
    first = next(p for p in uses if p.chapter == busiest)
    second = next((p for p in uses if p.chapter != busiest), None) or next(
        (p for p in uses if p is not first), None
    )
    picked = [first] if second is None else [first, second]
    return tuple(Quote(p.chapter, p.section, p.text) for p in picked)


_ACRONYM = r"[A-Z][A-Za-z0-9]{1,9}"
# IEEPA（国際緊急経済権限法）, IPEF（インド太平洋経済枠組み）: an acronym and what it stands for
# (normalised text has ASCII parentheses).
_ACRONYM_FIRST = re.compile(rf"(?<![A-Za-z0-9])({_ACRONYM})\(([^()A-Za-z]{{4,30}})\)")
# 国際緊急経済権限法（IEEPA）: the term that ends at the parenthesis.
_ACRONYM_AFTER = re.compile(rf"\(({_ACRONYM})\)")


def _expansions(passages: Iterable[_Passage]) -> dict[str, str]:
    """What the editions say each acronym stands for, the first time they spell it out.

    国際緊急経済権限法（IEEPA） gives IEEPA → 国際緊急経済権限法: the longest term of at least
    two words or four characters that ends at the parenthesis (so 韓国（APEC）, where the
    parenthesis names the venue, gives nothing).
    """
    found: dict[str, str] = {}
    for passage in passages:
        text = passage.normalised
        for match in _ACRONYM_FIRST.finditer(text):
            found.setdefault(match.group(1), match.group(2))
        for match in _ACRONYM_AFTER.finditer(text):
            end = match.start()
            before = [
                t
                for s, e, t in _analyse(text).occurrences
                if e == end and (_whole_run_words(t) >= 2 or len(t) >= 4)
            ]
            if before and match.group(1) not in found:
                found[match.group(1)] = max(before, key=len)
    return found


@cache
def _spelled_out() -> dict[str, str]:
    """Acronyms that aliases.toml spells out (NATO → 北大西洋条約機構): these win over what the
    text seems to say, which the heuristic can cut short (自由で開かれた|インド太平洋（FOIP）)."""
    found: dict[str, str] = {}
    for entry in load_table("aliases.toml")["alias"]:
        term = normalize(entry["term"])
        if re.fullmatch(_ACRONYM, term):
            for same in entry["same"]:
                if not re.search(r"[A-Za-z]", same):
                    found.setdefault(term, normalize(same))
    return found


def _shown(term: str, *expansions: dict[str, str]) -> str:
    """The term as a list shows it: an acronym with what it stands for, IEEPA（国際緊急経済権限法）
    (from aliases.toml, else the first of `expansions` that has one)."""
    expansion = next((e[term] for e in (_spelled_out(), *expansions) if term in e), None)
    return f"{term}（{expansion}）" if expansion and expansion != term else term


def bare_term(shown: str) -> str:
    """The term of a theme as a list shows it: IEEPA（国際緊急経済権限法） → IEEPA."""
    match = re.fullmatch(rf"({_ACRONYM})（[^（）]+）", shown)
    return match.group(1) if match else shown


def _theme(
    term: str,
    old: _Counts,
    new: _Counts,
    side: Literal["old", "new"],
    expansions: tuple[dict[str, str], dict[str, str]],
) -> Theme:
    # Spelled out as the edition where the theme matters spells it out.
    first, second = expansions if side == "old" else expansions[::-1]
    return Theme(
        id="",
        term=_shown(term, first, second),
        old_count=old.total[term],
        new_count=new.total[term],
        old_rate=old.rate(term),
        new_rate=new.rate(term),
        keyness=_keyness(term, old, new),
        old_chapters=tuple(c for c in old.chapters if old.by_chapter[c][term]),
        new_chapters=tuple(c for c in new.chapters if new.by_chapter[c][term]),
        contexts=_contexts(term, old) + _contexts(term, new),
        side=side,
    )


@dataclass(frozen=True)
class _Selection:
    """The counts of both editions and the candidates of each list with their scores."""

    before: _Counts
    after: _Counts
    appeared: dict[str, float]
    vanished: dict[str, float]
    rising: dict[str, float]
    fading: dict[str, float]
    # acronym → what it stands for, as each edition (old, new) spells it out first
    expansions: tuple[dict[str, str], dict[str, str]]


def _select(
    old: Edition,
    new: Edition,
    old_chapters: Collection[str] | None,
    new_chapters: Collection[str] | None,
) -> _Selection:
    settings = _settings()
    section = settings.recommendation_section
    # The vocabulary comes from every chapter of both editions, so a --chapter filter changes
    # the counts but not what a term is; built from both sides, it is the same when swapped.
    passages = [
        [passage for chapter in edition.chapters for passage in _passages(chapter, section)]
        for edition in (old, new)
    ]
    vocabulary = _vocabulary(passages[0] + passages[1])
    before = _count(old, old_chapters, vocabulary)
    after = _count(new, new_chapters, vocabulary)

    key = settings.min_keyness
    listed = [t for t in (before.total.keys() | after.total.keys()) if t not in settings.not_themes]
    # A term absent from one edition is judged by the Poisson rule of `_absent_matters` (is
    # the absence more than the other edition's shortness?); keyness then ranks them.
    appeared = {
        t: _score(t, before, after)
        for t in listed
        if not before.total[t] and _absent_matters(t, after, before)
    }
    vanished = {
        t: _score(t, before, after)
        for t in listed
        if not after.total[t] and _absent_matters(t, before, after)
    }
    rising: dict[str, float] = {}
    fading: dict[str, float] = {}
    for t in listed:
        if not (before.total[t] and after.total[t]) or _keyness(t, before, after) < key:
            continue
        ratio = _log2_ratio(t, before, after)
        if ratio >= settings.min_log2_ratio and after.total[t] >= settings.min_change_count:
            rising[t] = _score(t, before, after)
        elif -ratio >= settings.min_log2_ratio and before.total[t] >= settings.min_change_count:
            fading[t] = _score(t, before, after)
    expansions = (_expansions(passages[0]), _expansions(passages[1]))
    return _Selection(before, after, appeared, vanished, rising, fading, expansions)


def compare_themes(
    old: Edition,
    new: Edition,
    *,
    old_chapters: Collection[str] | None = None,
    new_chapters: Collection[str] | None = None,
) -> ThemeChanges:
    """New, dropped, rising and fading themes between two editions, most salient first.

    `old_chapters` / `new_chapters` restrict the counting to those chapter ids (the
    `--chapter` filter); None counts every chapter, front matter included. Only body
    sentences and recommendations are counted: no titles, table of contents or footnotes.
    """
    s = _select(old, new, old_chapters, new_chapters)
    before, after = s.before, s.after
    lists = (
        tuple(_theme(t, before, after, "new", s.expansions) for t in _ranked(s.appeared, after)),
        tuple(_theme(t, before, after, "old", s.expansions) for t in _ranked(s.vanished, before)),
        tuple(_theme(t, before, after, "new", s.expansions) for t in _ranked(s.rising, after)),
        tuple(_theme(t, before, after, "old", s.expansions) for t in _ranked(s.fading, before)),
    )
    # Ids T1… run over the four lists in report order (new, rising, dropped, fading).
    order = (lists[0], lists[2], lists[1], lists[3])
    ids = {id(t): f"T{k}" for k, t in enumerate((t for group in order for t in group), 1)}
    new_, dropped, rising_, fading_ = (
        tuple(replace(t, id=ids[id(t)]) for t in group) for group in lists
    )
    return ThemeChanges(new=new_, dropped=dropped, rising=rising_, fading=fading_)
