"""A hand-made `Report` of the 2025 → 2026 comparison: real sentences of both editions, one
item of every kind (every judgement class, theme kind, recommendation fate, alignment status),
for renderer tests that must not depend on the model."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from outlook_diff.model import Recommendation as RecRef
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
