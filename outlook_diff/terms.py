"""Key terms of a text, as an analyst would write them down: Sudachi's long units joined into
noun runs, katakana words with ・, Latin words with their digits, 「」-quoted phrases.

Takes text; returns its terms (`terms`), the set of rarity-weighable key terms other stages
compare (`key_terms`: judgements, recommendations) and how specific a term is
(`_specificity`). A *term* is a run of nouns found by Sudachi (sudachidict-core, SplitMode.C) —
with prefixes, nominal suffixes, na-adjective stems before a noun or suffix (重要インフラ,
不可欠性), kanji numerals inside (米国第一主義), katakana words joined by ・ (パクス・シリカ) and
Latin words with their digits (G20) — or a 「」-quoted phrase (「動乱の枢軸」). Every part of a run
that starts and ends on a word boundary counts as an occurrence too, so トランプ counts inside
トランプ政権 while G2 never counts inside G20. Analyses are memoised and can be served from disk
(warm.py). The rules live in data/themes.toml and data/sudachi_words.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from outlook_diff.datafiles import load_table
from outlook_diff.normalize import normalize

# What a word can do inside a term: "noun" starts and ends one; "prefix" only starts one;
# "suffix" only ends one; "stem" (a na-adjective such as 重要, 不可欠) starts one but needs a
# noun or suffix after it; "inner" (a kanji numeral: 米国第一主義, 戦略三文書) neither starts nor
# ends one; "break" ends the run.
WordRole = Literal["noun", "prefix", "suffix", "stem", "inner", "break"]

_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_KATAKANA_TERM = re.compile(r"[\u30a1-\u30fa\u30fc・]+")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_KANJI_NUMERAL = re.compile(r"[一二三四五六七八九十百千万億兆〇]+")
_QUOTED = re.compile(r"「([^「」]+)」")
_CLAUSE_MARK = re.compile(r"[。、，,！？]")
# A recommendation is kept as one text; a theme's context quote is one sentence of it.
_SENTENCE_END = re.compile(r"(?<=[。！？])")


@dataclass(frozen=True)
class _Word:
    """One word of the normalised text: its span, the form it counts as, and its role."""

    start: int
    end: int
    form: str
    role: WordRole
    single: bool  # may be a term on its own
    last: bool  # may end a term of several words (not 以上 in G7以上)
    kind: str  # for specificity: "proper", "katakana" or Sudachi's subclass (一般, サ変可能 …)


@dataclass(frozen=True)
class _Settings:
    recommendation_section: str
    citation: re.Pattern[str]
    max_tokens: int
    min_chars: int
    min_katakana_chars: int
    max_quoted_chars: int
    no_start: frozenset[str]
    bound_suffixes: frozenset[str]
    positional_suffixes: frozenset[str]
    break_suffixes: frozenset[str]
    single_token_pos_excluded: frozenset[str]
    no_end_pos: frozenset[str]
    stop: frozenset[str]
    not_themes: frozenset[str]
    stop_patterns: tuple[re.Pattern[str], ...]
    synonyms: dict[str, str]
    short_forms: dict[str, str]
    min_count: int
    min_keyness: float
    min_paragraphs: int
    min_expected_absent: float
    smoothing: float
    min_log2_ratio: float
    min_change_count: int
    specificity: dict[str, float]
    length_bonus: float
    dispersion_weight: float
    nested_share: float
    marked_weight: float
    marked_cap: int


@cache
def _settings() -> _Settings:
    table = load_table("themes.toml")
    extract: dict[str, Any] = table["extract"]
    select: dict[str, Any] = table["select"]
    return _Settings(
        recommendation_section=str(table["recommendation_section"]),
        citation=re.compile(str(table["citation"])),
        max_tokens=int(extract["max_tokens"]),
        min_chars=int(extract["min_chars"]),
        min_katakana_chars=int(extract["min_katakana_chars"]),
        max_quoted_chars=int(extract["max_quoted_chars"]),
        no_start=frozenset(extract["no_start"]),
        bound_suffixes=frozenset(extract["bound_suffixes"]),
        positional_suffixes=frozenset(extract["positional_suffixes"]),
        break_suffixes=frozenset(extract["break_suffixes"]),
        single_token_pos_excluded=frozenset(extract["single_token_pos_excluded"]),
        no_end_pos=frozenset(extract["no_end_pos"]),
        stop=frozenset(normalize(term) for term in extract["stop"]),
        not_themes=frozenset(normalize(term) for term in select["not_themes"]),
        stop_patterns=tuple(re.compile(p) for p in extract["stop_patterns"]),
        synonyms={
            normalize(same): normalize(entry["term"])
            for entry in load_table("aliases.toml")["alias"]
            for same in entry["same"]
        },
        short_forms={normalize(k): normalize(v) for k, v in extract["short_forms"].items()},
        min_count=int(select["min_count"]),
        min_keyness=float(select["min_keyness"]),
        min_paragraphs=int(select["min_paragraphs"]),
        min_expected_absent=float(select["min_expected_absent"]),
        smoothing=float(select["smoothing"]),
        min_log2_ratio=float(select["min_log2_ratio"]),
        min_change_count=int(select["min_change_count"]),
        specificity={str(k): float(v) for k, v in select["specificity"].items()},
        length_bonus=float(select["length_bonus"]),
        dispersion_weight=float(select["dispersion_weight"]),
        nested_share=float(select["nested_share"]),
        marked_weight=float(select["marked_weight"]),
        marked_cap=int(select["marked_cap"]),
    )


@cache
def _tokenizer() -> Any:
    """The Sudachi tokenizer, built once per process (loading the dictionary takes ~0.3 s),
    with the words of data/sudachi_words.toml."""
    from sudachipy import Dictionary, SplitMode

    dictionary = Dictionary(dict="core")
    # sudachipy 0.7 renamed create() to tokenizer(); 0.6 only has create().
    factory = getattr(dictionary, "tokenizer", None) or dictionary.create
    return factory(mode=SplitMode.C)


@cache
def _whole_words() -> tuple[dict[str, tuple[str, ...]], int]:
    """The words of data/sudachi_words.toml (normalised surface → part of speech), which
    `_raw_words` joins where Sudachi cut them (安全|保障 → 安全保障), and the longest's length."""
    words = load_table("sudachi_words.toml").get("word", [])
    whole = {
        normalize(str(w["surface"])): (*str(w["pos"]).split(","), "*", "*", "*")[:6] for w in words
    }
    return whole, max(map(len, whole), default=0)


def _joined(raw: list[_Raw]) -> list[_Raw]:
    """Consecutive words whose surfaces make one word of the table, as that one word."""
    whole, longest = _whole_words()
    if not whole:
        return raw
    out: list[_Raw] = []
    i = 0
    while i < len(raw):
        surface, j = raw[i][2], i
        match = None
        while len(surface) <= longest:
            if surface in whole and j > i:
                match = j
            if j + 1 >= len(raw) or raw[j + 1][0] != raw[j][1]:
                break
            j += 1
            surface += raw[j][2]
        if match is None:
            out.append(raw[i])
            i += 1
            continue
        text = "".join(w[2] for w in raw[i : match + 1])
        out.append((raw[i][0], raw[match][1], text, whole[text]))
        i = match + 1
    return out


# --- words ----------------------------------------------------------------------------------

_Raw = tuple[int, int, str, tuple[str, ...]]  # start, end, surface, part of speech


def _raw_words(text: str) -> list[_Raw]:
    """SplitMode.C words, nouns cut further at SplitMode.B boundaries (トランプ|政権).

    Katakana B-parts stay together: サプライ|チェーン is one word, not two terms.
    """
    from sudachipy import SplitMode

    raw: list[_Raw] = []
    for morpheme in _tokenizer().tokenize(text):
        surface = morpheme.surface()
        pos = tuple(morpheme.part_of_speech())
        # A katakana word the dictionary does not know is nearly always a foreign name
        # (ペゼシュキアン): Sudachi guesses a common noun.
        if morpheme.is_oov() and _KATAKANA.fullmatch(surface):
            pos = ("名詞", "固有名詞", "一般", "*", "*", "*")
        whole: _Raw = (morpheme.begin(), morpheme.end(), surface, pos)
        # セキュリティ|クリアランス: a loanword written solid is one word, even where the
        # dictionary has only its halves.
        if (
            raw
            and raw[-1][1] == whole[0]
            and pos[0] == raw[-1][3][0] == "名詞"
            and _KATAKANA.fullmatch(surface)
            and _KATAKANA.fullmatch(raw[-1][2])
        ):
            last = raw.pop()
            # The joined word is a name when either half is one.
            joined = pos if pos[1] == "固有名詞" else last[3]
            whole = (last[0], whole[1], last[2] + surface, joined)
        parts = morpheme.split(SplitMode.B) if pos[0] == "名詞" and whole[2] == surface else []
        if len(parts) < 2:
            raw.append(whole)
            continue
        pieces: list[_Raw] = []
        for part in parts:
            piece: _Raw = (part.begin(), part.end(), part.surface(), tuple(part.part_of_speech()))
            if pieces and _KATAKANA.fullmatch(pieces[-1][2]) and _KATAKANA.fullmatch(piece[2]):
                last = pieces.pop()
                piece = (last[0], piece[1], text[last[0] : piece[1]], whole[3])
            pieces.append(piece)
        raw.extend(pieces)
    return _joined(raw)


def _role(pos: tuple[str, ...], surface: str, settings: _Settings) -> WordRole:
    major, minor = pos[0], pos[1]
    if major == "名詞":
        if minor == "数詞":
            return "inner" if _KANJI_NUMERAL.fullmatch(surface) else "break"
        return "break" if minor == "代名詞" else "noun"
    if major == "接頭辞":
        return "prefix"
    if major == "接尾辞":
        # Only suffixes that make nouns (同盟国, 脆弱性, 戦略的) belong in a term; 等 ("etc."),
        # 氏 ("Mr.") and verbal ones (〜かねない) end it.
        nominal = minor in ("名詞的", "形状詞的")
        return "suffix" if nominal and surface not in settings.break_suffixes else "break"
    if major == "形状詞":
        return "stem"
    return "break"


def _kind(pos: tuple[str, ...], surface: str) -> str:
    if pos[1] == "固有名詞":
        return "proper"
    if _KATAKANA.fullmatch(surface):
        return "katakana"
    return pos[2]


def _words(text: str) -> list[_Word]:
    """The words of normalised `text` as terms are built from them."""
    settings = _settings()
    raw = _raw_words(text)
    words: list[_Word] = []
    i = 0
    while i < len(raw):
        start, end, surface, pos = raw[i]
        # Sudachi splits G7 into G|7 and TGD6 into TGD|6: a Latin word is the whole run of
        # adjacent Latin letters and digits, so G2 and G20 are different words.
        if _LATIN_OR_DIGIT.fullmatch(surface):
            j = i
            while (
                j + 1 < len(raw)
                and raw[j + 1][0] == raw[j][1]
                and _LATIN_OR_DIGIT.fullmatch(raw[j + 1][2])
            ):
                j += 1
            end = raw[j][1]
            surface = text[start:end]
            i = j + 1
            if _DIGITS.fullmatch(surface):
                words.append(_Word(start, end, surface, "break", False, False, "number"))
                # 2026年, 3カ国, 60%: a counter after a number belongs to the number.
                if i < len(raw) and raw[i][0] == end and raw[i][3][2] == "助数詞可能":
                    i += 1
            else:
                form = settings.synonyms.get(surface, surface)
                words.append(_Word(start, end, form, "noun", True, True, "proper"))
            continue
        # パクス・シリカ, グローバル・サウス: katakana words joined by ・ are one word.
        if _KATAKANA.fullmatch(surface):
            j = i
            while (
                j + 2 < len(raw)
                and raw[j + 1][2] == "・"
                and raw[j + 1][0] == raw[j][1]
                and raw[j + 2][0] == raw[j + 1][1]
                and _KATAKANA.fullmatch(raw[j + 2][2])
            ):
                j += 2
            if j > i:
                end = raw[j][1]
                surface = text[start:end]
                form = settings.synonyms.get(surface, surface)
                words.append(_Word(start, end, form, "noun", True, True, "proper"))
                i = j + 1
                continue
        role = _role(pos, surface, settings)
        single = role == "noun" and pos[2] not in settings.single_token_pos_excluded
        last = pos[2] not in settings.no_end_pos
        form = settings.synonyms.get(surface, surface)
        words.append(_Word(start, end, form, role, single, last, _kind(pos, surface)))
        i += 1
    return words


def _runs(words: list[_Word]) -> Iterator[list[_Word]]:
    """Maximal runs of adjacent words that can belong to one term."""
    run: list[_Word] = []
    for word in words:
        if word.role == "break" or (run and run[-1].end != word.start):
            if run:
                yield run
            run = [] if word.role == "break" else [word]
        else:
            run.append(word)
    if run:
        yield run


# --- terms ----------------------------------------------------------------------------------


def _is_term(term: str, settings: _Settings) -> bool:
    if len(term) < settings.min_chars or term in settings.stop:
        return False
    if _KATAKANA_TERM.fullmatch(term) and len(term) < settings.min_katakana_chars:
        return False
    return not any(p.fullmatch(term) for p in settings.stop_patterns)


def _run_term(run: Sequence[_Word], i: int, j: int, settings: _Settings) -> str | None:
    """The term spelled by run[i..j], or None when that part of the run is not a term."""
    first, last = run[i], run[j]
    if first.role not in ("noun", "prefix", "stem") or first.form in settings.no_start:
        return None
    # 不|確実性, 反|イスラエル: a prefix makes a new word of the one after it, which then
    # does not count on its own; pointing prefixes (各, 同, 第: no_start) make no new word.
    if i > 0 and run[i - 1].role == "prefix" and run[i - 1].form not in settings.no_start:
        return None
    if last.role not in ("noun", "suffix") or not (last.single if i == j else last.last):
        return None
    # トランプ政権下, 安全保障上: "under", "on" locate a term, they do not make a new one.
    if last.role == "suffix" and last.form in settings.positional_suffixes:
        return None
    # 強靭|化, 不可欠|性: a term does not stop right before a suffix that makes a new word.
    if (
        j + 1 < len(run)
        and run[j + 1].role == "suffix"
        and run[j + 1].form in settings.bound_suffixes
    ):
        return None
    core = [w for w in run[i : j + 1] if w.role not in ("prefix", "suffix")]
    # 政権下, 関係国: one generic word with a prefix or suffix is still that generic word.
    if (
        len(core) == 1
        and core[0].role == "noun"
        and (not core[0].single or core[0].form in settings.stop)
    ):
        return None
    if not core:
        return None
    term = "".join(w.form for w in run[i : j + 1])
    term = settings.synonyms.get(term, term)
    return term if _is_term(term, settings) else None


@dataclass(frozen=True)
class _Analysis:
    """A normalised text's term occurrences as (start, end, term), and its word boundaries."""

    occurrences: tuple[tuple[int, int, str], ...]
    starts: frozenset[int]
    ends: frozenset[int]
    free: frozenset[str]  # terms of occurrences that no longer occurrence contains


# Analyses and specificities from earlier runs (warm.analysis_cache fills these for a run), and
# what this run computed beyond them (recorded only while a cache is in use). The second dict
# also holds `_whole_run_words` counts, under "\0w" + term, and `_is_name`, under "\0n" + term.
_stored_analyses: dict[str, _Analysis] = {}
_stored_specificity: dict[str, float] = {}
_fresh: tuple[dict[str, _Analysis], dict[str, float]] | None = None


def stored_analysis(
    occurrences: Sequence[Sequence[Any]],
    starts: Iterable[int],
    ends: Iterable[int],
    free: Iterable[str],
) -> _Analysis:
    """An analysis read back from the cache (see warm.py)."""
    return _Analysis(
        tuple((int(s), int(e), str(t)) for s, e, t in occurrences),
        frozenset(int(i) for i in starts),
        frozenset(int(i) for i in ends),
        frozenset(str(t) for t in free),
    )


def use_stored(
    analyses: dict[str, _Analysis], specificity: dict[str, float], *, record: bool = True
) -> tuple[dict[str, _Analysis], dict[str, float]]:
    """Answer from these stored results from now on; with `record`, returns the dicts that
    collect what is computed beyond them. `use_stored({}, {}, record=False)` ends it."""
    global _stored_analyses, _stored_specificity, _fresh
    _stored_analyses, _stored_specificity = analyses, specificity
    _fresh = ({}, {}) if record else None
    return _fresh or ({}, {})


@lru_cache(maxsize=16384)
def _analyse(normalised: str) -> _Analysis:
    stored = _stored_analyses.get(normalised)
    if stored is not None:
        return stored
    analysis = _analyse_now(normalised)
    if _fresh is not None:
        _fresh[0][normalised] = analysis
    return analysis


def _analyse_now(normalised: str) -> _Analysis:
    settings = _settings()
    words = _words(normalised)
    found: dict[tuple[int, int], str] = {}
    for run in _runs(words):
        for i in range(len(run)):
            for j in range(i, min(len(run), i + settings.max_tokens)):
                term = _run_term(run, i, j, settings)
                if term is not None:
                    found[(run[i].start, run[j].end)] = term
    starts = frozenset(w.start for w in words)
    ends = frozenset(w.end for w in words)
    # 「動乱の枢軸」: a quoted name that is not a plain noun run (it has particles) is a term
    # too, when it begins and ends on word boundaries and ends in a noun.
    end_roles = {w.end: w.role for w in words}
    for match in _QUOTED.finditer(normalised):
        start, end = match.span(1)
        phrase = match.group(1)
        if (
            (start, end) not in found
            and len(phrase) <= settings.max_quoted_chars
            and not _CLAUSE_MARK.search(phrase)
            and start in starts
            and end_roles.get(end) in ("noun", "suffix")
        ):
            term = settings.synonyms.get(phrase, phrase)
            if _is_term(term, settings):
                found[(start, end)] = term
    occurrences = tuple(sorted((s, e, t) for (s, e), t in found.items()))
    free: set[str] = set()
    reach = -1  # the furthest end of the spans seen so far (starting no later)
    for _, end, term in sorted(occurrences, key=lambda o: (o[0], -o[1])):
        if end > reach:
            free.add(term)
            reach = end
    return _Analysis(occurrences, starts, ends, frozenset(free))


def fold(term: str) -> str:
    """A term in the spelling themes are reported in: normalised, aliases folded."""
    term = normalize(term)
    return _settings().synonyms.get(term, term)


_NUMBER_TERM = re.compile(r"\d+(?:\.\d+)?(?:%|年|月)")


def key_terms(text: str) -> frozenset[str]:
    """The key terms of a sentence, aliases folded (習主席 → 習近平), and its numbers and dates,
    which name the same thing in both years (10%, 2027年): what two sentences share when they
    speak of the same subject (the judgement and recommendation stages compare them)."""
    return frozenset((*terms(text), *_NUMBER_TERM.findall(normalize(text))))


def terms(text: str) -> list[str]:
    """The key terms of `text` in order of appearance, nested ones too (トランプ政権, トランプ).

    Terms are in normalised spelling (特朗普 → トランプ). Cached per text, so calling it for
    thousands of single sentences stays cheap.
    """
    return list(_terms(text))


@lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(term for _, _, term in _analyse(normalize(text)).occurrences)


@lru_cache(maxsize=8192)
def _whole_run_words(term: str) -> int:
    stored = _stored_specificity.get("\0w" + term)
    if stored is not None:
        return int(stored)
    count = _whole_run_words_now(term)
    if _fresh is not None:
        _fresh[1]["\0w" + term] = float(count)
    return count


def _whole_run_words_now(term: str) -> int:
    """How many words `term` has when it is itself a noun run, 0 when it is not one."""
    analysis = _analyse(term)
    if (0, len(term), term) not in analysis.occurrences:
        return 0
    return sum(1 for w in _words(term) if w.role != "break")


@lru_cache(maxsize=8192)
def _specificity(term: str) -> float:
    stored = _stored_specificity.get(term)
    if stored is not None:
        return stored
    weight = _specificity_now(term)
    if _fresh is not None:
        _fresh[1][term] = weight
    return weight


def _specificity_now(term: str) -> float:
    """How specific a term is, read from the term alone (the same in either edition).

    Names and compounds (経済安全保障推進法, IEEPA, パクス・シリカ) weigh more than one
    common word, and a one-word verbal noun (交渉, 開発) least; a longer term wins a tie
    with the shorter one inside it.
    """
    settings = _settings()
    weights = settings.specificity
    count = _whole_run_words(term)
    if count == 0:
        weight = weights["quoted"]
    elif count > 1:
        parts = [w for w in _words(term) if w.role != "break"]
        # 常態化, 経済力, 優位性: one word made into another by a suffix names a process or a
        # quality of anything, not a subject of its own.
        derived = len(parts) == 2 and parts[1].form in settings.bound_suffixes
        # 台湾情勢, 米朝関係, 欧州各国: a word and a generic head (a stop-term) say no more
        # than the word.
        generic = len(parts) == 2 and parts[1].form in settings.stop | settings.not_themes
        if derived:
            weight = weights["derived"]
        elif generic:
            weight = weights["generic_head"]
        else:
            weight = weights["compound"]
    else:
        word = next(w for w in _words(term) if w.role != "break")
        weight = weights.get(word.kind, weights["common"])
    return weight * (1.0 + settings.length_bonus * min(len(term) - 2, 8))


@lru_cache(maxsize=8192)
def _is_name(term: str) -> bool:
    """One proper noun (a name: Sudachi's 固有名詞, a Latin acronym, katakana joined by ・).

    Plain katakana words are not names: ディープ and フェイク are halves of ディープフェイク.
    """
    if _whole_run_words(term) != 1:
        return False
    stored = _stored_specificity.get("\0n" + term)
    if stored is not None:
        return bool(stored)
    name = _is_name_now(term)
    if _fresh is not None:
        _fresh[1]["\0n" + term] = float(name)
    return name


def _is_name_now(term: str) -> bool:
    word = next(w for w in _words(term) if w.role != "break")
    return word.kind == "proper"


def _is_loanword(term: str) -> bool:
    """One katakana word, whole (セキュリティクリアランス in セキュリティクリアランス制度)."""
    return bool(_KATAKANA.fullmatch(term)) and _whole_run_words(term) == 1
