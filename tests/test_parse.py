"""Exact facts of the two shipped editions, as parsed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Edition
from outlook_diff.parse import parse, split_sentences

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def edition(year: str) -> Edition:
    path = DATA / f"outlook-{year}.txt"
    return parse(path.read_text(encoding="utf-8"), source=str(path))


# (id, number, title as printed in the body, authors, 脱稿日, number of recommendations)
EXPECTED_2025 = [
    ("2025/front-1", None, "理事長メッセージ", ("佐々江賢一郎",), None, 0),
    (
        "2025/front-2",
        None,
        "「グローバル・レジリエンスへの挑戦」・解題",
        ("松本好一郎",),
        "2024-11-28",
        0,
    ),
    (
        "2025/ch01",
        1,
        "日本の針路：チャレンジ・シェアリング元年と国家戦略元年",
        ("石井正文",),
        "2024-11-29",
        0,
    ),
    ("2025/ch02", 2, "第2期トランプ政権の外交・安全保障政策", ("小谷哲男",), "2024-11-10", 6),
    (
        "2025/ch03",
        3,
        "「米国第一主義」「MAGA」を推進：連邦政府3部門全てで共和党が優位",
        ("舟津奈緒子",),
        "2024-12-05",
        2,
    ),
    ("2025/ch04", 4, "不確実性の高まる米中関係と台湾海峡情勢", ("飯嶋佑美",), "2024-11-29", 2),
    (
        "2025/ch05",
        5,
        "強まる習近平個人支配体制下：経済の停滞と国家安全偏重は継続？",
        ("李昊",),
        "2024-12-02",
        3,
    ),
    ("2025/ch06", 6, "トランプ政権で生じる米朝対話と持続的な日韓関係", (), "2024-12-06", 4),
    (
        "2025/ch07",
        7,
        "ウクライナ戦争からのアメリカ「撤退」と欧州の選択：日欧連携は急上昇",
        ("高島亜紗子",),
        "2024-11-29",
        4,
    ),
    (
        "2025/ch08",
        8,
        "消耗戦が続くウクライナ侵略：トランプ政権と戦争長期化は我々に何をもたらすのか",
        ("田島理博",),
        "2024-12-06",
        3,
    ),
    (
        "2025/ch09",
        9,
        "第2期トランプ政権下の中東：混迷するパレスチナと産油国を中心とするビジネスチャンス",
        ("中川浩一",),
        "2024-12-12",
        2,
    ),
    (
        "2025/ch10",
        10,
        "国家間競争時代の経済安全保障：優位性と安全性の追求",
        ("高山嘉顕",),
        "2024-11-28",
        4,
    ),
    (
        "2025/ch11",
        11,
        "自由貿易体制にさらなる試練：保護主義の連鎖が最大の懸念",
        ("柳田健介",),
        "2024-12-04",
        3,
    ),
    (
        "2025/ch12",
        12,
        "人工知能・無人機の開発・拡散がもたらす安全保障への影響",
        ("吉田優一",),
        "2024-11-29",
        3,
    ),
    (
        "2025/ch13",
        13,
        "偽情報対策の見直しとインド太平洋地域における対偽情報国際連携の拡大",
        ("栗原響子",),
        "2024-11-11",
        5,
    ),
    ("2025/ch14", 14, "厳しい情勢が続く軍備管理・軍縮・不拡散", ("秋山信将",), "2024-12-11", 3),
]
EXPECTED_2026 = [
    (
        "2026/front-1",
        None,
        "はじめに 2026年の戦略的視座：不確実性時代における日本の戦略的自律性及び不可欠性",
        ("佐々江賢一郎",),
        None,
        0,
    ),
    ("2026/ch01", 1, "米国の抑制主義と日本の安全保障", ("小谷哲男",), "2025-12-31", 4),
    (
        "2026/ch02",
        2,
        "自由貿易体制の岐路：ニューノーマル下の通商戦略",
        ("柳田健介",),
        "2025-12-11",
        3,
    ),
    ("2026/ch03", 3, "脆弱な安定期における米中の共存と台湾情勢", ("飯嶋佑美",), "2025-12-31", 3),
    (
        "2026/ch04",
        4,
        "朝鮮半島一秩序動搖期の「生存空間」拡大の模索",
        ("飯村友紀",),
        "2025-12-31",
        4,
    ),
    (
        "2026/ch05",
        5,
        "欧州の「戦略的自律」：長期的視座と短期的視座の交錯",
        ("高島亜紗子",),
        "2025-12-31",
        5,
    ),
    (
        "2026/ch06",
        6,
        "ロシアによるウクライナ侵略は終結するのか：停戦交渉の行方と緊密化する米朝関係",
        ("田島理博",),
        "2025-12-31",
        2,
    ),
    ("2026/ch07", 7, "経済安全保障—現況、展望、提言—", ("高山嘉顕",), "2025-12-12", 3),
    ("2026/ch08", 8, "核の秩序の行方", ("秋山信将",), "2025-12-26", 0),
]


@pytest.mark.parametrize("year, expected", [("2025", EXPECTED_2025), ("2026", EXPECTED_2026)])
def test_every_chapter(year: str, expected: list[tuple[object, ...]]) -> None:
    got = [
        (c.id, c.number, c.title, c.authors, c.date, len(c.recommendations))
        for c in edition(year).chapters
    ]
    assert got == expected


def test_chapter_counts() -> None:
    assert len(edition("2025").numbered) == 14
    assert len(edition("2026").numbered) == 8
    assert len(edition("2025").recommendations) == 44
    assert len(edition("2026").recommendations) == 24


def test_edition_title_block() -> None:
    assert edition("2025").label == "2025"
    assert edition("2025").title == "戦略アウトルック 2025"
    assert edition("2025").subtitle == "国際秩序はレジリエンスを取り戻せるか：世界と日本の選択"
    assert edition("2026").title == "戦略アウトルック 2026"
    assert edition("2026").subtitle == "崩れゆく「国際秩序」：「不確実性時代」の戦略的視座"
    assert edition("2025").warnings == () and edition("2026").warnings == ()


def test_affiliations_are_split_on_slashes() -> None:
    ch02 = edition("2025").chapter("2025/ch02")
    assert ch02.affiliations == ("日本国際問題研究所主任研究員", "明海大学教授")
    # 2026 chapter 5 signs with a half-width slash.
    assert edition("2026").chapter("2026/ch05").affiliations == ("日本国際問題研究所主任研究員",)
    assert edition("2025").chapter("2025/ch06").affiliations == ()


def test_title_broken_over_two_lines_is_joined() -> None:
    ch08 = edition("2025").chapter("2025/ch08")
    assert ch08.title.endswith("トランプ政権と戦争長期化は我々に何をもたらすのか")
    assert ch08.toc_title is None  # agrees with the table of contents once joined
    assert (
        ch08.sections[0].heading
        == "疲弊するロシア・ウクライナと続く消耗戦、トランプ政権による停戦交渉は実現するのか"
    )


def test_heading_disagreeing_with_contents_keeps_both() -> None:
    assert (
        edition("2025").chapter("2025/ch06").toc_title
        == "トランプ政権で生じうる米朝対話と持続的な日韓関係"
    )
    ch06 = edition("2026").chapter("2026/ch06")
    assert ch06.title.endswith("緊密化する米朝関係")
    assert ch06.toc_title is not None and ch06.toc_title.endswith("緊密化するロ朝関係")
    assert (
        edition("2026").chapter("2026/ch04").toc_title
        == "朝鮮半島—秩序動搖期の「生存空間」拡大の模索"
    )
    assert [c.id for c in edition("2026").chapters if c.toc_title] == ["2026/ch04", "2026/ch06"]


def test_paragraph_split_by_caption_is_rejoined() -> None:
    ch05 = edition("2025").chapter("2025/ch05")
    texts = [p.text for s in ch05.sections for p in s.paragraphs]
    joined = [t for t in texts if "彼らのいずれかが" in t]
    assert len(joined) == 1
    assert "彼らのいずれかが省長に昇進する可能性がある。将来の指導者候補となる。" in joined[0]
    assert not any(t.startswith("省長に昇進") for t in texts)


def test_paragraph_split_by_page_break_is_rejoined() -> None:
    front = edition("2025").chapter("2025/front-2")
    texts = [p.text for s in front.sections for p in s.paragraphs]
    assert any("国際貿易に関する法秩序も底が抜けたままであって" in t for t in texts)


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_no_caption_text_left_in_any_paragraph(year: str) -> None:
    for chapter in edition(year).chapters:
        for section in chapter.sections:
            for paragraph in section.paragraphs:
                assert "写真" not in paragraph.text, (chapter.id, paragraph.text[:40])
                assert "アフロ" not in paragraph.text, (chapter.id, paragraph.text[:40])
    all_text = "".join(c.text for c in edition(year).chapters)
    assert "NATO新事務総長にマルク・ルッテ氏" not in all_text
    assert "関税合意文書に署名" not in all_text


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_every_body_paragraph_ends_a_sentence(year: str) -> None:
    """A paragraph without a closing 。 would mean a missed page-break join."""
    for chapter in edition(year).chapters:
        for section in chapter.sections:
            for paragraph in section.paragraphs:
                assert paragraph.text.endswith(("。", "」", "）")), (
                    chapter.id,
                    paragraph.text[-30:],
                )


def test_recommendation_bullets_and_markers() -> None:
    ch13 = edition("2025").chapter("2025/ch13")
    assert len(ch13.recommendations) == 5
    assert ch13.recommendations[0].text.startswith("偽情報対策のあり方として")
    assert ch13.recommendations[3].text.startswith("社会全体 (whole-of-society) アプローチ")
    # "- ・" doubled markers are stripped.
    ch05 = edition("2026").chapter("2026/ch05")
    assert ch05.recommendations[0].text.startswith("欧州の防衛費増加は")
    assert [r.index for r in ch05.recommendations] == [1, 2, 3, 4, 5]


def test_bullet_continuing_on_next_line() -> None:
    ch06 = edition("2026").chapter("2026/ch06")
    assert len(ch06.recommendations) == 2
    first = ch06.recommendations[0].text
    assert first.startswith("経済制裁・国際的批判に関わらず侵略は継続しており")
    assert "注意警戒が必要である。まず、日本政府はウクライナ支援の継続でぶれてはならず" in first
    assert ch06.recommendations[1].text.startswith("ロシアによるウクライナ侵略が継続するかぎり")


def test_recommendations_written_as_paragraphs() -> None:
    ch02 = edition("2026").chapter("2026/ch02")
    assert [r.text[:12] for r in ch02.recommendations] == [
        "CPTPPの拡大の取り組",
        "同時に、有志国と連携しW",
        "鉱物資源などのサプライチ",
    ]
    assert ch02.sections[-1].heading == "自由貿易体制の在り方は変わるのか？"


def test_lead_in_line_is_not_a_recommendation() -> None:
    ch01 = edition("2026").chapter("2026/ch01")
    assert len(ch01.recommendations) == 4
    assert ch01.recommendations[0].text.startswith("ハイレベル外交の常態化")
    assert not any(r.text.startswith("以上でみたように") for r in ch01.recommendations)
    lead = ch01.sections[-1]
    assert lead.heading == "提言"
    assert lead.paragraphs[0].text.startswith("以上でみたように米中G2の実現")


def test_chapters_without_recommendations() -> None:
    assert edition("2025").chapter("2025/ch01").recommendations == ()
    assert edition("2026").chapter("2026/ch08").recommendations == ()


def test_footnotes_kept_apart_from_body() -> None:
    ch02 = edition("2026").chapter("2026/ch02")
    assert len(ch02.footnotes) == 3
    assert ch02.footnotes[0].startswith("¹ 川崎研一（2025）")
    assert ch02.footnotes[0].endswith("6127643611daf9bc0093810cf07e25701d293ec0.pdf>")
    assert "https://" not in ch02.text
    ch07 = edition("2026").chapter("2026/ch07")
    assert len(ch07.footnotes) == 1 and ch07.footnotes[0].startswith("¹ パクス・シリカは")
    # The colophon after the last chapter belongs to no chapter.
    assert "虎ノ門" not in edition("2026").chapter("2026/ch08").text
    front = edition("2026").chapter("2026/front-1")
    assert front.footnotes[0].startswith("（注）本戦略アウトルックは")


def test_sections_and_lead_text() -> None:
    ch08 = edition("2026").chapter("2026/ch08")
    assert [s.heading for s in ch08.sections] == [
        None,
        "米ロの軍拡基調",
        "深刻化するアジア・中東の核リスク",
        "危機管理の時代へ？",
    ]
    assert (
        ch08.sections[0].paragraphs[0].text.startswith("2026年は、戦後の国際安全保障秩序において")
    )


def test_sentences_do_not_split_inside_quotes() -> None:
    assert split_sentences("彼は「明日は雨だ。傘を持て。」と言った。次の文。") == (
        "彼は「明日は雨だ。傘を持て。」と言った。",
        "次の文。",
    )
    assert split_sentences("本当か？そうだ！終わり") == ("本当か？", "そうだ！", "終わり")
    assert split_sentences("「引用だけ。」") == ("「引用だけ。」",)


def test_sentence_counts() -> None:
    assert sum(len(c.sentences()) for c in edition("2025").chapters) == 464
    assert sum(len(c.sentences()) for c in edition("2026").chapters) == 256


def test_full_width_and_spaced_chapter_headings() -> None:
    text = "第 １ 章　テスト\n\n◆ 見出し\n\n本文である。\n\n（脱稿日 ２０２５年１月２日 山田太郎／研究所）\n"
    chapter = parse(text, label="x").chapters[0]
    assert (chapter.number, chapter.title, chapter.date, chapter.authors) == (
        1,
        "テスト",
        "2025-01-02",
        ("山田太郎",),
    )


def test_duplicate_chapter_numbers_are_kept_with_a_warning() -> None:
    text = "第1章 一\n\n本文。\n\n第1章 二\n\n本文。\n"
    edition_ = parse(text, label="x")
    assert [c.id for c in edition_.chapters] == ["x/ch01", "x/ch01-2"]
    assert any("more than once" in w for w in edition_.warnings)


def test_text_without_chapters_falls_back_with_a_warning() -> None:
    edition_ = parse("ある報告\n\n◆ 見出し\n\n本文である。\n", label="x")
    assert len(edition_.chapters) == 1
    assert edition_.chapters[0].sections[-1].heading == "見出し"
    assert edition_.warnings


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_empty_text_is_an_error(text: str) -> None:
    with pytest.raises(OutlookDiffError, match="empty"):
        parse(text, source="x.txt")


def test_sentence_closed_by_a_page_break_is_rejoined() -> None:
    """Regression: 2026 chapter 2 printed 限定的である。 / caption / るとみられる。."""
    ch02 = edition("2026").chapter("2026/ch02")
    texts = [p.text for s in ch02.sections for p in s.paragraphs]
    assert any(
        "日本経済全体への影響は限定的であるとみられる。一方、産業別にみると" in t for t in texts
    )
    assert not any(t.startswith("るとみられる") for t in texts)


def test_kana_printed_twice_at_a_page_break_is_one_kana() -> None:
    """Regression: 2025 chapter 13 printed 情報である / caption / るか否か (る twice)."""
    ch13 = edition("2025").chapter("2025/ch13")
    assert "AIが生成した情報であるか否かを検知するための研究" in ch13.text
    assert "であるるか" not in ch13.text
