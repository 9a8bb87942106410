"""Golden files: the four renderers on the shipped editions with the real default model.

`make golden` (pytest --regenerate-golden) rewrites them; review the diff before committing.
Similarities are compared to two decimals, so a last-digit wobble of the 4-bit model on
another CPU does not fail the test while any real change of a pairing or a class does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from outlook_diff.render import Screen, ViewSettings, render
from tests.evaluate import report

GOLDEN = Path(__file__).resolve().parent / "golden"
pytestmark = pytest.mark.slow


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _check(name: str, text: str, request: pytest.FixtureRequest) -> None:
    path = GOLDEN / name
    if request.config.getoption("--regenerate-golden"):
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if name.endswith(".json"):
        assert _rounded(json.loads(text)) == _rounded(json.loads(expected))
    else:
        # Numbers printed with more than two decimals are compared at two.
        def two(s: str) -> str:
            return re.sub(r"(\d\.\d\d)\d+", r"\1", s)

        assert two(text) == two(expected)


def test_json_report(request: pytest.FixtureRequest) -> None:
    _check("report.json", render(report(), "json"), request)


def test_markdown_report(request: pytest.FixtureRequest) -> None:
    _check("report.md", render(report(), "markdown", ViewSettings(limit=8)), request)


def test_html_report(request: pytest.FixtureRequest) -> None:
    _check("report.html", render(report(), "html", ViewSettings(limit=15)), request)


def test_table_report(request: pytest.FixtureRequest) -> None:
    text = render(report(), "table", ViewSettings(limit=15), Screen(width=120))
    _check("report-table.txt", text, request)


def test_rendering_twice_gives_the_same_bytes() -> None:
    for fmt in ("json", "markdown", "html", "table"):
        screen = Screen(width=120)
        assert render(report(), fmt, screen=screen) == render(report(), fmt, screen=screen)
