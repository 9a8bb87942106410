"""The reading heuristics of data/reading.toml as typed values, loaded once per process.

Takes nothing; each function returns one section of the table ([text], [pdf], [html]) as a
frozen record whose fields the readers use directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from outlook_diff.datafiles import load_table


def _alternatives(patterns: list[str]) -> re.Pattern[str]:
    """One pattern matching any of the table's alternatives at the start of a line."""
    return re.compile("^(?:" + "|".join(patterns) + ")")


def _numbers(cls: type, section: dict[str, Any]) -> dict[str, Any]:
    """The int and float fields of `cls`, read from the section (a missing one is a KeyError)."""
    convert: dict[Any, type] = {"float": float, float: float, "int": int, int: int}
    return {f.name: convert[f.type](section[f.name]) for f in fields(cls) if f.type in convert}


@dataclass(frozen=True)
class TextRules:
    chaos_warn: float
    min_non_ascii: float
    guess_sample: int
    control_share: float
    utf16_nul_share: float
    utf16_skew: float
    utf16_plausible: float
    unreadable_refuse: float
    unreadable_warn: float


@dataclass(frozen=True)
class PdfRules:
    paragraph_gap: float
    full_slack: float
    full_slack_open: float
    wrap_slack: float
    tab_gap: float
    word_gap: float
    indent: float
    short_of_full: float
    size_change: float
    small_digit: float
    raised: float
    same_row: float
    row_overlap: float
    column_jump: float
    column_min_width: float
    column_left_slack: float
    column_share: float
    column_min_lines: int
    right_edge_merge: float
    left_edge_merge: float
    body_size_tolerance: float
    body_min_chars: int
    pitch_min: float
    pitch_max: float
    default_pitch: float
    running_share: float
    running_edge_lines: int
    min_chars_per_page: int
    min_text_pages: float
    sentence_end: tuple[str, ...]
    block_start: re.Pattern[str]
    line_start: re.Pattern[str]
    soft_bullet: re.Pattern[str]
    list_item: re.Pattern[str]


@dataclass(frozen=True)
class HtmlRules:
    chapter_line: re.Pattern[str]
    heading_marks: tuple[str, ...]
    item_marks: re.Pattern[str]


@cache
def text_rules() -> TextRules:
    t = load_table("reading.toml")["text"]
    return TextRules(**_numbers(TextRules, t))


@cache
def pdf_rules() -> PdfRules:
    t = load_table("reading.toml")["pdf"]
    return PdfRules(
        **_numbers(PdfRules, t),
        sentence_end=tuple(t["sentence_end"]),
        block_start=_alternatives(t["block_start"]),
        line_start=_alternatives(t["line_start"]),
        soft_bullet=_alternatives(t["soft_bullet"]),
        list_item=_alternatives(t["list_item"]),
    )


@cache
def html_rules() -> HtmlRules:
    t = load_table("reading.toml")["html"]
    return HtmlRules(
        chapter_line=re.compile(t["chapter_line"]),
        heading_marks=tuple(t["heading_marks"]),
        item_marks=re.compile(t["item_marks"]),
    )
