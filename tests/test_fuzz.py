"""Hostile editions through the whole command: mutated copies of the shipped text, with control
sequences, bidi overrides, markup, broken bytes and lost lines spliced in.

Whatever the input, the command ends with exit 0, 1 or 2 and no traceback, prints no control
character of the input to stdout in any format, and leaves the input files as they were. The
model is the fake embedder (the property is about reading, parsing and rendering, not about
meaning), so the whole test runs in well under a minute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from outlook_diff.cli import app
from tests.conftest import FakeEmbedder

DATA = Path(__file__).resolve().parent.parent / "data"
# The 2026 edition's title page, table of contents, introduction and first chapter.
SOURCE = (DATA / "outlook-2026.txt").read_text(encoding="utf-8")
BASE = SOURCE[: SOURCE.index("\n第2章")]
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

POISON = [
    "\x1b]52;c;ZXZpbA==\x07",  # sets the clipboard of many terminals
    "\x1b[2J\x1b[H",
    "\x9b31m",
    "\u202e反転\u202c",
    "\u2066隔離\u2069",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "| --- |",
    "[-強化-]{+弱化+}",
    "**太字** _斜体_ `code`",
    "\n# 見出し\n",
    "\n第 9 章 偽の章\n",
    "◆",
    "提言",
    "\x00",
    "\r",
]


@st.composite
def hostile_edition(draw: st.DrawFn) -> bytes:
    text = BASE
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        kind = draw(st.sampled_from(["poison", "cut", "noise"]))
        if kind == "poison":
            text = text[:at] + draw(st.sampled_from(POISON)) + text[at:]
        elif kind == "cut":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=400)) :]
        else:
            text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    data = text.encode("utf-8")
    if draw(st.booleans()):  # a broken byte or two
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xe3\x81", b"\xc0\xaf"])) + data[at:]
    return data


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("outlook_diff.compare.embedder_for", lambda options, warn: FakeEmbedder())


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edition=hostile_edition(), fmt=st.sampled_from(["table", "markdown", "html", "json"]))
def test_hostile_edition_cannot_break_the_command_or_the_terminal(
    edition: bytes, fmt: str, tmp_path: Path, fake_model: None
) -> None:
    old = tmp_path / "old.txt"
    new = tmp_path / "new.txt"
    old.write_text(BASE, encoding="utf-8")
    new.write_bytes(edition)
    result = CliRunner().invoke(
        app,
        [str(old), str(new), "--format", fmt, "--no-cache", "-q", "--width", "100", "--limit", "3"],
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("outlook-diff: error: ") and result.stdout == ""
    assert not UNSAFE.search(result.stdout)
    assert old.read_text(encoding="utf-8") == BASE and new.read_bytes() == edition
