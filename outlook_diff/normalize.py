"""Normalisation of text for comparison (never for quoting).

`normalize(text)` applies NFKC, removes whitespace between Japanese characters, folds the
characters listed in data/normalization.toml (dash and tilde forms, variant kanji) and repairs
the known extraction slips listed there.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from outlook_diff.datafiles import load_table

# A "Japanese character": kana, CJK ideographs, the prolonged sound mark, Japanese punctuation.
_JA = r"\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"
_SPACE_BETWEEN_JA = re.compile(rf"(?<=[{_JA}])[ \t\u3000]+(?=[{_JA}])")
_SPACE_RUN = re.compile(r"[ \t\u3000]+")
_SPACE_NOT_BETWEEN_WORDS = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")


@cache
def _tables() -> tuple[int, dict[int, str], tuple[tuple[str, str], ...]]:
    table = load_table("normalization.toml")
    folds = {ord(e["from"]): e["to"] for e in table.get("fold", [])}
    slips = tuple((e["from"], e["to"]) for e in table.get("slip", []))
    return int(table["version"]), folds, slips


def version() -> int:
    """The normalisation table's version (part of every embedding cache key)."""
    return _tables()[0]


def remove_japanese_spaces(text: str) -> str:
    """`第 1 章` stays readable, `連邦政府3部門 全てで` loses its stray space."""
    return _SPACE_BETWEEN_JA.sub("", text)


def normalize(text: str) -> str:
    _, folds, slips = _tables()
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(folds)
    for wrong, right in slips:
        text = text.replace(wrong, right)
    text = _SPACE_RUN.sub(" ", text)
    # PDF extraction scatters spaces through Japanese (`2024 年 11 月`, `： 不確実性`); a space
    # carries meaning only between two Latin words or numbers (`Trump 2.0`, `whole of society`).
    text = _SPACE_NOT_BETWEEN_WORDS.sub("", text)
    return text.strip()
