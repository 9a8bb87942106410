"""A sentence's stance, and what a change of stance between two sentences is.

Takes sentences; returns a `Stance` (kind, a value from -1 to +1, the cue that decided it, an
English gloss) read from the modality cues, evaluative words, words about what is to come and
sentence endings of data/modality.toml, the evaluative opposites of data/polarity.toml, and the
class of a pair (reversed, realized, unrealized, strengthened, weakened, reaffirmed) with its
reason in English. Used by the judgement stage (judgements.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from outlook_diff.datafiles import load_table
from outlook_diff.normalize import normalize
from outlook_diff.report import ForecastOutcome, JudgementChange, Stance

# --- reading a sentence's stance --------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    stance: float
    kind: str
    gloss: str


@dataclass(frozen=True)
class _Tables:
    cues: tuple[_Cue, ...]
    evaluative: tuple[_Cue, ...]
    negation: re.Pattern[str]
    negation_exempt: re.Pattern[str]
    window: int
    fact_negation: re.Pattern[str]
    report_ending: re.Pattern[str]
    future_before: re.Pattern[str]
    future: str
    future_stance: float
    plain_future: re.Pattern[str]
    plain_future_stance: float
    hedge: re.Pattern[str]
    polite: tuple[tuple[str, str], ...]


@cache
def _tables() -> _Tables:
    table = load_table("modality.toml")

    def cues(key: str, kind: str | None) -> tuple[_Cue, ...]:
        return tuple(
            _Cue(
                re.compile(c["pattern"]),
                float(c["stance"]),
                str(c.get("kind", kind)),
                str(c["why"]),
            )
            for c in table[key]
        )

    return _Tables(
        cues=cues("cue", None),
        evaluative=cues("evaluative", "assessment"),
        negation=re.compile(table["negation_before"]),
        negation_exempt=re.compile(table["negation_exempt"]),
        window=int(table["negation_window"]),
        fact_negation=re.compile(table["fact_negation"]),
        report_ending=re.compile(table["report_ending"]),
        future_before=re.compile(table["future_before"]),
        future=str(table["future"]),
        future_stance=float(table["future_stance"]),
        plain_future=re.compile(table["plain_future"]),
        plain_future_stance=float(table["plain_future_stance"]),
        hedge=re.compile(table["hedge"]),
        polite=tuple((str(a), str(b)) for a, b in table["polite"]),
    )


@cache
def _future(year: int | None) -> re.Pattern[str]:
    pattern = _tables().future
    if year is None:  # an edition without a year: only the words; (?!) never matches
        return re.compile(pattern.replace("{year}", "(?!)").replace("{next}", "(?!)"))
    return re.compile(pattern.replace("{year}", str(year)).replace("{next}", str(year + 1)))


def _strongest(cues: Sequence[_Cue], sentence: str, tables: _Tables) -> Stance | None:
    best: Stance | None = None
    for cue in cues:
        for m in cue.pattern.finditer(sentence):
            value = cue.stance
            before = sentence[max(0, m.start() - tables.window) : m.start()]
            cue_text, gloss = m.group(0), cue.gloss
            negated = tables.negation.search(before) and not tables.negation_exempt.search(before)
            if value > 0 and negated:
                value, cue_text, gloss = -value, before[-3:] + cue_text, f"not: {gloss}"
            kind = cue.kind
            if kind == "assessment" and tables.future_before.search(before):
                kind = "forecast"
            if best is None or abs(value) > abs(best.value):
                best = Stance(kind, value, cue_text, gloss)  # type: ignore[arg-type]
    return best


def _plain(sentence: str, tables: _Tables) -> str:
    """The sentence with its polite endings read as plain ones (重要です → 重要である)."""
    for polite, plain in tables.polite:
        sentence = sentence.replace(polite, plain)
    return sentence


def stance(sentence: str, year: int | None = None) -> Stance | None:
    """What a normalised sentence asserts, or None for a plain statement.

    `year` is the edition's year, for sentences about what is to come (2025年は…).
    """
    tables = _tables()
    sentence = _plain(sentence, tables)
    hedge = tables.hedge.search(sentence)
    if hedge:
        return Stance("hedge", 0.3, hedge.group(0), "a generic hedge (worth watching)")
    found = _strongest(tables.cues, sentence, tables) or _strongest(
        tables.evaluative, sentence, tables
    )
    future = _future(year).search(sentence)
    if found is not None:
        # An assessment of what is to come (今後…が懸念される) is a forecast.
        if found.kind == "assessment" and future:
            return replace(found, kind="forecast")
        return found
    if future:
        return Stance("forecast", tables.future_stance, future.group(0), "about what is to come")
    plain = tables.plain_future.search(sentence)
    if plain:
        return Stance("forecast", tables.plain_future_stance, None, "stated as what will happen")
    return None


def statement(sentence: str) -> Stance:
    """A sentence with no cue: a report that something happened (…した。…している。) or was
    denied (…なかった, 見送られた); otherwise a description (…である。…できない。), which says
    how things stand without telling that a forecast came to pass."""
    tables = _tables()
    sentence = _plain(sentence, tables)
    denial = tables.fact_negation.search(sentence)
    if denial:
        return Stance("statement", -1.0, denial.group(0), "stated as not having happened")
    if tables.report_ending.search(sentence):
        return Stance("statement", 1.0, None, "stated as fact")
    return Stance("statement", 1.0, None, DESCRIBED)


DESCRIBED = "described as it stands"


# --- polarity: evaluative opposites ------------------------------------------------------------


@cache
def _axes() -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    """Each axis: its English name and its words with their pole (+1 / -1), longest first."""
    axes = []
    for axis in load_table("polarity.toml")["axis"]:
        words = [(normalize(w), 1) for w in axis["up"]] + [(normalize(w), -1) for w in axis["down"]]
        axes.append((str(axis["why"]), tuple(sorted(words, key=lambda w: -len(w[0])))))
    return tuple(axes)


def poles(sentence: str) -> dict[str, tuple[int, str]]:
    """The evaluative axes a normalised sentence takes a side on: axis → (pole, word)."""
    found: dict[str, tuple[int, str]] = {}
    for why, words in _axes():
        text = sentence
        signs: dict[int, str] = {}
        for word, pole in words:
            if word in text:
                signs.setdefault(pole, word)
                text = text.replace(word, "\0")  # 不安定 is not read again as 安定
        if len(signs) == 1:  # a sentence on both ends of an axis takes no side on it
            ((pole, word),) = signs.items()
            found[why] = (pole, word)
    return found


def _flip(old: Stance, new: Stance, old_text: str, new_text: str) -> str | None:
    """The axis on which the two sentences take opposite sides, described, or None.

    A side counts with the sentence's own sign: 衝突が起きる可能性は低い (conflict, unlikely)
    and 対話が進むだろう (dialogue, likely) stand on the same side.
    """
    old_poles, new_poles = poles(old_text), poles(new_text)
    old_sign, new_sign = (1 if old.value >= 0 else -1), (1 if new.value >= 0 else -1)
    for why, (pole, word) in old_poles.items():
        other = new_poles.get(why)
        # The same word on both sides is one side of the axis, whatever the cue says.
        if other is not None and other[1] != word and other[0] * new_sign != pole * old_sign:
            return f"{why}: {word} then, {other[1]} now"
    return None


# --- classifying a pair ------------------------------------------------------------------------


def describe(side: str, s: Stance) -> str:
    cue = f"{s.cue}, " if s.cue else ""
    return f"{side} {s.gloss} ({cue}{s.value:+.2f})"


_EXPECTATIONS = ("forecast", "assessment")


def classify(
    old: Stance, new: Stance, old_text: str, new_text: str, step: float
) -> tuple[JudgementChange, str]:
    """The change from `old` to `new` on one proposition, and the reason in English."""
    then, now = describe("then:", old), describe("now:", new)
    flip = _flip(old, new, old_text, new_text)
    if new.kind == "statement" and new.gloss == DESCRIBED:
        # A description tells how things stand, not that the forecast came to pass.
        if flip:
            return "reversed", f"{then}; {now}, the other way ({flip})."
        return "reaffirmed", f"{then}; {now}: the same subject, no change of stance."
    if new.kind == "statement":
        if old.kind == "forecast":
            # A forecast that it will happen is realized by a plain statement and unrealized by
            # a denial; one that it will not (考えにくい, 難しい) the other way round.
            denied = new.value < 0
            if flip is None and denied != (old.value > 0):
                return "realized", f"{then}; {now}: it came to pass."
            why = flip or ("the statement denies it" if denied else "it happened after all")
            return "unrealized", f"{then}; {now}, but {why}: it did not come to pass."
        if flip:
            return "reversed", f"{then}; {now}, the other way ({flip})."
        if 1.0 - abs(old.value) >= step and old.kind != "prescription":
            return "strengthened", f"{then}; {now}: what was hedged is now asserted."
        return "reaffirmed", f"{then}; {now}: the same assessment."
    # Signs are compared only between two cue words: a plain sentence has no sign to flip.
    expectations = old.kind in _EXPECTATIONS and new.kind in _EXPECTATIONS
    if expectations and old.cue and new.cue and old.value * new.value < 0:
        return "reversed", f"{then}; {now}: the expectation turned around."
    if flip:
        return "reversed", f"{then}; {now}; the wording turned around ({flip})."
    delta = abs(new.value) - abs(old.value)
    if expectations:
        if delta >= step:
            return "strengthened", f"{then}; {now}: more certain."
        if delta <= -step:
            return "weakened", f"{then}; {now}: less certain."
    return "reaffirmed", f"{then}; {now}: about as certain."


def outcome(change: JudgementChange) -> ForecastOutcome:
    """What became of a paired forecast: a statement tells (classify says realized or
    unrealized); a judgement about it still leaves it open."""
    if change == "realized" or change == "unrealized":
        return change
    return "open"
