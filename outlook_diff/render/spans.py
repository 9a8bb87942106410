"""The text of a view: spans with a style, and the helpers that make them.

A `Span` is plain text with a style name; a `Cell` is a tuple of spans. Quotes are cut here,
redlines and side-by-side highlights are computed here from the two texts (so a literal
`[-…-]` in an edition stays text). Renderers turn styles into their own marks and escape the
text (render/safe.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from outlook_diff.report import confidence_words

NONE = "—"

Style = Literal["", "strong", "dim", "code", "deleted", "inserted", "status", "term"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""
    kind: str = ""  # for "status": the status word (reversed, dropped…), which picks a colour


Cell = tuple[Span, ...]


def one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def cut(text: str, limit: int) -> str:
    """One line of at most `limit` characters: newlines become spaces, the rest becomes "…"."""
    flat = one_line(text)
    if limit > 0 and len(flat) > limit:
        return flat[: max(limit - 1, 1)].rstrip() + "…"
    return flat


def cut_around(text: str, term: str, limit: int) -> str:
    """Like `cut`, but keeps `term` in view: a theme's context is useless without its term."""
    flat = one_line(text)
    at = flat.find(term)
    if limit <= 0 or len(flat) <= limit or at < 0 or at + len(term) <= limit - 1:
        return cut(flat, limit)
    start = max(0, min(at - limit // 3, len(flat) - limit + 2))
    return "…" + cut(flat[start:], limit - 1)


def plain(text: str) -> Cell:
    return (Span(text),)


def status(word: str, shown: str | None = None) -> Cell:
    return (Span(shown if shown is not None else word.replace("_", " "), "status", word),)


def counts_text(counts: dict[str, int]) -> str:
    shown = [f"{name.replace('_', ' ')} {count}" for name, count in counts.items() if count]
    return ", ".join(shown) if shown else "none"


def pairing_words(score: float | None) -> str:
    return NONE if score is None else confidence_words(score)


# Tokens for the side-by-side highlight: runs of one script, so a diff marks words, not
# scattered kana (kanji runs, katakana runs with ・ and ー, hiragana runs, Latin words, numbers).
_TOKEN = re.compile(
    r"[\u4e00-\u9fff\u3400-\u4dbf々〆ヵヶ]+|[\u30a0-\u30ff\uff66-\uff9f・ー]+|[\u3040-\u309f]+"
    r"|[A-Za-z\uff21-\uff3a\uff41-\uff5a]+|[0-9\uff10-\uff19.,．，%％]+|\s+|."
)
# Below this share of shared tokens the two texts are rewritten, not edited: marking every
# token would mark everything, so only the key terms added and removed are marked.
_TOKEN_DIFF_MIN = 0.3
# At or above this character similarity an inline redline is worth reading.
_REDLINE_MIN = 0.6


def redline(old: str, new: str) -> Cell:
    """The inline character redline of two texts, as kept / deleted / inserted spans."""
    from outlook_diff.redline import pieces

    styles: dict[str, Style] = {"kept": "", "deleted": "deleted", "inserted": "inserted"}
    return tuple(Span(text, styles[kind]) for kind, text in pieces(old, new))


def redline_if_alike(old: str, new: str) -> Cell:
    """The inline redline of two texts that are mostly alike; () when they are the same or
    rewritten (a redline of a rewrite is one deletion and one insertion: nothing to read)."""
    from rapidfuzz.distance import Indel

    if old == new or Indel.normalized_similarity(old, new) < _REDLINE_MIN:
        return ()
    return redline(old, new)


def side_by_side(
    old: str, new: str, removed: Sequence[str], added: Sequence[str]
) -> tuple[Cell, Cell]:
    """The two texts with what changed marked: changed tokens when the texts share enough,
    else the key terms one has and the other lacks."""
    from rapidfuzz.distance import Indel

    from outlook_diff.redline import edit_runs

    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if Indel.normalized_similarity(a, b) >= _TOKEN_DIFF_MIN:
        left: list[Span] = []
        right: list[Span] = []
        for edit, a0, a1, b0, b1 in edit_runs(a, b):
            left.append(Span("".join(a[a0:a1]), "deleted" if edit else ""))
            right.append(Span("".join(b[b0:b1]), "inserted" if edit else ""))
        return _merged(left), _merged(right)
    return _marked(old, removed, "deleted"), _marked(new, added, "inserted")


def _marked(text: str, terms: Sequence[str], style: Style) -> Cell:
    found = [t for t in terms if t and t in text]
    if not found:
        return plain(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(found, key=len, reverse=True)))
    out: list[Span] = []
    at = 0
    for match in pattern.finditer(text):
        out.append(Span(text[at : match.start()]))
        out.append(Span(match.group(), style))
        at = match.end()
    out.append(Span(text[at:]))
    return _merged(out)


def _merged(spans: Sequence[Span]) -> Cell:
    out: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if out and out[-1].style == span.style and out[-1].kind == span.kind:
            out[-1] = Span(out[-1].text + span.text, span.style, span.kind)
        else:
            out.append(span)
    return tuple(out)


def cut_spans(cell: Cell, limit: int) -> Cell:
    """Spans cut to `limit` characters in all, newlines flattened, with "…" when cut."""
    out: list[Span] = []
    left = limit if limit > 0 else None
    for span in cell:
        text = re.sub(r"\s*\n\s*", " ", span.text)
        if left is not None:
            if left <= 0:
                break
            if len(text) > left:
                out.append(Span(text[: max(left - 1, 0)], span.style, span.kind))
                out.append(Span("…"))
                left = 0
                continue
            left -= len(text)
        out.append(Span(text, span.style, span.kind))
    return _merged(out)
