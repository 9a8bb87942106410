"""Text from the inputs made safe for each kind of output, in one place.

Editions and options are untrusted: an edition can carry terminal escape sequences (ESC ]52
sets the clipboard of many terminals), C1 controls, bidi overrides that reorder what a reader
sees, or markdown and HTML syntax. Every renderer passes each text through the function for
its output kind here, at the boundary:

- `visible`: control and bidi-override characters become visible escapes (`\\x1b`,
  `\\u202e`); newlines and tabs stay. For the terminal, and under the escaping of the others.
- `markdown_inline`: `visible`, then markdown's active characters backslash-escaped.
- `json_text`: the JSON document with those characters as `\\uXXXX` escapes (still valid JSON,
  still the same strings once parsed).
- HTML escaping is jinja2's autoescape (markupsafe) over `visible` text, in html.py.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate
# marks (U+202A-U+202E, U+2066-U+2069), plus the line and paragraph separators that some
# terminals and viewers treat as newlines.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
# ASCII characters markdown may read as syntax inside a line (an ampersand only where it would
# start a character reference such as `&amp;`).
_ACTIVE = re.compile(r"([\\`*_~<>\[\]|#!]|&(?=#?\w+;))")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Control and bidi-override characters as visible escapes; a carriage return as well."""
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))


for_terminal = visible


# What markdown reads as a list item, a setext rule or a numbered item at the start of a line.
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))", re.MULTILINE)


def markdown_inline(text: str) -> str:
    """Inline markdown text: nothing in it is read as syntax, nothing controls a terminal."""
    escaped = _ACTIVE.sub(r"\\\1", visible(text))
    return _BLOCK_START.sub(lambda m: m.group(1) + _escape_start(m.group(2)), escaped)


def _escape_start(mark: str) -> str:
    # "1." is escaped as "1\." (the dot), "-" as "\-".
    return mark + "\\" if mark[0].isdigit() else "\\" + mark


def json_text(document: str) -> str:
    """A JSON document with unsafe characters written as \\u escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
