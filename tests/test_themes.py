"""Themes: term extraction on raw strings, and new/dropped/rising/fading on the shipped editions.

Facts about the editions below were checked by reading data/outlook-2025.txt and
data/outlook-2026.txt (body sentences and recommendations only: headings, the table of
contents and footnotes do not count).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlook_diff.datafiles import data_path
from outlook_diff.model import Edition
from outlook_diff.parse import parse
from outlook_diff.report import Theme, ThemeChanges
from outlook_diff.terms import terms
from outlook_diff.themes import bare_term, compare_themes

# --- extraction on raw strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    ["経済安全保障推進法", "存立危機事態", "パクス・シリカ", "グローバル・サウス", "米国第一主義"],
)
def test_compounds_stay_whole(term: str) -> None:
    assert term in terms(f"日本政府は{term}をめぐって議論した。")


def test_compound_also_counts_the_words_inside_it_on_word_boundaries() -> None:
    # Every part that starts and ends on a word boundary (経済|安全保障|推進法), in order of
    # start; no half-words such as 障推. (Comparisons keep only the parts that the editions
    # also use on their own, so 安全保障推進法 never becomes a theme.)
    assert terms("経済安全保障推進法") == [
        "経済",
        "経済安全保障",
        "経済安全保障推進法",
        "安全保障",
        "安全保障推進法",
        "推進法",
    ]


def test_words_sudachi_would_cut_are_joined_back() -> None:
    # data/sudachi_words.toml: 安全保障 is one word, so China's 国家安全 (2025 ch5) is not
    # counted inside 国家安全保障戦略; 鄭麗文 is one name, so 鄭主席 folds into her.
    assert "国家安全" not in terms("国家安全保障戦略を改定する。")
    assert "国家安全" in terms("国家安全偏重は継続する。")
    found = terms("鄭麗文を選出した。鄭主席の親中路線")
    assert found.count("鄭麗文") == 2
    assert "鄭" not in found and "麗文" not in found


def test_loanwords_and_unknown_katakana_names() -> None:
    # セキュリティ|クリアランス (two dictionary words) is one loanword, and it counts inside
    # セキュリティクリアランス制度; a katakana word the dictionary does not know is a name.
    assert terms("セキュリティクリアランス制度の運用") == [
        "セキュリティクリアランス",
        "セキュリティクリアランス制度",
        "制度",
        "運用",
    ]
    from outlook_diff.terms import _is_name

    assert _is_name("ペゼシュキアン")


def test_g2_is_not_counted_inside_g20() -> None:
    assert terms("G20") == ["G20"]
    assert "G2" not in terms("G20の首脳会議。")
    found = terms("米中G2とG20の首脳")
    assert found.count("G2") == 1
    assert found.count("G20") == 1


def test_latin_acronyms_are_terms() -> None:
    found = terms("IEEPA、NSS、CPTPPとG7")
    assert found == ["IEEPA", "NSS", "CPTPP", "G7"]


def test_variant_spelling_counts_as_one_name() -> None:
    # 特朗普 is folded to トランプ by the normalisation table.
    assert terms("特朗普政権は関税を課した。")[:2] == ["トランプ", "トランプ政権"]
    # 露 (2025) and ロ (2026) both abbreviate Russia: themes.toml merges them.
    assert "ロ朝" in terms("露朝の軍事協力が進んだ。")
    assert "グローバル・サウス" in terms("グローバルサウスの国々")


def test_quoted_phrase_with_particles_is_a_term() -> None:
    found = terms("北朝鮮は「動乱の枢軸」の一角を占める。")
    assert "動乱の枢軸" in found
    # A quoted sentence is not a name.
    assert not any("。" in t for t in terms("彼は「我々は勝つ。必ず勝つ」と述べた。"))


def test_stop_terms_dates_and_numbers_are_not_terms() -> None:
    assert terms("2026年12月31日") == []
    found = terms("日本の関係には可能性が必要だ。")
    assert "日本" not in found
    assert "関係" not in found
    assert "可能性" not in found
    assert "必要" not in found


def test_word_forming_prefix_and_suffix_rules() -> None:
    # 不確実性 is not 確実性; 強靭化 does not leave 強靭 behind as a term of its own.
    assert "確実性" not in terms("不確実性が高まる。")
    assert "サプライチェーン強靭" not in terms("サプライチェーン強靭化を進める。")
    assert "サプライチェーン強靭化" in terms("サプライチェーン強靭化を進める。")
    # A pointing prefix leaves the word after it counted: 各G7議長国 counts G7.
    assert "G7" in terms("各 G7 議長国")
    # "under" and "above" place a term without making a new one.
    found = terms("トランプ政権下ではG7以上の枠組みはない。")
    assert "トランプ政権" in found
    assert "トランプ政権下" not in found
    assert "政権下" not in found
    assert "G7以上" not in found


def test_terms_returns_a_fresh_list_from_the_cache() -> None:
    first = terms("米中関係の安定")
    first.append("tampered")
    assert terms("米中関係の安定") == ["米中", "米中関係", "安定"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(max_size=120))
def test_terms_never_crashes_on_arbitrary_text(text: str) -> None:
    found = terms(text)
    assert all(isinstance(t, str) and t for t in found)


def test_every_list_entry_in_the_data_file_has_a_comment() -> None:
    lines = data_path("themes.toml").read_text(encoding="utf-8").splitlines()
    entries = [ln for ln in lines if re.match(r"\s*[\"'].*[\"']\s*(=|,)", ln)]
    assert len(entries) > 100
    assert [ln for ln in entries if "#" not in ln] == []


# --- the shipped editions ---------------------------------------------------------------------


def _edition(year: str) -> Edition:
    text = data_path(f"outlook-{year}.txt").read_text(encoding="utf-8")
    return parse(text, label=year, source=f"outlook-{year}.txt")


@pytest.fixture(scope="module")
def editions() -> tuple[Edition, Edition]:
    return _edition("2025"), _edition("2026")


@pytest.fixture(scope="module")
def changes(editions: tuple[Edition, Edition]) -> ThemeChanges:
    return compare_themes(*editions)


def _find(themes: tuple[Theme, ...], term: str) -> Theme:
    return next(t for t in themes if bare_term(t.term) == term)


def _terms_of(themes: tuple[Theme, ...]) -> list[str]:
    """The terms of a list, without the spelled-out acronyms (IEEPA, not IEEPA（…）)."""
    return [bare_term(t.term) for t in themes]


def test_g2_is_new_in_2026_and_g20_does_not_feed_it(changes: ThemeChanges) -> None:
    # 2025 writes G20 three times and never G2; 2026 writes G2 four times in chapter 1
    # (米中G2) and once in chapter 3 (「G2」), and G20 once in chapter 3.
    g2 = _find(changes.new, "G2")
    assert (g2.old_count, g2.new_count) == (0, 5)
    assert g2.chapters == ("2026/ch01", "2026/ch03")
    assert g2.context is not None
    assert g2.context.chapter == "2026/ch01"
    assert g2.context.section == "優先主義の後退と抑制主義の台頭"
    assert g2.context.text.startswith("一方、特朗普大統領が米中G2に言及する中")
    assert "G20" not in _terms_of(changes.new + changes.dropped + changes.rising)


def test_other_terms_new_in_2026(changes: ThemeChanges) -> None:
    ieepa = _find(changes.new, "IEEPA")
    assert (ieepa.old_count, ieepa.new_count, ieepa.chapters) == (0, 3, ("2026/ch02",))
    crisis = _find(changes.new, "存立危機事態")
    assert (crisis.old_count, crisis.new_count) == (0, 2)
    assert crisis.chapters == ("2026/ch01", "2026/ch03")
    # Its first use is a recommendation of chapter 1: quoted under the 提言 label.
    assert crisis.context is not None
    assert crisis.context.section == "提言"
    assert crisis.context.text.startswith("列島線防衛：武力攻撃事態および存立危機事態を想定し")
    apec = _find(changes.new, "APEC")
    assert (apec.new_count, apec.chapters) == (6, ("2026/ch02", "2026/ch03", "2026/ch04"))


def test_biden_is_dropped(changes: ThemeChanges) -> None:
    biden = _find(changes.dropped, "バイデン")
    assert (biden.old_count, biden.new_count) == (12, 0)
    assert biden.chapters == (
        "2025/front-2",
        "2025/ch02",
        "2025/ch03",
        "2025/ch04",
        "2025/ch06",
        "2025/ch09",
        "2025/ch11",
        "2025/ch13",
    )
    # Chapter 11 uses it most (3 times): the quote is its first use there.
    assert biden.context is not None
    assert biden.context.chapter == "2025/ch11"
    assert biden.context.text.startswith("バイデン政権が実施した中国に対する EV への")


def _count_in(edition: Edition, term: str) -> dict[str, int]:
    """How often `term` is among the terms of each chapter's sentences and recommendations."""
    counts: dict[str, int] = {}
    for chapter in edition.chapters:
        texts = [s.text for s in chapter.sentences()] + [r.text for r in chapter.recommendations]
        n = sum(terms(text).count(term) for text in texts)
        if n:
            counts[chapter.id] = n
    return counts


def test_trump_counts_the_chinese_transliteration(editions: tuple[Edition, Edition]) -> None:
    # 2026 prints トランプ 22 times and 特朗普 12 times (all 12 in chapter 1) in body text and
    # recommendations; 2025 prints トランプ 95 times, once inside the name トランプ・ヴァンス.
    old, new = editions
    in_2026 = _count_in(new, "トランプ")
    assert sum(in_2026.values()) == 34
    assert in_2026["2026/ch01"] == 15
    assert sum(_count_in(old, "トランプ").values()) == 94
    assert _count_in(new, "特朗普") == {}


def test_rising_and_fading(changes: ThemeChanges) -> None:
    summit = _find(changes.rising, "首脳会談")
    assert (summit.old_count, summit.new_count) == (1, 12)
    disinformation = _find(changes.fading, "偽情報")
    # 2025 chapter 13 is about disinformation (15 uses in its body and recommendations, 4 in
    # its title and ◆ headings); 2026 mentions it once (chapter 3).
    assert (disinformation.old_count, disinformation.new_count) == (19, 1)
    assert disinformation.chapters == ("2025/ch13",)
    assert disinformation.new_chapters == ("2026/ch03",)
    # Rates are per 10,000 words, so the editions' sizes compare: 19 in the longer 2025.
    assert disinformation.old_rate > 5 * disinformation.new_rate
    assert disinformation.keyness > 3.84
    g7 = _find(changes.fading, "G7")
    assert (g7.old_count, g7.new_count) == (16, 1)  # 15 in sentences, 1 in a ◆ heading
    # The context is a sentence, not the heading "G7 の活用と改革" that also names it.
    assert g7.context is not None
    assert (g7.context.chapter, g7.context.section) == ("2025/ch01", "G7 の活用と改革")
    assert g7.context.text != "G7 の活用と改革"
    # Rising and fading themes carry a sentence from each edition.
    assert {q.chapter.split("/")[0] for q in g7.contexts} == {"2025", "2026"}


def test_lists_are_ranked_and_hold_no_term_inside_another(changes: ThemeChanges) -> None:
    for themes in (changes.new, changes.dropped, changes.rising, changes.fading):
        names = _terms_of(themes)
        assert len(names) == len(set(names))
        count = {bare_term(t.term): t.new_count if t.side == "new" else t.old_count for t in themes}
        for a in names:
            # A part of another term (on its word boundaries) stays beside it only when it is
            # used much more on its own: 台湾 beside 台湾有事, but not 高市 beside 高市首相.
            assert not [
                b for b in names if a != b and a in terms(b) and count[b] >= 0.7 * count[a]
            ], a
        scores = [t.keyness for t in themes]
        assert all(k >= 0 for k in scores)
    # Names and acronyms lead: ranked by keyness times specificity.
    # The names, acronyms and coined concepts of 2026 (抑制主義 is chapter 1's title word).
    assert {"APEC", "G2", "高市", "IEEPA", "抑制主義", "戦略的自律"} <= set(
        _terms_of(changes.new)[:8]
    )
    assert _terms_of(changes.dropped)[:3] == ["チャレンジ・シェアリング", "バイデン", "無人機"]
    ids = [
        t.id
        for group in (changes.new, changes.rising, changes.dropped, changes.fading)
        for t in group
    ]
    assert ids == [f"T{k}" for k in range(1, len(ids) + 1)]
    assert _terms_of(changes.fading)[:2] == ["イラン", "イスラエル"]
    for theme in changes.new:
        assert theme.old_count == 0 and theme.new_count >= 2
        assert all(c.startswith("2026/") for c in theme.chapters)
    for theme in changes.dropped:
        assert theme.new_count == 0 and theme.old_count >= 2
        assert all(c.startswith("2025/") for c in theme.chapters)


def test_generic_words_stay_key_terms_but_are_never_listed(changes: ThemeChanges) -> None:
    # themes.toml [select] not_themes: 攻撃 (18 → 4 uses) still ties two sentences together
    # for the judgement stage, but no reader writes it down as a theme.
    from outlook_diff.datafiles import load_table

    assert "攻撃" in terms("ミサイル攻撃が続く。")
    not_themes = set(load_table("themes.toml")["select"]["not_themes"])
    assert "攻撃" in not_themes
    listed = {
        t
        for group in (changes.new, changes.dropped, changes.rising, changes.fading)
        for t in _terms_of(group)
    }
    assert not not_themes & listed


def test_short_forms_fold_only_where_the_long_form_is_written(changes: ThemeChanges) -> None:
    # 米政府 (2025: 2, 2026: 6) counts as 米国政府 (1 and 2), which both editions also write;
    # 米中 and 米軍 have no 米国 form in either edition and stay.
    listed = {
        t
        for group in (changes.new, changes.dropped, changes.rising, changes.fading)
        for t in _terms_of(group)
    }
    assert "米政府" not in listed
    assert {"米中", "米軍"} <= listed


def test_acronyms_are_shown_with_what_the_text_says_they_stand_for(
    changes: ThemeChanges,
) -> None:
    # 2026 ch2: "国際緊急経済権限法（IEEPA）が根拠"; 2025 ch2: "IPEF（インド太平洋経済枠組み）".
    assert _find(changes.new, "IEEPA").term == "IEEPA（国際緊急経済権限法）"
    assert _find(changes.dropped, "IPEF").term == "IPEF（インド太平洋経済枠組み）"
    # aliases.toml wins over the text, where the term before the parenthesis is cut short
    # (自由で開かれた|インド太平洋（FOIP）); its 2025 long form 「自由で開かれたインド太平洋」 folds in.
    foip = _find(changes.rising, "FOIP")
    assert foip.term == "FOIP（自由で開かれたインド太平洋）"
    assert (foip.old_count, foip.new_count) == (2, 4)
    # 韓国（APEC） names the venue, not what APEC stands for.
    assert _find(changes.new, "APEC").term == "APEC"
    assert bare_term("IEEPA（国際緊急経済権限法）") == "IEEPA"
    assert bare_term("戦略的自律") == "戦略的自律"


def test_explaining_footnotes_count_and_citations_do_not(changes: ThemeChanges) -> None:
    # パクス・シリカ: once in 2026 ch7's body, once in its footnote 1, which explains it.
    pax = _find(changes.new, "パクス・シリカ")
    assert (pax.old_count, pax.new_count, pax.chapters) == (0, 2, ("2026/ch07",))
    # 2026 ch2's footnotes cite 川崎研一（2025）『…』 and 大和総研 with a web address.
    listed = {t for group in (changes.new, changes.rising) for t in _terms_of(group)}
    assert not {"川崎", "大和", "川崎研一", "大和総研"} & listed


def test_nested_terms_make_one_line(changes: ThemeChanges) -> None:
    new = _terms_of(changes.new)
    # 高市 (4) and 高市首相 (3): the name; 米中首脳 (4) inside 米中首脳会談 (3): the longer.
    assert "高市" in new and "高市首相" not in new
    assert "米中首脳会談" in new and "米中首脳" not in new
    # G2 (5) / 米中G2 (3) and 戦略的自律 (5) / 戦略的自律性 (3): the shorter is used on its own
    # often enough (under nested_share), so both stay.
    assert {"G2", "米中G2", "戦略的自律", "戦略的自律性"} <= set(new)
    # Nesting is on word boundaries: US is no part of AUKUS.
    from outlook_diff.themes import _nested

    assert not _nested("US", "AUKUS")
    assert _nested("高市", "高市首相")
    assert "AUKUS" in _terms_of(changes.dropped)


def test_context_quotes_are_printed_text_containing_the_term(
    changes: ThemeChanges, editions: tuple[Edition, Edition]
) -> None:
    from outlook_diff.datafiles import load_table
    from outlook_diff.terms import fold, terms

    short_forms = load_table("themes.toml")["extract"]["short_forms"]

    printed: dict[str, set[str]] = {}
    for edition in editions:
        for c in edition.chapters:
            texts = printed.setdefault(c.id, set())
            texts.update(s.text for s in c.sentences())
            texts.update(s.heading for s in c.sections if s.heading)
            texts.add(c.title)  # a term only in a title or heading is quoted from there
            recommendations = "".join(r.text for r in c.recommendations)
            texts.add(recommendations)
            texts.update(c.footnotes)  # an explaining footnote counts (パクス・シリカ)
    for theme in (*changes.new, *changes.rising, *changes.dropped, *changes.fading):
        assert theme.context is not None
        assert theme.context.chapter in theme.chapters
        assert len(theme.contexts) <= 4
        for quote in theme.contexts:
            texts = printed[quote.chapter]
            assert quote.text in texts or any(quote.text in t for t in texts)
            term = bare_term(theme.term)
            # 米国政府 is also quoted where it is written 米政府 (themes.toml short_forms).
            spellings = {term} | {
                short + term[len(long) :]
                for short, long in short_forms.items()
                if term.startswith(long)
            }
            found = {fold(t) for t in terms(quote.text)}
            assert spellings & found or any(t in quote.text for t in spellings)


def test_an_edition_compared_with_itself_has_no_theme_changes(
    editions: tuple[Edition, Edition],
) -> None:
    for edition in editions:
        assert compare_themes(edition, edition) == ThemeChanges((), (), (), ())


def test_swapping_editions_mirrors_the_lists(
    changes: ThemeChanges, editions: tuple[Edition, Edition]
) -> None:
    old, new = editions
    swapped = compare_themes(new, old)
    assert _terms_of(swapped.new) == _terms_of(changes.dropped)
    assert _terms_of(swapped.dropped) == _terms_of(changes.new)
    assert _terms_of(swapped.rising) == _terms_of(changes.fading)
    assert _terms_of(swapped.fading) == _terms_of(changes.rising)
    assert swapped.new[0].context == changes.dropped[0].context


def test_chapter_filter_counts_only_those_chapters(editions: tuple[Edition, Edition]) -> None:
    # The Korean peninsula chapters: 2025 chapter 6, 2026 chapter 4.
    korea = compare_themes(*editions, old_chapters=["2025/ch06"], new_chapters=["2026/ch04"])
    yoon = _find(korea.dropped, "尹錫悦大統領")
    assert (yoon.old_count, yoon.new_count, yoon.chapters) == (4, 0, ("2025/ch06",))
    # 南北関係 is only in a ◆ heading of 2025 chapter 6 (headings count), three times in 2026
    # chapter 4's body: in both, so not new.
    assert "南北関係" not in _terms_of(korea.new)
    lee = _find(korea.new, "李在明")
    assert (lee.old_count, lee.new_count) == (0, 2)
    for theme in korea.new + korea.rising:
        assert theme.chapters == ("2026/ch04",)
    nothing = compare_themes(*editions, old_chapters=[], new_chapters=[])
    assert nothing == ThemeChanges((), (), (), ())
