"""Themes stage: key terms per edition, and which appeared, vanished, rose or faded.

Takes two `Edition`s (optionally restricted to some chapters of each) and returns a
`ThemeChanges` (report.py): four tuples of `Theme`, most salient first. `terms(text)` exposes
the term extraction for tests and other stages.

A *term* is a run of nouns found by Sudachi (sudachidict-core, SplitMode.C) — with prefixes,
nominal suffixes, na-adjective stems before a noun or suffix (重要インフラ, 不可欠性), kanji
numerals inside (米国第一主義), katakana words joined by ・ (パクス・シリカ) and Latin words with
their digits (G20) — or a 「」-quoted phrase (「動乱の枢軸」). Every part of a run that starts and
ends on a word boundary counts as an occurrence too, so トランプ counts inside トランプ政権 while G2
never counts inside G20 (G20 is one word). SplitMode.B sub-words are boundaries as well, because
SplitMode.C keeps names such as トランプ政権 as one word. Counting runs on normalised text
(normalize.py), so spellings folded there count once; theme-specific merges, stop-terms and the
thresholds live in data/themes.toml.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from outlook_diff.datafiles import load_table
from outlook_diff.model import Chapter, Edition
from outlook_diff.normalize import normalize
from outlook_diff.report import Quote, Theme, ThemeChanges

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
    from sudachipy import Config, Dictionary, SplitMode

    user = _user_dictionary()
    config = Config(user=[str(user)]) if user is not None else None
    dictionary = Dictionary(dict="core", config=config)
    # sudachipy 0.7 renamed create() to tokenizer(); 0.6 only has create().
    factory = getattr(dictionary, "tokenizer", None) or dictionary.create
    return factory(mode=SplitMode.C)


def _user_dictionary() -> Path | None:
    """The compiled user dictionary of data/sudachi_words.toml, built into the cache
    directory on first use (None when the table is empty)."""
    import hashlib
    from importlib.metadata import version

    import sudachidict_core
    import sudachipy

    from outlook_diff.cache import atomic_write, cache_root

    words = load_table("sudachi_words.toml").get("word", [])
    if not words:
        return None
    # A user dictionary word needs the connection ids of its part of speech; sudachipy's
    # unknown-word table lists them for the noun classes a user word can be.
    resources = Path(sudachipy.__file__).parent / "resources"
    ids: dict[str, str] = {}
    for line in (resources / "unk.def").read_text(encoding="utf-8").splitlines():
        fields = line.split(",")
        if len(fields) >= 7:
            ids.setdefault(",".join(fields[4:7]), fields[1])
    rows = []
    for word in words:
        surface = normalize(str(word["surface"]))
        pos = str(word["pos"])
        ids_of = ids[pos]  # a KeyError names a part of speech the table cannot give ids for
        rows.append(
            f"{surface},{ids_of},{ids_of},3000,{surface},{pos},*,*,*,"
            f"{word['reading']},{surface},*,A,*,*,*"
        )
    lexicon = "\n".join(rows) + "\n"
    stamp = f"{lexicon}|sudachipy={version('sudachipy')}|core={version('sudachidict-core')}"
    digest = hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:16]
    import tempfile

    directory = cache_root() / "sudachi"
    target = directory / f"user-{digest}.dic"
    if target.exists():
        return target
    system = Path(sudachidict_core.__file__).parent / "resources" / "system.dic"
    with tempfile.TemporaryDirectory(prefix="outlook-diff-") as work:
        source = Path(work) / "words.csv"
        source.write_text(lexicon, encoding="utf-8")
        built = Path(work) / "user.dic"
        sudachipy.sudachipy.build_user_dic(
            system=str(system), lex=[str(source)], output=str(built), description="outlook-diff"
        )
        try:
            directory.mkdir(parents=True, exist_ok=True)
            atomic_write(target, built.read_bytes())
        except OSError:
            # A read-only cache: keep this process's copy where the tokenizer can read it.
            kept = Path(tempfile.mkdtemp(prefix="outlook-diff-")) / target.name
            kept.write_bytes(built.read_bytes())
            return kept
    return target


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
    return raw


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
