"""The renderers on a hand-made report (tests/sample_report.py): the one view, the table,
markdown, HTML and JSON drawings of it, the --change filter, escaping, and Japanese set right."""

from __future__ import annotations

import html as html_module
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from outlook_diff.errors import OutlookDiffError
from outlook_diff.render import FORMATS, Screen, ViewSettings, render
from outlook_diff.render.filters import filter_report
from outlook_diff.render.markdown import slug
from outlook_diff.render.prose import allowed, break_offsets
from outlook_diff.render.safe import markdown_inline, visible
from outlook_diff.render.spans import cut, cut_around, side_by_side
from outlook_diff.render.view import build_view
from outlook_diff.report import Quote, Report
from tests.sample_report import AMMUNITION, EU_2025, EU_2026, EV_2025, _empty_report, _report

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "docs" / "report-v2.schema.json"
ANSI = re.compile(r"\x1b\[")
CLOSING = tuple("、。，．」』）］】〕・ー！？")


@pytest.fixture(scope="module")
def report() -> Report:
    return _report()


def _render(report: Report, fmt: str, width: int = 120, **view: Any) -> str:
    return render(report, fmt, ViewSettings(**view), Screen(width=width))


@pytest.fixture(scope="module")
def table_text(report: Report) -> str:
    return _render(report, "table")


@pytest.fixture(scope="module")
def markdown_text(report: Report) -> str:
    return _render(report, "markdown")


@pytest.fixture(scope="module")
def html_text(report: Report) -> str:
    return _render(report, "html")


# --- the view --------------------------------------------------------------------------------


def test_view_orders_sections_and_numbers_every_item(report: Report) -> None:
    view = build_view(report)
    assert [s.key for s in view.sections] == [
        "alignment",
        "judgements",
        "forecasts",
        "themes",
        "recommendations",
    ]
    alignment = view.sections[0].tables[0]
    assert alignment.ids == ("A1", "A2", "A3", "A4", "A5", "A6")
    recommendations = [t for t in view.sections[4].tables]
    assert [t.ids for t in recommendations] == [("R1",), ("R2",), ("R3",), ("R4",), ("R5",)]
    # a card for every recommendation that was not kept, none for the kept one
    assert [c.id for t in recommendations for c in t.cards] == ["R1", "R2", "R3", "R4"]


def test_headline_quotes_the_changes_of_stance_first(report: Report) -> None:
    headline = build_view(report).headline
    assert headline.changes.ids == ("J1", "J2", "J3", "J4")  # new/dropped/reaffirmed are not
    labels = [f.label for f in headline.facts]
    assert labels[:2] == ["Chapters", "Judgements"] and "New themes" in labels
    assert headline.verdict.startswith("From 2025 to 2026: chapters ")


def test_change_filter_keeps_only_that_kind_and_the_ids(report: Report) -> None:
    only = filter_report(report, ("reversed",))
    assert [j.change for j in only.judgements] == ["reversed"]
    assert only.judgements[0].id == "J1"
    assert not only.alignment and not only.recommendations and not only.forecasts
    dropped = filter_report(report, ("dropped",))
    assert {a.status for a in dropped.alignment} == {"dropped"}
    assert [r.id for r in dropped.recommendations] == ["R1"]  # the id of the full report
    assert [t.term for t in dropped.themes.dropped] == ["偽情報", "プレバンキング"]
    assert not dropped.themes.new


def test_a_filtered_headline_does_not_say_nothing_changed(report: Report) -> None:
    headline = build_view(filter_report(report, ("reaffirmed",))).headline
    assert headline.verdict.startswith("Only what --change reaffirmed selects: 1 items")
    assert "No changes" not in headline.verdict


@pytest.mark.parametrize("fmt", FORMATS)
def test_change_filter_applies_in_every_format(report: Report, fmt: str) -> None:
    text = _render(report, fmt, changes=("reversed",))
    if fmt == "json":
        document = json.loads(text)
        assert [j["change"] for j in document["judgements"]] == ["reversed"]
        assert document["filters"]["change"] == ["reversed"]
        assert document["recommendations"] == [] and document["themes"]["new"] == []
    else:
        assert "J1" in text and "J2" not in text and "R3" not in text and "T1" not in text


def test_bad_settings_name_the_option(report: Report) -> None:
    with pytest.raises(OutlookDiffError, match="--change 'revised'"):
        render(report, "table", ViewSettings(changes=("revised",)))
    with pytest.raises(OutlookDiffError, match="--only"):
        render(report, "table", ViewSettings(only="everything"))
    with pytest.raises(OutlookDiffError, match="--limit"):
        render(report, "table", ViewSettings(limit=-1))
    with pytest.raises(OutlookDiffError, match=r"unknown --format .pdf.*table, markdown, html"):
        render(report, "pdf")


def test_side_by_side_marks_changed_words_or_the_terms() -> None:
    old, new = side_by_side(EU_2025, EU_2026, (), ())
    assert "".join(s.text for s in old) == EU_2025 and "".join(s.text for s in new) == EU_2026
    inserted = "".join(s.text for s in new if s.style == "inserted")
    assert "防衛協力" in inserted and "政治・経済協力" not in inserted
    assert not any(s.style == "inserted" for s in old)
    # rewritten texts share too little: only the key terms that changed are marked
    old, new = side_by_side(
        "IPEFを推進する。", "抑制主義の下でAPECを活用せよ。", ("IPEF",), ("APEC",)
    )
    assert [s.text for s in old if s.style] == ["IPEF"]
    assert [s.text for s in new if s.style] == ["APEC"]


def test_cut_and_cut_around() -> None:
    assert cut("あいう\nえお", 0) == "あいう えお"
    assert cut("あいうえおかきくけこ", 5) == "あいうえ…"
    text = "前置き" * 30 + "抑制主義が主流となる"
    assert "抑制主義" in cut_around(text, "抑制主義", 30)


# --- Japanese set right ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet="日本欧州協力政治経済、。「」・（）ーッャ ab12", min_size=1, max_size=120
    ),
    width=st.integers(min_value=4, max_value=40),
)
def test_break_offsets_fit_and_respect_kinsoku(text: str, width: int) -> None:
    offsets = break_offsets(text, width)
    lines = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)]
    assert "".join(lines) == text
    for line in lines:
        assert cell_len(line.rstrip(" ")) <= width or len(line.rstrip(" ")) == 1
    starts = [0, *offsets]
    for k, offset in enumerate(offsets):
        # a line starts with a closing mark only when no break before it was allowed
        if not allowed(text, offset):
            assert not any(allowed(text, i) for i in range(starts[k] + 1, offset))


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_no_table_line_starts_with_a_closing_mark(report: Report, width: int) -> None:
    text = _render(report, "table", width=width)
    for line in text.splitlines():
        for cell in re.split(r"[│┃]| {3,}", line):
            assert not cell.strip().startswith(CLOSING), line
        assert cell_len(line) <= width


def test_table_headline_comes_first(report: Report) -> None:
    first = _render(report, "table", width=100).splitlines()[:40]
    assert "outlook-diff: 戦略アウトルック 2025 → 2026" in first[0]
    assert any("J1" in line and "reversed" in line for line in first)
    assert any("Chapters" in line for line in first)


# --- the terminal table ----------------------------------------------------------------------


def test_table_has_every_section_and_no_colour_codes(table_text: str) -> None:
    assert not ANSI.search(table_text)
    for heading in (
        "CHAPTER ALIGNMENT",
        "CHANGED JUDGEMENTS",
        "FORECAST SCORECARD",
        "New themes (absent in 2025)",
        "Dropped themes (absent in 2026)",
        "Recommendations: modified (1)",
    ):
        assert heading in table_text
    assert "1 reaffirmed not listed" in table_text


def test_table_with_colour_styles_the_changes(report: Report) -> None:
    text = render(report, "table", ViewSettings(), Screen(width=120, color=True))
    assert ANSI.search(text)
    assert "{+" not in text  # insertions are styled, not marked


def test_table_limit_and_only(report: Report) -> None:
    text = _render(report, "table", limit=1, only="themes")
    assert "CHANGED JUDGEMENTS" not in text and "THEMES" in text
    assert "T1" in text and "T2" not in text
    assert "showing 1 of 3; --limit 0 shows all" in text


def test_table_treats_brackets_and_markup_as_text() -> None:
    quote = Quote("2026/ch03", "[bold]見出し[/bold]", "[red]これは[-強化-]{+文字+}である。[/red]")
    report = _report()
    report = replace(report, judgements=(replace(report.judgements[0], new=quote),))
    text = _render(report, "table", width=400, only="judgements")
    assert "[red]これは[-強化-]{+文字+}である。[/red]" in text  # as text, not a redline
    assert "◆[bold]見出し[/bold]" in text


def test_empty_report_says_no_changes() -> None:
    text = _render(_empty_report(), "table")
    assert "No changes: 2025 and 2026 report the same" in text
    assert "No judgements: neither edition states an assessment" in text


# --- markdown --------------------------------------------------------------------------------


def test_markdown_has_a_working_table_of_contents(markdown_text: str) -> None:
    assert markdown_text.startswith("# outlook-diff: 戦略アウトルック 2025 → 2026\n")
    headings = [slug(h) for h in re.findall(r"^#{1,4} (.+)$", markdown_text, re.M)]
    contents = markdown_text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    assert links[:2] == ["headline", "editions"] and "changed-judgements" in links
    for anchor in re.findall(r"\]\(#([^)]+)\)", markdown_text):
        assert anchor in headings, anchor


def test_markdown_quotes_each_sentence_once(markdown_text: str) -> None:
    sections = markdown_text.split("\n## Chapter alignment\n", 1)[1]  # after the headline
    assert sections.count(EV_2025) == 1
    assert sections.count(AMMUNITION) == 1  # kept word for word: the new side says so


def test_markdown_sets_recommendations_side_by_side(markdown_text: str) -> None:
    # mostly alike: one redline holds both texts
    card = markdown_text.split("#### R4: modified", 1)[1].split("####", 1)[0]
    assert "> 日本と欧州は" in card and "<ins>、防衛協力</ins>" in card
    assert card.count("日本と欧州はルールに基づく") == 1
    # rewritten: old | new, the changed words marked on each side
    card = markdown_text.split("#### R3: moved", 1)[1].split("####", 1)[0]
    assert "| **2025**, 2025/ch08" in card and "| --- | --- |" in card
    assert "<del>" in card and "<ins>" in card


def test_markdown_is_tidy(markdown_text: str) -> None:
    assert markdown_text.endswith("\n") and not markdown_text.endswith("\n\n")
    assert all(line == line.rstrip() for line in markdown_text.splitlines())
    assert "\n\n\n" not in markdown_text


def test_markdown_tables_keep_their_shape(markdown_text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable(["table"]).render(markdown_text)
    for table in re.findall(r"<table>(.*?)</table>", html, re.DOTALL):
        head, body = table.split("</thead>")
        width = len(re.findall(r"<th[ >]", head))
        assert all(len(re.findall(r"<td[ >]", row)) == width for row in body.split("<tr>")[1:])


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="日本、。「」ab12 *_|[]~\\<>&#;`!\n-+=.)", min_size=1, max_size=40))
def test_markdown_inline_is_read_as_text(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(markdown_inline(text.replace("\n", " ")))
    assert "<" not in re.sub(r"</?p>|<br />", "", rendered).replace("&lt;", "")
    read = html_module.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert " ".join(read.split()) == " ".join(text.split())


# --- HTML ------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in ("src", "srcset", "action", "data"):
            if values.get(name):
                self.sources.append(str(values[name]))
        if tag == "link":
            self.sources.append(str(values.get("href")))


def test_html_is_one_self_contained_page(html_text: str) -> None:
    page = _Page()
    page.feed(html_text)
    assert html_text.startswith("<!DOCTYPE html>")
    assert "script" not in page.tags and not page.sources  # no request to any host, no JS
    assert "http://" not in html_text and "https://" not in html_text
    assert {"headline", "editions", "alignment", "judgements", "recommendations"} <= page.ids
    for link in page.links:
        assert link.startswith("#") and link[1:] in page.ids, link
    assert "@media print" in html_text


def test_html_cards_set_quotes_side_by_side(html_text: str) -> None:
    card = html_text.split('<article class="card" id="j2">', 1)[1].split("</article>", 1)[0]
    assert card.count('<div class="side">') == 2
    assert EV_2025 in card and "2025/ch03" in card


def test_html_escapes_everything_from_the_inputs(report: Report) -> None:
    hostile = '<img src=x onerror="alert(1)">\x1b]52;c;ZXZpbA==\x07 & 「終」'
    quote = Quote("2026/ch03", "<script>alert(1)</script>", hostile)
    report = replace(report, judgements=(replace(report.judgements[0], new=quote),))
    text = _render(report, "html")
    assert "<img" not in text and "<script>" not in text and "\x1b" not in text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;\\x1b]52" in text


def test_html_renders_in_chromium(html_text: str, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make test installs it where apt-get can)")
    page = tmp_path / "report.html"
    page.write_text(html_text, encoding="utf-8")
    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'id="judgements"' in dom and "抑制主義" in dom
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000  # a page was drawn, not a blank


# --- JSON ------------------------------------------------------------------------------------


def test_json_validates_against_the_schema(report: Report) -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for value in (report, _empty_report(), filter_report(report, ("dropped",))):
        document = json.loads(_render(value, "json"))
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_documented_example_validates() -> None:
    import jsonschema

    doc = (SCHEMA_PATH.parent / "report-v2.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)


def test_json_round_trips_keeps_japanese_and_ignores_view_settings(report: Report) -> None:
    text = _render(report, "json")
    assert json.loads(text) == filter_report(report, ()).to_dict()
    assert "抑制主義" in text and text.endswith("}\n")
    assert _render(report, "json", limit=1, only="themes", width=40) == text


# --- output safety ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_control_character_from_an_input_reaches_the_output(report: Report, fmt: str) -> None:
    evil = "前\x1b]52;c;ZXZpbA==\x07後\x1b[2J\x9b31m\u202e反転\u2066"
    quote = Quote("2026/ch03", "見出し\x1b[31m", evil)
    report = replace(
        report,
        judgements=(replace(report.judgements[0], new=quote), *report.judgements[1:]),
        chapter_titles=(*report.chapter_titles, ("2026/ch03", "題\x1b]0;title\x07")),
    )
    text = _render(report, fmt)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    if fmt == "json":
        assert json.loads(text)["judgements"][0]["new"]["text"] == evil  # same string, escaped
    else:
        assert "\\x1b]52" in text or "\\x1b" in html_module.unescape(text)


def test_visible_keeps_newlines_and_tabs() -> None:
    assert visible("a\tb\nc\x1bd\u202e") == "a\tb\nc\\x1bd\\u202e"


def test_markdown_and_html_renderers_do_not_import_rich() -> None:
    code = (
        "import sys; from tests.sample_report import _report; from outlook_diff.render import "
        "render; render(_report(), 'markdown'); render(_report(), 'html'); "
        "print('rich' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_twice_gives_identical_text(report: Report, fmt: str) -> None:
    assert _render(report, fmt) == _render(report, fmt)


def test_lines_do_not_break_inside_a_number_or_a_latin_word() -> None:
    text = "イランの核プログラムは、2025年10月の国連安保理決議2231号に基づく「スナップバ…"
    offsets = break_offsets(text, 31)
    for offset in offsets:
        assert not (text[offset - 1].isdigit() and text[offset].isdigit()), offsets
