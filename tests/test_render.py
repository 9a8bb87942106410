"""The three renderers of a `Report`: terminal tables, markdown and report-v2 JSON.

The report is built by hand from sentences and recommendations of the shipped editions
(data/outlook-2025.txt, data/outlook-2026.txt), with every status and change class present
and one quote carrying a `|` and a newline, so escaping is exercised.
"""

from __future__ import annotations

import html as html_module
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Recommendation as RecRef
from outlook_diff.render import FORMATS, RENDERERS, SECTIONS, render
from outlook_diff.render import markdown as markdown_module
from outlook_diff.render import table as table_module
from outlook_diff.render.markdown import render_markdown
from outlook_diff.render.table import cut, redline_parts, render_table
from outlook_diff.report import (
    AlignmentLink,
    Candidate,
    EditionSummary,
    Judgement,
    JudgementChange,
    Quote,
    RecommendationFate,
    Report,
    Stance,
    Theme,
    ThemeChanges,
)

_RANK = {
    "reversed": 1,
    "realized": 2,
    "weakened": 3,
    "strengthened": 4,
    "new": 5,
    "dropped": 6,
    "reaffirmed": 7,
    "unrealized": 8,
}


def _judgement(
    change: JudgementChange,
    old: Quote | None,
    new: Quote | None,
    similarity: float | None,
    cues: tuple[str, ...],
    salience: float,
) -> Judgement:
    """A judgement row as the diff stage makes it (the id is its rank in `_report`)."""
    stance = Stance("forecast", 0.4, "可能性がある", "possible")
    return Judgement(
        id=f"J{_RANK[change]}",
        change=change,
        old=old,
        new=new,
        old_stance=stance if old else None,
        new_stance=Stance("statement", 1.0, None, "stated as fact") if new else None,
        score=similarity,
        similarity=similarity,
        alternatives=(Candidate(new, 0.12),) if old and new else (),
        reason="; ".join(cues) or "no cue",
        salience=salience,
    )


def _theme(
    term: str, old: int, new: int, chapters: tuple[str, ...], context: Quote | None
) -> Theme:
    """A theme as the stage makes it: rates per 10,000 words of editions of 22,000 and 12,000."""
    side: Literal["old", "new"] = "new" if new > old else "old"
    return Theme(
        id="",
        term=term,
        old_count=old,
        new_count=new,
        old_rate=10_000 * old / 22_000,
        new_rate=10_000 * new / 12_000,
        keyness=round(abs(new - old) * 1.5, 2),
        old_chapters=chapters if side == "old" else (),
        new_chapters=chapters if side == "new" else (),
        contexts=(context,) if context else (),
        side=side,
    )


def _numbered(changes: ThemeChanges) -> ThemeChanges:
    """Ids T1… over new, rising, dropped, fading, as the stage numbers them."""
    order = (changes.new, changes.rising, changes.dropped, changes.fading)
    ids = {t.term: f"T{k}" for k, t in enumerate((t for g in order for t in g), 1)}

    def number(group: tuple[Theme, ...]) -> tuple[Theme, ...]:
        return tuple(replace(t, id=ids[t.term]) for t in group)

    return ThemeChanges(
        number(changes.new), number(changes.dropped), number(changes.rising), number(changes.fading)
    )


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "report-v2.schema.json"
ANSI = re.compile(r"\x1b\[")

OLD = {
    "label": "2025",
    "title": "戦略アウトルック 2025",
    "subtitle": "国際秩序はレジリエンスを取り戻せるか：世界と日本の選択",
    "source": "outlook-2025.txt",
    "chapters": 14,
    "front_matter": 2,
    "recommendations": 44,
}
NEW = {
    "label": "2026",
    "title": "戦略アウトルック 2026",
    "subtitle": "崩れゆく「国際秩序」：「不確実性時代」の戦略的視座",
    "source": "outlook-2026.txt",
    "chapters": 8,
    "front_matter": 1,
    "recommendations": 24,
}

TITLES = (
    ("2025/ch02", "第2期トランプ政権の外交・安全保障政策"),
    ("2025/ch03", "「米国第一主義」「MAGA」を推進：連邦政府3部門全てで共和党が優位"),
    ("2025/ch04", "不確実性の高まる米中関係と台湾海峡情勢"),
    ("2025/ch05", "強まる習近平個人支配体制下：経済の停滞と国家安全偏重は継続？"),
    ("2025/ch06", "トランプ政権で生じる米朝対話と持続的な日韓関係"),
    ("2025/ch07", "ウクライナ戦争からのアメリカ「撤退」と欧州の選択：日欧連携は急上昇"),
    ("2025/ch08", "消耗戦が続くウクライナ侵略：トランプ政権と戦争長期化は我々に何をもたらすのか"),
    ("2025/ch11", "自由貿易体制にさらなる試練：保護主義の連鎖が最大の懸念"),
    ("2025/ch13", "偽情報対策の見直しとインド太平洋地域における対偽情報国際連携の拡大"),
    ("2026/ch01", "米国の抑制主義と日本の安全保障"),
    ("2026/ch02", "自由貿易体制の岐路：ニューノーマル下の通商戦略"),
    ("2026/ch03", "脆弱な安定期における米中の共存と台湾情勢"),
    ("2026/ch05", "欧州の「戦略的自律」：長期的視座と短期的視座の交錯"),
    ("2026/ch06", "ロシアによるウクライナ侵略は終結するのか：停戦交渉の行方と緊密化する米朝関係"),
    ("2026/ch07", "経済安全保障—現況、展望、提言—"),
)

# A quote with a pipe and a line break, as a bad PDF extraction can leave them.
PIPED = (
    "台湾をめぐる米中の直接的軍事衝突が発生する蓋然性は依然として低いと考えるが、"
    "今後米中関係は 3T (Trade | Technology | Taiwan) を中心に\n"
    "緊張が高まるとの見方も存在する。"
)
STABLE = (
    "2026年は、米中首脳の相互訪問、G20（米国）やAPEC（中国）の際に首脳会談の実施が想定され、"
    "首脳外交によって比較的安定的な関係が維持されるとみられる。"
)
TARIFF_2025 = (
    "一方、経済面では、農産物の輸出拡大や自動車の輸出規制を目指して"
    "貿易交渉を持ちかけてくる可能性が高い。"
)
TARIFF_2026 = (
    "一方で、代替案として通商法122条、関税法338条があると示唆されており、"
    "当面、高関税が維持される可能性が高いとみられる。"
)
XI_2025 = (
    "事故や健康問題などが発生しない限り、2025年においても、"
    "習近平による支配が動揺する可能性は小さいだろう。"
)
XI_2026 = "習近平による支配が動揺する可能性は否定できない。"
EV_2025 = "バイデン政権下で進められたEV推進策は撤回されよう。"
EV_2026 = "トランプ政権はバイデン政権下で進められたEV推進策を撤回した。"
WAR_2026 = (
    "和平交渉におけるロシア・ウクライナ両政府の姿勢を見るに、"
    "ウクライナ戦争は今後も継続する可能性が高い。"
)
NK_2025 = (
    "日本が北朝鮮と直接対話を行うことを忌避することはないだろう。"
    "拉致問題という最重要懸案を抱える日本は、米朝対話にかかわらず、"
    "日朝対話に臨むタイミングを見逃してはならない。"
)
EUROPE = (
    "ロシアからの軍事的脅威を考えると米国の関与は必要不可欠であり、この路線を保ち続けるだろう。"
)

PREBUNKING = (
    "その一つとして、プレバンキングの有用性について認識し、実施体制を整備する。"
    "災害大国日本が、過去の災害をはじめ、選挙などで拡散した偽情報に関する内容、拡散傾向、"
    "ソーシャル・ネットワークなどを分析し、今後出現する可能性のある偽情報とその拡散傾向などを"
    "予測することは可能である。事前に情報を発信・公開し、社会の強靱性を構築しようとする"
    "積極的な対策は、生成 AI 時代においてデバンキングより効果的である。"
)
SUPPLY_CHAIN = (
    "国際経済の在り方に外交・安全保障上の論理が色濃く反映される中、「経済の武器化」のみならず、"
    "国境を越えて広がったサプライチェーンを通じて製品にバックドアや爆発物などの異物が混入する"
    "「サプライチェーンの毒化」などの脅威も顕在化している。"
)
ISLANDS_2026 = (
    "列島線防衛：武力攻撃事態および存立危機事態を想定し、第一列島線に加えて、"
    "第二列島線および2つの列島線を結ぶ海上交通路の防衛に関する日米協力を促進する。"
)
ISLANDS_2025 = "南西諸島防衛に関して、日米の常設統合部隊を作り、抑止力の強化につなげる。"
EU_2025 = (
    "日本と欧州はルールに基づく国際秩序を形成するパートナーとして、"
    "政治・経済協力をさらに進めるべきである。特に、米国の関与が不透明となる中、"
    "法の支配に基づく国際秩序を形成・維持する主要なパートナーとしてできる協力を考えるべきである。"
)
EU_2026 = (
    "日本と欧州はルールに基づく国際秩序を形成するパートナーとして、"
    "政治・経済協力、防衛協力をさらに進めるべきである。特に、当面米国のこれまでのような"
    "積極的な関与・貢献が期待できない以上、法の支配に基づく国際秩序を形成・維持する"
    "主要なパートナーとしてできる協力を考えるべきである。"
)
EU_REDLINE = (
    "日本と欧州はルールに基づく国際秩序を形成するパートナーとして、"
    "政治・経済協力{+、防衛協力+}をさらに進めるべきである。特に、{+当面+}米国の"
    "[-関与が不透明となる中-]{+これまでのような積極的な関与・貢献が期待できない以上+}、"
    "法の支配に基づく国際秩序を形成・維持する主要なパートナーとしてできる協力を考えるべきである。"
)
RUSSIA_2025 = (
    "侵略の帰趨にかかわらず、ロシアは日本の隣国として存在し続ける。"
    "トラック2 会合や文化交流を通じたロシアとの対話チャンネルの維持・新規開拓は"
    "続けられるべきである。"
)
RUSSIA_2026 = (
    "ロシアによるウクライナ侵略が継続するかぎり日朝関係の改善は見込めないが、"
    "ロシアが日本の隣国であることに変わりはない。"
    "トラック2.0会合などを通じたロシアとの適切な対話チャンネルの維持や新規開拓を続けるべきである。"
)
RUSSIA_REDLINE = (
    "[-侵略の帰趨にかかわらず-]{+ロシアによるウクライナ侵略が継続するかぎり日朝関係の改善は見込めないが+}"
    "、ロシア[-は-]{+が+}日本の隣国[-として存在し続ける。-]{+であることに変わりはない。+}"
    "トラック2[- 会合や文化交流-]{+.0会合など+}を通じたロシアとの{+適切な+}"
    "対話チャンネルの維持[-・-]{+や+}新規開拓[-は続けられ-]{+を続け+}るべきである。"
)
AMMUNITION = "日米防衛産業間の連携を強化し、特に弾薬の製造面での協力を深める。"


def _report() -> Report:
    return Report(
        old=EditionSummary(**OLD),
        new=EditionSummary(**NEW),
        alignment=(
            AlignmentLink(
                ("2025/ch04",),
                ("2026/ch03",),
                "continued",
                0.7812,
                (
                    "2025/ch04 → 2026/ch03: same author 佐橋亮; 2/2 sections have their "
                    "counterpart here; text 0.41; title 0.33",
                ),
                ("china", "taiwan", "us"),
            ),
            AlignmentLink(
                ("2025/ch02", "2025/ch03"),
                ("2026/ch01",),
                "merged",
                0.6433,
                ("sections of both reappear in 2026/ch01",),
                ("us",),
            ),
            AlignmentLink(
                ("2025/ch11",),
                ("2026/ch02", "2026/ch07"),
                "split",
                0.5521,
                ("trade sections → 2026/ch02", "supply-chain sections → 2026/ch07"),
                ("trade", "economic-security"),
            ),
            AlignmentLink(
                ("2025/ch07",),
                ("2026/ch05",),
                "continued",
                0.7034,
                ("same author",),
                ("europe",),
            ),
            AlignmentLink(("2025/ch13",), (), "dropped", 0.0, ("no 2026 chapter above 0.35",), ()),
            AlignmentLink((), ("2026/ch06",), "new", 0.0, ("no 2025 chapter above 0.35",), ()),
        ),
        judgements=(
            _judgement(
                "reversed",
                Quote("2025/ch04", "台湾をめぐる緊張と「現状」の漸次的変更の継続", PIPED),
                Quote("2026/ch03", "首脳外交を軸に摩擦を管理する米中関係", STABLE),
                0.6121,
                ("2025: 緊張が高まる (forecast, +0.40)", "2026: とみられる (forecast, +0.55)"),
                2.4,
            ),
            _judgement(
                "realized",
                Quote("2025/ch03", "厳しい国境管理と経済的ナショナリズムの追求", EV_2025),
                Quote("2026/ch01", None, EV_2026),
                0.8344,
                ("old: されよう (forecast)", "new: した (past)"),
                2.0,
            ),
            _judgement(
                "weakened",
                Quote("2025/ch05", None, XI_2025),
                Quote("2026/ch03", None, XI_2026),
                0.7011,
                ("old: 可能性は小さいだろう", "new: 否定できない"),
                1.5,
            ),
            _judgement(
                "strengthened",
                Quote("2025/ch02", "日本との関係", TARIFF_2025),
                Quote(
                    "2026/ch02",
                    "トランプ政権の関税政策はどこまで拡がり、そして続くのか？",
                    TARIFF_2026,
                ),
                0.5873,
                ("old: 可能性が高い", "new: 可能性が高いとみられる"),
                1.2,
            ),
            _judgement(
                "new",
                None,
                Quote("2026/ch05", "短期的には米国の関与を保つことが至上命題", WAR_2026),
                None,
                ("new: 可能性が高い",),
                1.0,
            ),
            _judgement(
                "dropped",
                Quote("2025/ch06", None, NK_2025),
                None,
                None,
                ("old: ないだろう",),
                0.9,
            ),
            _judgement(
                "reaffirmed",
                Quote("2025/ch07", None, EUROPE),
                Quote("2026/ch05", "短期的には米国の関与を保つことが至上命題", EUROPE),
                0.9987,
                ("old: だろう", "new: だろう"),
                0.1,
            ),
        ),
        themes=_numbered(
            ThemeChanges(
                new=(
                    _theme(
                        "抑制主義",
                        0,
                        9,
                        ("2026/ch01",),
                        Quote(
                            "2026/ch01",
                            "優先主義の後退と抑制主義の台頭",
                            "米国で抑制主義が主流となる中、日本は日米同盟の中でより大きな役割を果たすことが求められる。",
                        ),
                    ),
                    _theme(
                        "存立危機事態",
                        0,
                        4,
                        ("2026/ch01", "2026/ch03"),
                        Quote("2026/ch01", None, ISLANDS_2026),
                    ),
                    _theme("IEEPA", 0, 5, ("2026/ch02",), None),
                ),
                dropped=(
                    _theme("偽情報", 31, 0, ("2025/ch13",), Quote("2025/ch13", None, PREBUNKING)),
                    _theme("プレバンキング", 3, 0, ("2025/ch13",), None),
                ),
                rising=(
                    _theme(
                        "CPTPP",
                        5,
                        12,
                        ("2026/ch02", "2026/ch04"),
                        Quote(
                            "2026/ch02",
                            "自由貿易体制の在り方は変わるのか？",
                            "有志国による二国間FTAやCPTPPなど地域枠組みの活用が進むだろう。",
                        ),
                    ),
                    _theme(
                        "サプライチェーン",
                        8,
                        17,
                        ("2026/ch07",),
                        Quote("2026/ch07", None, SUPPLY_CHAIN),
                    ),
                ),
                fading=(
                    _theme(
                        "グローバル・サウス",
                        14,
                        4,
                        ("2025/ch01", "2025/ch07"),
                        Quote(
                            "2025/ch07",
                            None,
                            "欧州やグローバル・サウスの理解を得ることが重要である。",
                        ),
                    ),
                ),
            )
        ),
        recommendations=(
            RecommendationFate(
                "dropped",
                RecRef("2025/ch13", 2, PREBUNKING),
                None,
                0.4102,
                RecRef("2026/ch07", 2, SUPPLY_CHAIN),
                None,
            ),
            RecommendationFate(
                "new",
                None,
                RecRef("2026/ch01", 3, ISLANDS_2026),
                0.5811,
                RecRef("2025/ch02", 6, ISLANDS_2025),
                None,
            ),
            RecommendationFate(
                "moved",
                RecRef("2025/ch08", 3, RUSSIA_2025),
                RecRef("2026/ch06", 2, RUSSIA_2026),
                0.7433,
                None,
                RUSSIA_REDLINE,
            ),
            RecommendationFate(
                "modified",
                RecRef("2025/ch07", 4, EU_2025),
                RecRef("2026/ch05", 5, EU_2026),
                0.9121,
                None,
                EU_REDLINE,
            ),
            RecommendationFate(
                "kept",
                RecRef("2025/ch02", 3, AMMUNITION),
                RecRef("2026/ch01", 2, AMMUNITION),
                0.9999,
                None,
                None,
            ),
        ),
        chapter_titles=TITLES,
        filters=(),
    )


def _empty_report() -> Report:
    return Report(
        old=EditionSummary(**OLD),
        new=EditionSummary(**NEW),
        alignment=(),
        judgements=(),
        themes=ThemeChanges((), (), (), ()),
        recommendations=(),
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return _report()


@pytest.fixture(scope="module")
def table_text(report: Report) -> str:
    return render(report, "table", width=120, color=False)


@pytest.fixture(scope="module")
def markdown_text(report: Report) -> str:
    return render(report, "markdown")


# --- JSON -----------------------------------------------------------------------------------


def test_json_validates_against_the_schema(report: Report) -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for value in (report, _empty_report()):
        document = json.loads(render(value, "json"))
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_rejects_unknown_fields_and_statuses(report: Report) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    document: dict[str, Any] = json.loads(render(report, "json"))
    document["recommendations"][0]["status"] = "vanished"
    document["judgements"][0]["old"]["page"] = 3
    document["schema"] = "outlook-diff/report-v1"
    paths = {tuple(e.path) for e in validator.iter_errors(document)}
    assert ("recommendations", 0, "status") in paths
    assert ("judgements", 0, "old") in paths
    assert ("schema",) in paths


def test_documented_example_validates() -> None:
    import jsonschema

    doc = (SCHEMA_PATH.parent / "report-v2.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)


def test_json_round_trips_and_keeps_japanese(report: Report) -> None:
    text = render(report, "json")
    assert json.loads(text) == report.to_dict()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "抑制主義" in text  # ensure_ascii=False: Japanese as written, not \\u escapes
    assert list(json.loads(text)) == [
        "schema",
        "old",
        "new",
        "alignment",
        "judgements",
        "forecasts",
        "themes",
        "recommendations",
        "summary",
    ]


def test_json_ignores_limit_and_only(report: Report) -> None:
    full = render(report, "json")
    assert render(report, "json", limit=1, only="themes", width=40, color=True) == full


# --- markdown -------------------------------------------------------------------------------


def test_markdown_title_summary_and_sections(markdown_text: str) -> None:
    assert markdown_text.startswith("# outlook-diff: 戦略アウトルック 2025 → 2026\n")
    for heading in (
        "## Summary",
        "### Legend",
        "## Chapter alignment",
        "## Changed judgements",
        "## New themes",
        "## Faded / dropped themes",
        "## Recommendations",
    ):
        assert f"\n{heading}\n" in markdown_text
    assert (
        "| Changed judgements | dropped 1, new 1, realized 1, reversed 1, strengthened 1, "
        "weakened 1; reaffirmed 1 |" in markdown_text
    )
    # every status word is explained once in the legend
    for word in ("continued", "merged", "realized", "reaffirmed", "rising", "fading", "moved"):
        assert f"- **{word}**:" in markdown_text


def test_markdown_escapes_pipes_and_newlines_in_cells(markdown_text: str) -> None:
    row = next(
        line for line in markdown_text.splitlines() if line.startswith("| J1 | **reversed**")
    )
    assert r"3T (Trade \| Technology \| Taiwan) を中心に<br>緊張が高まる" in row
    assert row.count(" | ") == 5  # six cells, no stray separators from the quote


def test_markdown_has_full_quotes_as_block_quotes(markdown_text: str) -> None:
    for text in (PREBUNKING, SUPPLY_CHAIN, NK_2025, WAR_2026, RUSSIA_2026, ISLANDS_2025):
        assert f"> {text}\n" in markdown_text
    # a quote with a line break stays whole, one block-quote paragraph per line
    assert (
        "> 台湾をめぐる米中の直接的軍事衝突が発生する蓋然性は依然として低いと考えるが、"
        r"今後米中関係は 3T (Trade \| Technology \| Taiwan) を中心に"
        "\n>\n> 緊張が高まるとの見方も存在する。\n"
    ) in markdown_text
    # where each quote stands: edition, chapter id and title, section heading
    assert (
        "**2025**, `2025/ch04` 不確実性の高まる米中関係と台湾海峡情勢, "
        "section “台湾をめぐる緊張と「現状」の漸次的変更の継続”:"
    ) in markdown_text
    assert "**2026**, `2026/ch01` 米国の抑制主義と日本の安全保障, opening text" in markdown_text
    assert "…" not in markdown_text  # nothing is cut in markdown


def test_markdown_redline(markdown_text: str) -> None:
    assert "~~関与が不透明となる中~~**これまでのような積極的な関与・貢献が期待できない以上**" in (
        markdown_text
    )
    # an insertion starting with 、 after a kanji would not parse as **…** on GitHub
    assert "政治・経済協力<strong>、防衛協力</strong>をさらに" in markdown_text
    assert "[-" not in markdown_text and "{+" not in markdown_text


def test_markdown_is_tidy(markdown_text: str) -> None:
    assert markdown_text.endswith("\n") and not markdown_text.endswith("\n\n")
    assert all(line == line.rstrip() for line in markdown_text.splitlines())
    assert "\n\n\n" not in markdown_text


def test_markdown_kept_recommendation_has_no_details(markdown_text: str) -> None:
    recommendations = markdown_text.split("## Recommendations", 1)[1]
    assert "### Modified (1)" in recommendations and "#### 1. modified" in recommendations
    kept = recommendations.split("### Kept (1)", 1)[1]
    assert "####" not in kept and f"> {AMMUNITION}" not in kept


def _html(markdown: str) -> str:
    """The markdown as a CommonMark + GFM-tables/strikethrough parser renders it."""
    markdown_it = pytest.importorskip("markdown_it")  # installed with rich
    return str(
        markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    )


def test_markdown_parses_as_intended(markdown_text: str) -> None:
    html = _html(markdown_text)
    # every redline marker became strike-through or bold; none is left as literal text
    assert "**" not in html and "~~" not in html
    assert "<strong>、防衛協力</strong>" in html
    assert "<s>関与が不透明となる中</s>" in html
    # no cell text split a row: every row of every table has as many cells as its header
    tables = re.findall(r"<table>(.*?)</table>", html, re.DOTALL)
    # editions, counts, alignment, judgements, 4 themes, one per recommendation fate
    assert len(tables) == 8 + 5
    for table in tables:
        head, body = table.split("</thead>")
        rows = body.split("<tr>")[1:]
        assert rows and all(
            len(re.findall(r"<td[ >]", row)) == len(re.findall(r"<th[ >]", head)) for row in rows
        )
    assert "3T (Trade | Technology | Taiwan) を中心に<br>緊張が高まる" in html


_REDLINE_ALPHABET = "日本欧州協力政治経済、。「」・（）ab12 *_|[]~\\<>&#;`"


@settings(max_examples=300, deadline=None)
@given(
    old=st.text(alphabet=_REDLINE_ALPHABET, min_size=1, max_size=30),
    new=st.text(alphabet=_REDLINE_ALPHABET, min_size=1, max_size=30),
)
def test_markdown_redline_always_renders_as_emphasis(old: str, new: str) -> None:
    from outlook_diff.recommendations import redline

    marked = redline(old, new)
    html = _html("Redline: " + markdown_module._redline(marked))
    parts = redline_parts(marked)
    # no marker leaks into the text: what is read is exactly the old and new pieces in order
    read = re.sub(r"<[^>]+>", "", html)
    assert _plain(read) == _words("Redline: " + "".join(text for _, text in parts))
    deleted = "".join(re.findall(r"<(?:s|del)>(.*?)</(?:s|del)>", html, re.DOTALL))
    inserted = "".join(re.findall(r"<strong>(.*?)</strong>", html, re.DOTALL))
    want_deleted = "".join(text for kind, text in parts if kind == "deleted")
    want_inserted = "".join(text for kind, text in parts if kind == "inserted")
    assert _plain(deleted) == _words(want_deleted)
    assert _plain(inserted) == _words(want_inserted)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_REDLINE_ALPHABET + "\n-+=.)", min_size=1, max_size=40))
def test_markdown_cell_and_block_quote_keep_any_text(text: str) -> None:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    # a table cell: one row of two cells, whatever the text holds
    table = _html(markdown_module._table(["Quote", "Other"], [[markdown_module._cell(text), "x"]]))
    cells = re.findall(r"<td>(.*?)</td>", table, re.DOTALL)
    assert len(cells) == 2 and cells[1] == "x"
    assert [_plain(c) for c in cells[0].split("<br>") if _plain(c)] == [_words(x) for x in lines]
    # a block quote: one paragraph per source line, nothing read as a heading or list
    quote = _html(markdown_module._blockquote(text))
    if lines:
        assert quote.startswith("<blockquote>") and "<h" not in quote and "<li>" not in quote
        paragraphs = re.findall(r"<p>(.*?)</p>", quote, re.DOTALL)
        assert [_plain(p) for p in paragraphs] == [_words(x) for x in lines]


def _plain(html: str) -> str:
    """Text of rendered HTML, whitespace runs as one space (markdown folds them too)."""
    return _words(html_module.unescape(html))


def _words(text: str) -> str:
    return " ".join(text.split())


# --- terminal table -------------------------------------------------------------------------


def test_table_fits_width_without_colour(table_text: str) -> None:
    assert not ANSI.search(table_text)
    lines = table_text.splitlines()
    assert max(cell_len(line) for line in lines) <= 120
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("width", [60, 80, 200])
def test_table_fits_other_widths(report: Report, width: int) -> None:
    text = render(report, "table", width=width)
    assert max(cell_len(line) for line in text.splitlines()) <= width


def test_table_has_header_and_every_table(table_text: str) -> None:
    for fragment in (
        "outlook-diff: 戦略アウトルック 2025 → 2026",
        "国際秩序はレジリエンスを取り戻せるか",
        "14 (+2 front matter)",
        "Chapter alignment",
        "Changed judgements",
        "New themes — absent in 2025",
        "New themes — rising",
        "Faded / dropped themes — dropped (absent in 2026)",
        "Faded / dropped themes — fading",
        "Recommendations",
        "1 reaffirmed not listed",
    ):
        assert fragment in table_text, fragment


def test_table_shows_chapter_ids_with_titles(report: Report) -> None:
    wide = _wide(report)
    assert "2025/ch04 不確実性の高まる米中関係と台湾海峡情勢" in wide
    assert "2026/ch06 ロシアによるウクライナ侵略は終結するのか" in wide


def test_table_cuts_long_quotes_with_an_ellipsis(report: Report, table_text: str) -> None:
    assert "…" in table_text
    flat = _wide(report)
    assert cut(PREBUNKING, 80) in flat
    assert PREBUNKING not in flat  # the whole 200-character recommendation is not printed
    assert len(cut(PREBUNKING, 80)) == 80


def test_table_quote_length_is_a_parameter(report: Report) -> None:
    short = render_table(report, width=1000, quote_chars=20, only="recommendations")
    assert cut(PREBUNKING, 20) in short
    assert cut(PREBUNKING, 21) not in short


def test_table_redline_markers_without_colour(report: Report) -> None:
    flat = _wide(report, only="recommendations")
    assert "[-関与が不透明となる中-]{+これまでのような" in flat
    # long unchanged stretches shrink to their edges, so the changes fill the cell
    assert "…して、政治・経済協力{+、防衛協力+}をさらに進めるべきである。" in flat


def test_table_redline_styles_with_colour(report: Report) -> None:
    text = render(report, "table", width=160, color=True, only="recommendations")
    assert ANSI.search(text)
    assert "\x1b[9" in text or ";9m" in text  # strikethrough
    assert "[-関与" not in _strip_ansi(text)  # the styles replace the markers


def test_table_treats_brackets_as_text_not_markup() -> None:
    report = _report()
    odd = Quote("2026/ch03", None, "[bold]これは太字ではない[/bold] :smile:")
    report = Report(
        report.old,
        report.new,
        (),
        (_judgement("new", None, odd, None, (), 1.0),),
        ThemeChanges((), (), (), ()),
        (),
    )
    assert "[bold]これは太字ではない[/bold] :smile:" in _wide(report, only="judgements")


def test_only_themes_prints_only_the_theme_tables(report: Report) -> None:
    text = render(report, "table", width=120, only="themes")
    assert "New themes — absent in 2025" in text and "Faded / dropped themes — fading" in text
    for other in ("Chapter alignment", "Changed judgements", "Redline / best candidate"):
        assert other not in text
    md = render(report, "markdown", only="themes")
    assert "## New themes" in md and "## Recommendations" not in md
    assert "## Changed judgements" not in md and "## Chapter alignment" not in md


def test_limit_one_prints_one_row_per_table(report: Report) -> None:
    text = _wide(report, limit=1)
    # the first row of each table is there, the second is not
    assert "2026/ch03 脆弱な安定期" in text and "2026/ch01 米国の抑制主義" not in text
    assert "reversed" in text and "realized" not in text.split("Changed judgements")[1]
    assert "0 → 9" in text and "0 → 4" not in text  # new: 抑制主義, not 存立危機事態
    assert "5 → 12" in text and "8 → 17" not in text  # rising: CPTPP, not サプライチェーン
    assert "31 → 0" in text and "3 → 0" not in text  # dropped: 偽情報, not プレバンキング
    # one table per recommendation fate, so every fate keeps its first row
    for status in ("dropped", "new", "modified", "moved", "kept"):
        assert f"Recommendations — {status} (1)" in text
    assert "showing 1 of 6; --limit 0 shows all" in text
    md = render(report, "markdown", limit=1)
    judgements = md.split("## Changed judgements", 1)[1].split("## Themes", 1)[0]
    assert "#### J1. reversed" in judgements and "#### J2." not in judgements
    assert "*Showing 1 of 6; `--limit 0` shows all.*" in md


def test_limit_zero_means_all(report: Report) -> None:
    assert render(report, "table", width=120, limit=0) == render(report, "table", width=120)
    assert render(report, "markdown", limit=0) == render(report, "markdown")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_twice_gives_identical_text(report: Report, fmt: str) -> None:
    first = render(report, fmt, width=100)
    assert render(_report(), fmt, width=100) == first


# --- no changes -----------------------------------------------------------------------------


def test_empty_report_says_no_changes() -> None:
    empty = _empty_report()
    table = render(empty, "table", width=100)
    assert "No changes: 2025 and 2026 report the same" in _wide(empty)
    assert "No changed judgements (neither edition states an assessment or forecast" in table
    assert "No new themes." in table and "No fading themes." in table
    md = render(empty, "markdown")
    assert "**No changes:** 2025 and 2026 report the same" in md
    assert "*No changed judgements (neither edition" in md
    assert md.endswith(".\n") or md.endswith("*\n")


def test_only_reaffirmed_judgements_is_no_change() -> None:
    base = _report()
    calm = Report(
        base.old,
        base.new,
        (),
        (base.judgements[-1],),
        ThemeChanges((), (), (), ()),
        (base.recommendations[-1],),
        base.chapter_titles,
    )
    assert not calm.has_changes
    assert "No changed judgements (1 reaffirmed)." in render(calm, "table", width=120)
    assert "No changes:" in render(calm, "markdown")


def test_filters_appear_in_the_header() -> None:
    base = _report()
    filtered = Report(
        base.old,
        base.new,
        base.alignment,
        base.judgements,
        base.themes,
        base.recommendations,
        base.chapter_titles,
        ("us", "china"),
    )
    assert "chapter us, china" in render(filtered, "table", width=120)
    assert "Chapter filter: `us`, `china`" in render(filtered, "markdown")


# --- dispatch -------------------------------------------------------------------------------


def test_registry_and_sections_agree() -> None:
    assert set(RENDERERS) == {"table", "markdown", "json"}
    assert tuple(table_module._SECTIONS) == SECTIONS
    assert tuple(markdown_module._SECTIONS) == SECTIONS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "html"}, "unknown format 'html'"),
        ({"fmt": "table", "only": "authors"}, "unknown section 'authors'"),
        ({"fmt": "table", "limit": -1}, "--limit"),
    ],
)
def test_bad_choices_raise_a_user_error(
    report: Report, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(OutlookDiffError, match=re.escape(message)):
        render(report, **kwargs)


def test_redline_parts() -> None:
    assert redline_parts("ロシア[-は-]{+が+}日本") == [
        ("equal", "ロシア"),
        ("deleted", "は"),
        ("inserted", "が"),
        ("equal", "日本"),
    ]


def test_markdown_module_can_be_called_directly(report: Report) -> None:
    assert render_markdown(report) == render(report, "markdown")


# --- helpers --------------------------------------------------------------------------------


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _wide(report: Report, **options: Any) -> str:
    """The table at a width where no cell wraps, to search for phrases; ANSI codes removed."""
    return _strip_ansi(render(report, "table", width=1000, **options))


def test_theme_context_keeps_the_term_in_view() -> None:
    from outlook_diff.render.table import cut_around

    text = "前置き" * 40 + "「グローバル・サウス（GS）」諸国も多大な関心を示している。"
    shown = cut_around(text, "グローバル・サウス", 80)
    assert "グローバル・サウス" in shown and shown.startswith("…") and len(shown) <= 80
    assert cut_around("短い文", "文", 80) == "短い文"
    assert cut_around(text, "前置き", 80) == text[:79].rstrip() + "…"
