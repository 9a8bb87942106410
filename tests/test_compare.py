"""compare() on the shipped editions with the fake embedder: invariants and the filter."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlook_diff.compare import Options, compare, texts_to_embed
from outlook_diff.editions import load_edition
from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Edition
from outlook_diff.parse import parse
from outlook_diff.report import Report
from tests.conftest import FakeEmbedder


@cache
def edition(label: str) -> Edition:
    return load_edition(label)


@cache
def report(old: str, new: str, chapters: tuple[str, ...] = ()) -> Report:
    return compare(edition(old), edition(new), Options(chapters=chapters), embedder=FakeEmbedder())


def test_an_edition_compared_with_itself_has_no_change() -> None:
    same = report("2026", "2026")
    assert not same.has_changes
    assert {link.status for link in same.alignment} == {"continued"}
    assert all(link.old[0].split("/")[1] == link.new[0].split("/")[1] for link in same.alignment)
    assert {j.change for j in same.judgements} == {"reaffirmed"}
    assert {r.status for r in same.recommendations} == {"kept"}
    assert all(r.redline is None for r in same.recommendations)
    assert same.themes.new == same.themes.dropped == same.themes.rising == same.themes.fading == ()


def test_the_shipped_editions_differ() -> None:
    result = report("2025", "2026")
    assert result.has_changes
    assert len(result.recommendations) >= 44  # every old recommendation has a fate
    old_fates = {(r.old.chapter, r.old.index) for r in result.recommendations if r.old}
    assert old_fates == {(r.chapter, r.index) for r in edition("2025").recommendations}
    new_seen = {(r.new.chapter, r.new.index) for r in result.recommendations if r.new}
    assert new_seen == {(r.chapter, r.index) for r in edition("2026").recommendations}


def test_swapping_old_and_new_mirrors_new_and_dropped() -> None:
    forward = report("2025", "2026")
    backward = report("2026", "2025")
    assert {t.term for t in forward.themes.new} == {t.term for t in backward.themes.dropped}
    assert {t.term for t in forward.themes.dropped} == {t.term for t in backward.themes.new}
    dropped_chapters = {
        c for link in forward.alignment if link.status == "dropped" for c in link.old
    }
    new_chapters = {c for link in backward.alignment if link.status == "new" for c in link.new}
    assert dropped_chapters == new_chapters
    forward_pairs = {(a.old, a.new) for a in forward.alignment if a.old and a.new}
    backward_pairs = {(a.new, a.old) for a in backward.alignment if a.old and a.new}
    assert forward_pairs == backward_pairs


def test_report_json_round_trips() -> None:
    data = report("2025", "2026").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["schema"] == "outlook-diff/report-v2"


def test_every_quote_is_printed_text_of_its_chapter() -> None:
    """Evidence first: a reader can find every quote verbatim where the report says it is."""
    result = report("2025", "2026")
    chapters = {c.id: c for e in (edition("2025"), edition("2026")) for c in e.chapters}
    quotes = [
        q for j in result.judgements for q in (j.old, j.new, *(a.quote for a in j.alternatives))
    ]
    quotes += [q for f in result.forecasts for q in (f.old, f.evidence)]
    assert quotes
    for quote in quotes:
        if quote is None:
            continue
        chapter = chapters[quote.chapter]
        if quote.section is not None and quote.section.startswith("提言 "):
            # A recommendation: "提言 N" is its place in the chapter's list.
            index = int(quote.section.split()[1])
            assert chapter.recommendations[index - 1].text == quote.text
            continue
        assert any(s.text == quote.text for s in chapter.sentences())
        assert quote.section in {s.heading for s in chapter.sections}


def test_texts_are_embedded_once_in_one_batch() -> None:
    embedder = FakeEmbedder()
    compare(edition("2025"), edition("2026"), Options(), embedder=embedder)
    needed = texts_to_embed(edition("2025"), edition("2026"))
    assert len(embedder.calls) == 1
    assert sorted(embedder.calls[0]) == sorted(needed)
    assert len(set(needed)) == len(needed)


def test_chapter_filter_by_topic_number_and_title() -> None:
    korea = report("2025", "2026", ("korea",))
    assert {c for link in korea.alignment for c in (*link.old, *link.new)} >= {
        "2025/ch06",
        "2026/ch04",
    }
    assert all(
        (r.old and r.old.chapter in {"2025/ch06", "2025/ch08"})
        or (r.new and r.new.chapter in {"2026/ch04", "2026/ch06"})
        for r in korea.recommendations
    )
    by_number = report("2025", "2026", ("3",))
    assert [link.new for link in by_number.alignment] == [("2026/ch03",)]
    assert "2025/ch04" in by_number.alignment[0].old
    maga = report("2025", "2026", ("MAGA",))  # Latin words of a title work too
    assert any("2025/ch03" in link.old for link in maga.alignment)
    by_title = report("2025", "2026", ("台湾",))
    assert ("2026/ch03",) in [link.new for link in by_title.alignment]
    assert by_title.filters == ("台湾",)


def test_unknown_chapter_selector_lists_the_valid_keys() -> None:
    with pytest.raises(
        OutlookDiffError, match=r"no chapter matches --chapter 'atlantis': use a topic \(overview"
    ):
        report("2025", "2026", ("atlantis",))
    with pytest.raises(OutlookDiffError, match=r"no chapter matches --chapter '99'"):
        report("2025", "2026", ("99",))


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.text(
        alphabet=st.sampled_from(
            "第1章◆提言-・。「」（）\n 脱稿日年月日本文テスト写真アフロ：2024"
        ),
        max_size=300,
    )
)
def test_parsing_arbitrary_text_raises_only_our_error(text: str) -> None:
    try:
        parsed = parse(text, label="x")
    except OutlookDiffError:
        return
    assert parsed.chapters


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.sampled_from(
            [
                "日本は同盟国との協力を強化すべきである。",
                "停戦交渉は2026年も継続する公算が高い。",
                "中国が軍事侵攻を決断する可能性は低い。",
                "関税は引き上げられた。",
                "欧州は防衛費を増やすだろう。",
            ]
        ),
        min_size=1,
        max_size=5,
    )
)
def test_compare_of_any_small_edition_with_itself_reports_no_change(sentences: list[str]) -> None:
    text = (
        "第1章 テスト\n\n◆ 概観\n\n"
        + "\n\n".join(sentences)
        + "\n\n◆ 提言\n\n- "
        + sentences[0]
        + "\n"
    )
    small = parse(text, label="x")
    result = compare(small, small, Options(), embedder=FakeEmbedder())
    assert not result.has_changes
