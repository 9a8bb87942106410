"""Tests for the read stage: encodings, PDF and HTML inputs, and every kind of bad input.

Fixtures are built in tmp_path from the shipped editions; nothing big is kept in the repository.
"""

from __future__ import annotations

import contextlib
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlook_diff.datafiles import data_path
from outlook_diff.errors import OutlookDiffError
from outlook_diff.read import (
    SourceText,
    decode_text,
    extract_html_text,
    extract_pdf_text,
    read_source,
    sniff_kind,
)
from tests.pdf_fixtures import edition_pdf, image_only_pdf, unmapped_font_pdf

TEXT_2025 = data_path("outlook-2025.txt").read_text(encoding="utf-8")
TEXT_2026 = data_path("outlook-2026.txt").read_text(encoding="utf-8")


def chapter(text: str, number: int) -> str:
    """The text of one numbered chapter, from its heading to the next chapter heading."""
    starts = [m.start() for m in re.finditer(r"(?m)^第\s*\d+\s*章[^\t\n]*$", text)]
    heads = [s for s in starts if re.match(rf"第\s*{number}\s*章", text[s:])]
    start = heads[0]
    later = [s for s in starts if s > start]
    return text[start : later[0] if later else len(text)].strip("\n") + "\n"


# Chapters of 2026 whose every character exists in both CP932 and EUC-JP (chapter 2 has ¹²³,
# chapter 3 圳/賴, chapter 6 －, chapter 7 and 8 an em dash that CP932 lacks).
ENCODABLE = chapter(TEXT_2026, 1) + "\n" + chapter(TEXT_2026, 4) + "\n" + chapter(TEXT_2026, 5)


def squeeze(line: str) -> str:
    return re.sub(r"\s", "", line)


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a text with all whitespace removed."""
    return [squeeze(line) for line in text.split("\n") if line.strip()]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(OutlookDiffError) as info:
        read_source(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.path == str(path)
    assert "\n" not in info.value.message
    return info.value.message


# ---------------------------------------------------------------------------------------------
# Text files and encodings


def test_shipped_edition_reads_unchanged() -> None:
    source = read_source(data_path("outlook-2026.txt"))
    assert source == SourceText(TEXT_2026, "utf-8", str(data_path("outlook-2026.txt")), ())
    assert source.to_dict() == {
        "encoding": "utf-8",
        "source": str(data_path("outlook-2026.txt")),
        "warnings": [],
    }


def test_encodable_sample_really_encodes() -> None:
    assert ENCODABLE.startswith("第1章 米国の抑制主義と日本の安全保障\n")
    assert "第4章 朝鮮半島" in ENCODABLE and "第5章 欧州の「戦略的自律」" in ENCODABLE
    for codec in ("cp932", "euc_jp"):
        assert ENCODABLE.encode(codec).decode(codec) == ENCODABLE


@pytest.mark.parametrize(
    ("name", "data", "expected_encoding"),
    [
        ("utf-8", ENCODABLE.encode("utf-8"), "utf-8"),
        ("utf-8 BOM", b"\xef\xbb\xbf" + ENCODABLE.encode("utf-8"), "utf-8-sig"),
        ("CRLF", ENCODABLE.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        ("CR", ENCODABLE.replace("\n", "\r").encode("utf-8"), "utf-8"),
        ("cp932", ENCODABLE.encode("cp932"), "cp932"),
        ("cp932 CRLF", ENCODABLE.replace("\n", "\r\n").encode("cp932"), "cp932"),
        ("euc-jp", ENCODABLE.encode("euc_jp"), "euc-jp"),
        ("utf-16 LE BOM", b"\xff\xfe" + ENCODABLE.encode("utf-16-le"), "utf-16"),
        ("utf-16 BE BOM", b"\xfe\xff" + ENCODABLE.encode("utf-16-be"), "utf-16"),
        ("utf-16 LE no BOM", ENCODABLE.encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_every_encoding_decodes_to_the_same_text(
    tmp_path: Path, name: str, data: bytes, expected_encoding: str
) -> None:
    source = read_source(write(tmp_path, "edition.txt", data))
    assert source.text == ENCODABLE
    assert source.encoding == expected_encoding
    if name == "utf-16 LE no BOM":
        assert source.warnings == ("no byte-order mark; read as UTF-16-LE",)
    else:
        assert source.warnings == ()


def test_whole_cp932_edition_is_detected(tmp_path: Path) -> None:
    # 2025 chapters 1 and 2 encode in CP932; detection must not fall for Shift_JIS-2004 etc.
    text = chapter(TEXT_2025, 1) + chapter(TEXT_2025, 2)
    source = read_source(write(tmp_path, "a.txt", text.encode("cp932")))
    assert (source.text, source.encoding, source.warnings) == (text, "cp932", ())


def test_encoding_override(tmp_path: Path) -> None:
    data = ENCODABLE.encode("cp932")
    path = write(tmp_path, "sjis.txt", data)
    assert read_source(path, encoding="cp932").text == ENCODABLE
    # Shift_JIS as labelled by Windows users means CP932 (①, NEC kanji)
    assert read_source(path, encoding="Shift_JIS").encoding == "cp932"
    with pytest.raises(UnicodeDecodeError) as decode_error:
        data.decode("euc_jp")
    offset = decode_error.value.start
    line = data.count(b"\n", 0, offset) + 1
    assert error_of(path, encoding="euc-jp") == (
        f"not valid euc-jp: bad byte at offset {offset} (line {line}); check the --encoding value"
    )
    assert error_of(path, encoding="klingon") == (
        "unknown encoding 'klingon' (try utf-8, cp932, euc-jp or utf-16)"
    )


def test_short_ambiguous_text_warns() -> None:
    _, encoding, warnings = decode_text("日本の安全保障".encode("euc_jp"), source="x")
    assert warnings == (
        f"encoding guessed as {encoding} with low confidence; "
        "if the text looks garbled, pass --encoding",
    )


def test_utf8_file_with_a_cp932_paragraph_names_offset_and_line(tmp_path: Path) -> None:
    lines = ENCODABLE.split("\n")
    bad = next(i for i, line in enumerate(lines) if line.startswith("2026年が独立宣言から"))
    head = "\n".join(lines[:bad]).encode("utf-8") + b"\n"
    data = head + lines[bad].encode("cp932") + b"\n" + "\n".join(lines[bad + 1 :]).encode()
    # the paragraph opens with ASCII "2026", then 年 in CP932 is the first bad byte
    offset = len(head) + len("2026")
    message = error_of(write(tmp_path, "mixed.txt", data))
    assert message == (
        f"mixed encodings: the file is UTF-8 but byte {offset} (line {bad + 1}) is not; "
        "save the whole file in one encoding"
    )


def test_cp932_file_with_a_utf8_line_names_that_line(tmp_path: Path) -> None:
    lines = ENCODABLE.split("\n")
    bad = next(i for i, line in enumerate(lines) if line.startswith("特朗普大統領は「力による"))
    head = "\n".join(lines[:bad]).encode("cp932") + b"\n"
    data = head + lines[bad].encode("utf-8") + b"\n" + "\n".join(lines[bad + 1 :]).encode("cp932")
    assert error_of(write(tmp_path, "mixed.txt", data)) == (
        f"mixed encodings: line {bad + 1} (byte {len(head)}) is UTF-8 but most of the file is "
        "in another encoding; save the whole file in one encoding"
    )


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    data = ENCODABLE.encode("utf-8")
    with_nul = data[:300] + b"\x00" + data[300:]
    assert error_of(write(tmp_path, "nul.txt", with_nul)) == (
        "binary file, not text (NUL byte at offset 300)"
    )
    garbage = random.Random(6).randbytes(20000)
    nul = garbage.index(b"\x00")
    assert error_of(write(tmp_path, "garbage.bin", garbage)) == (
        f"binary file, not text (NUL byte at offset {nul})"
    )


def test_binary_without_nul_bytes_is_refused(tmp_path: Path) -> None:
    rng = random.Random(7)
    garbage = bytes(rng.randrange(1, 256) for _ in range(20000))
    assert error_of(write(tmp_path, "garbage.bin", garbage)) == (
        "binary file, not text (control bytes throughout)"
    )
    # high bytes only: no control bytes, but no encoding makes sense of it either
    noise = bytes(rng.randrange(0x80, 0x100) for _ in range(20000))
    assert error_of(write(tmp_path, "noise.bin", noise)) == (
        "cannot tell the text encoding; pass --encoding (e.g. cp932, euc-jp, utf-16)"
    )


def test_control_characters_throughout_are_binary() -> None:
    data = ("本文" + "\x01\x02\x03") * 200
    with pytest.raises(OutlookDiffError) as info:
        decode_text(data.encode("utf-8"), source="x")
    assert info.value.message == "binary file, not text (control characters throughout)"


@pytest.mark.parametrize(
    "data", [b"", b"   \n\r\n\t  ", "\u3000\u3000\n".encode(), b"\xef\xbb\xbf\n"]
)
def test_empty_files(tmp_path: Path, data: bytes) -> None:
    assert error_of(write(tmp_path, "empty.txt", data)) == "empty file"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.txt") == "no such file"
    assert error_of(tmp_path) == "is a directory, not a file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", b"text")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    # tests run as root on CI, where chmod 000 does not stop reading
    monkeypatch.setattr(Path, "open", refuse)
    assert error_of(path) == "permission denied: cannot read the file"


def test_big_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    block = TEXT_2026.encode("utf-8")
    with path.open("wb") as f:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            f.write(block)
    size_mb = round(path.stat().st_size / (1024 * 1024))
    assert size_mb == 50

    def never(self: Path, *args: object, **kwargs: object) -> None:
        raise AssertionError("a file above --max-size must not be read")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "open", never)
        assert error_of(path, max_size=10 * 1024 * 1024) == (
            "file is 50 MB, above --max-size 10 MB"
        )
    # under the default limit (64 MB) the same file is read whole
    source = read_source(path)
    assert source.encoding == "utf-8"
    assert len(source.text) == len(TEXT_2026) * (50 * 1024 * 1024 // len(block) + 1)


def test_kind_comes_from_bytes_not_extension(tmp_path: Path) -> None:
    pdf = edition_pdf(chapter(TEXT_2026, 1))
    assert read_source(write(tmp_path, "chapter.txt", pdf)).encoding == "pdf"
    assert read_source(tmp_path / "chapter.txt", encoding="cp932").warnings == (
        "--encoding cp932 is ignored for a PDF",
    )
    assert read_source(write(tmp_path, "chapter.pdf", b"%PDF is a format\n")).encoding == "utf-8"
    html = "\ufeff  \n<!DOCTYPE html><html><body><p>本文</p></body></html>"
    assert sniff_kind(html.encode("utf-8")) == "html"
    assert sniff_kind(html.encode("utf-16")) == "html"
    assert sniff_kind(b"<!-- saved from url=(0022)http://x/ -->\n<HTML><body>x") == "html"
    assert sniff_kind("<p>html の話</p>".encode()) == "text"


@settings(max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_decode_never_raises_anything_else(data: bytes) -> None:
    try:
        text, _, _ = decode_text(data, source="x")
    except OutlookDiffError:
        return
    assert "\r" not in text


@settings(max_examples=200, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co")), min_size=1))
def test_utf8_text_round_trips(text: str) -> None:
    if not text.strip().strip("\ufeff"):
        return
    data = text.encode("utf-8")
    decoded, encoding, _ = decode_text(data, source="x")
    assert (decoded, encoding) == (text.removeprefix("\ufeff"), "utf-8")


# ---------------------------------------------------------------------------------------------
# PDF


def test_pdf_rejoins_wrapped_lines(tmp_path: Path) -> None:
    text = chapter(TEXT_2026, 1) + "\n" + chapter(TEXT_2026, 2) + "\n" + chapter(TEXT_2026, 3)
    path = write(
        tmp_path, "chapters.pdf", edition_pdf(text, running_header="戦略アウトルック 2026")
    )
    source = read_source(path)
    assert (source.encoding, source.warnings) == ("pdf", ())
    # every source paragraph comes back as one line: wrapped lines joined, page numbers and
    # the running header gone, headings, bullets, captions and footnotes on lines of their own
    assert paragraphs(source.text) == paragraphs(text)
    # Japanese lines are joined without a space: paragraphs with no space of their own
    # come back character for character
    lines = set(source.text.split("\n"))
    plain = [ln for ln in text.split("\n") if ln and " " not in ln and "\t" not in ln]
    assert len(plain) == 36
    assert [ln for ln in plain if ln not in lines] == []
    # the shape the parser expects: a blank line between paragraphs, bullets one per line
    assert "\n\n◆ 米国の内向きシフト\n\n2026年が独立宣言から250年" in source.text
    assert "進する。\n- 多国間安全保障枠組みの構築：" in source.text
    assert "\n\n（脱稿日 2025年12月31日 小谷哲男／" in source.text


def test_pdf_of_a_whole_edition_keeps_the_table_of_contents_tabs(tmp_path: Path) -> None:
    path = write(
        tmp_path, "2026.pdf", edition_pdf(TEXT_2026, running_header="戦略アウトルック 2026")
    )
    text = read_source(path).text
    assert paragraphs(text) == paragraphs(TEXT_2026)
    assert "\n第 8 章 核の秩序の行方\t18\n" in text
    assert text.startswith("戦略アウトルック 2026\n")


# Layouts of a whole edition the reader must rejoin exactly. Without paragraph indents, a
# paragraph ending in a full line at the foot of a column cannot be told from one that runs on;
# these layouts happen to have none, other column widths may.
LAYOUTS = [
    pytest.param({}, id="one-column"),
    pytest.param({"indent_paragraphs": False}, id="one-column-no-indent"),
    pytest.param({"columns": 2}, id="two-columns"),
    pytest.param({"columns": 2, "indent_paragraphs": False}, id="two-columns-no-indent"),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("year", "text"), [("2025", TEXT_2025), ("2026", TEXT_2026)])
def test_pdf_of_a_whole_edition_gives_back_every_paragraph(
    tmp_path: Path, year: str, text: str, layout: dict[str, Any]
) -> None:
    pdf = edition_pdf(text, running_header=f"戦略アウトルック {year}", **layout)
    source = read_source(write(tmp_path, f"{year}.pdf", pdf))
    assert (source.encoding, source.warnings) == ("pdf", ())
    assert paragraphs(source.text) == paragraphs(text)


def test_pdf_footnote_marks_set_as_raised_digits(tmp_path: Path) -> None:
    text = chapter(TEXT_2026, 2) + "\n" + chapter(TEXT_2026, 7)
    pdf = edition_pdf(text, raised_footnotes=True)
    source = read_source(write(tmp_path, "notes.pdf", pdf))
    assert paragraphs(source.text) == paragraphs(text)
    # the small raised digit comes back as the superscript the printed text uses, inside a
    # sentence and at the head of the footnote (where pdfium reports it as a line of its own)
    assert "川崎（2025年8月）¹などによると" in source.text
    assert "\n¹ 川崎研一（2025）『新米国相互関税" in source.text
    assert source.text.count("¹") == text.count("¹") == 4


def test_pdf_without_paragraph_indents_uses_vertical_gaps(tmp_path: Path) -> None:
    text = chapter(TEXT_2026, 1)
    path = write(tmp_path, "flat.pdf", edition_pdf(text, indent_paragraphs=False))
    assert paragraphs(read_source(path).text) == paragraphs(text)


def test_encrypted_pdf(tmp_path: Path) -> None:
    text = chapter(TEXT_2026, 1)
    plain = read_source(write(tmp_path, "plain.pdf", edition_pdf(text))).text
    locked = write(tmp_path, "locked.pdf", edition_pdf(text, user_password="secret"))
    assert error_of(locked) == "encrypted PDF: use --password"
    assert error_of(locked, password="wrong") == "encrypted PDF: the password is wrong"
    assert read_source(locked, password="secret").text == plain
    # an owner password alone (printing, copying restricted) does not stop reading
    owner = write(tmp_path, "owner.pdf", edition_pdf(text, owner_password="owner"))
    assert read_source(owner).text == plain
    assert read_source(owner, password="wrong").warnings == (
        "the PDF opens without a password; --password was not used",
    )


def test_damaged_pdfs(tmp_path: Path) -> None:
    data = edition_pdf(chapter(TEXT_2026, 1))
    truncated = write(tmp_path, "truncated.pdf", data[: len(data) // 2])
    assert error_of(truncated) == "damaged PDF: the file is truncated (no %%EOF at the end)"
    garbage = write(tmp_path, "garbage.pdf", b"%PDF-1.7\n" + b"\x8f" * 4000 + b"\n%%EOF\n")
    assert error_of(garbage) == "damaged PDF: it cannot be opened"


def test_scanned_pdf(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", image_only_pdf())
    assert error_of(path) == "scanned PDF with no text layer; OCR is not supported"


def test_pdf_font_without_unicode_map(tmp_path: Path) -> None:
    path = write(tmp_path, "cid.pdf", unmapped_font_pdf())
    assert error_of(path) == "text layer is unreadable (font without Unicode map)"


def test_text_of_cid_codes_is_unreadable() -> None:
    data = ("(cid:1234)(cid:77)(cid:5) 本\n" * 50).encode()
    with pytest.raises(OutlookDiffError) as info:
        decode_text(data, source="pdfminer.txt")
    assert info.value.message == (
        "text is unreadable: mostly (cid:NNN) codes, U+FFFD or private-use characters "
        "(extracted from a PDF font without Unicode map)"
    )


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.binary(min_size=1, max_size=64))
def test_corrupted_pdf_never_raises_anything_else(position: int, junk: bytes) -> None:
    data = bytearray(_SMALL_PDF)
    at = 9 + position % (len(data) - 9)
    data[at : at + len(junk)] = junk
    with contextlib.suppress(OutlookDiffError):
        extract_pdf_text(bytes(data), source="x")


_SMALL_PDF = edition_pdf("◆ 見出し\n\n本文の段落です。" * 3)


@pytest.mark.parametrize("columns", [1, 2])
@pytest.mark.parametrize(("year", "text"), [("2025", TEXT_2025), ("2026", TEXT_2026)])
def test_pdf_of_the_edition_parses_like_the_text(
    tmp_path: Path, year: str, text: str, columns: int
) -> None:
    from outlook_diff.parse import parse

    pdf = edition_pdf(text, running_header=f"戦略アウトルック {year}", columns=columns)
    path = write(tmp_path, f"{year}.pdf", pdf)
    source = read_source(path)
    from_pdf = parse(source.text, label=year, source=source.source, encoding=source.encoding)
    from_text = parse(text, label=year)

    def facts(edition: object) -> list[tuple[object, ...]]:
        return [
            (
                c.number,
                c.title,
                c.authors,
                c.date,
                [s.heading for s in c.sections],
                [squeeze(r.text) for r in c.recommendations],
            )
            for c in edition.chapters  # type: ignore[attr-defined]
        ]

    assert facts(from_pdf) == facts(from_text)
    assert [len(c.recommendations) for c in from_pdf.chapters] == [
        len(c.recommendations) for c in from_text.chapters
    ]


# ---------------------------------------------------------------------------------------------
# HTML

_PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="{charset}"><title>第1章 | JIIA</title>
<style>p {{ margin: 0 }}</style><script>var title = "第9章 偽";</script></head>
<body><header><a href="/">日本国際問題研究所</a><nav><ul><li>ホーム</li><li>研究</li></ul></nav>
</header>
<main><article><header><h1>第1章 米国の抑制主義と日本の安全保障</h1></header>
<h2>米国の内向きシフト</h2>
<p>2026年が独立宣言から250年となる機会を利用し、
トランプ大統領は<ruby>米国<rp>(</rp><rt>べいこく</rt><rp>)</rp></ruby>第一主義の先鋭化によって
成果をアピールし、求心力の維持を図るだろう<sup>1</sup>。Quad  (日米豪印) も。</p>
<p>二段落目です。<br>改行後も同じ段落。</p>
<h2>◆提言</h2>
<ul><li>ハイレベル外交の常態化：首相や閣僚による
外交を頻繁に行う。</li><li>自衛力の強化：検討する。</li></ul>
<p>（脱稿日 2025年12月31日 小谷哲男／日本国際問題研究所研究主幹）</p>
</article></main>
<aside>関連記事：第2章</aside>
<footer><p>Copyright &copy; JIIA</p></footer></body></html>"""

_PAGE_TEXT = """第1章 米国の抑制主義と日本の安全保障

◆ 米国の内向きシフト

2026年が独立宣言から250年となる機会を利用し、トランプ大統領は米国第一主義の先鋭化によって\
成果をアピールし、求心力の維持を図るだろう¹。Quad (日米豪印) も。

二段落目です。
改行後も同じ段落。

◆提言

- ハイレベル外交の常態化：首相や閣僚による外交を頻繁に行う。
- 自衛力の強化：検討する。

（脱稿日 2025年12月31日 小谷哲男／日本国際問題研究所研究主幹）
"""


@pytest.mark.parametrize(
    ("charset", "codec", "encoding"),
    [
        ("utf-8", "utf-8", "html:utf-8"),
        ("Shift_JIS", "cp932", "html:cp932"),
        ("EUC-JP", "euc_jp", "html:euc-jp"),
    ],
)
def test_html_page(tmp_path: Path, charset: str, codec: str, encoding: str) -> None:
    data = _PAGE.format(charset=charset).encode(codec)
    source = read_source(write(tmp_path, "ch1.html", data))
    assert (source.text, source.encoding, source.warnings) == (_PAGE_TEXT, encoding, ())


def test_html_in_utf16_and_without_charset(tmp_path: Path) -> None:
    page = _PAGE.format(charset="utf-8")
    utf16 = read_source(write(tmp_path, "a.htm", page.encode("utf-16")))
    assert (utf16.text, utf16.encoding) == (_PAGE_TEXT, "html:utf-16")
    undeclared = page.replace('<meta charset="utf-8">', "").encode("cp932")
    source = read_source(write(tmp_path, "b.htm", undeclared))
    assert (source.text, source.encoding) == (_PAGE_TEXT, "html:cp932")


def test_html_with_a_wrong_charset_declaration_falls_back(tmp_path: Path) -> None:
    data = _PAGE.format(charset="utf-8").encode("cp932")
    text, encoding, warnings = extract_html_text(data, source="x")
    assert (text, encoding) == (_PAGE_TEXT, "html:cp932")
    assert warnings == ("page declares charset utf-8 but is not valid utf-8",)


def _chapter_page(text: str) -> str:
    """Publish one chapter of the text as a web page: h1 title, h2 sections, p, ul/li."""
    body: list[str] = []
    items: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line.startswith("- "):
            items.append(f"<li>{line[2:]}</li>")
            continue
        if items:
            body.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if re.match(r"第\s*\d+\s*章", line):
            body.append(f"<h1>{line}</h1>")
        elif line.startswith("◆"):
            body.append(f"<h2>{line.lstrip('◆ ')}</h2>")
        else:
            body.append(f"<p>{line}</p>")
    if items:
        body.append("<ul>" + "".join(items) + "</ul>")
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        "<nav><a href='/'>トップ</a> &gt; <a href='/ch'>戦略アウトルック</a></nav>"
        "<main>" + "\n".join(body) + "</main><footer>© JIIA</footer></body></html>"
    )


def test_html_chapters_page_parses_like_the_text(tmp_path: Path) -> None:
    from outlook_diff.parse import parse

    first, third = chapter(TEXT_2026, 1), chapter(TEXT_2026, 3)
    path = write(tmp_path, "chapters.html", _chapter_page(first + "\n" + third).encode())
    source = read_source(path)
    assert (source.encoding, source.warnings) == ("html:utf-8", ())
    # the ◆ mark comes back from the h2 level; everything else is the text as published
    assert paragraphs(source.text) == paragraphs(first + third)
    edition = parse(source.text, label="2026", source=source.source, encoding=source.encoding)
    reference = parse(first + "\n" + third, label="2026")
    assert [(c.number, c.title, len(c.recommendations)) for c in edition.chapters] == [
        (c.number, c.title, len(c.recommendations)) for c in reference.chapters
    ]
    assert [c.number for c in edition.chapters] == [1, 3]


def test_html_list_items_tables_and_sub_headings() -> None:
    page = """<!doctype html><html><body><h2>第3章 台湾情勢</h2><h3>首脳外交</h3>
    <p>本文。</p><h4>◆ 提言</h4>
    <ol><li><p>一つ目の提言。</p><p>その続きの段落。</p></li>
        <li>二つ目<ul><li>入れ子の項目</li></ul></li><li>・既に印のある項目</li></ol>
    <table><tr><th>年</th><th>出来事</th></tr><tr><td>2025</td><td>合意</td></tr></table>
    <h2></h2><p>空の見出しの後の段落。</p>
    </body></html>"""
    text, encoding, warnings = extract_html_text(page.encode(), source="x")
    assert (encoding, warnings) == ("html:utf-8", ())
    assert text == (
        "第3章 台湾情勢\n\n◆ 首脳外交\n\n本文。\n\n◆ 提言\n\n"
        "- 一つ目の提言。\nその続きの段落。\n- 二つ目\n- 入れ子の項目\n・既に印のある項目\n\n"
        "年 出来事\n\n2025 合意\n\n空の見出しの後の段落。\n"
    )


def test_html_without_text(tmp_path: Path) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>t</title></head><body><nav>メニュー</nav></body></html>"
    )
    assert error_of(write(tmp_path, "empty.html", page.encode())) == "HTML page has no text"


@settings(max_examples=150, derandomize=True)
@given(st.text(max_size=300))
def test_html_never_raises_anything_else(body: str) -> None:
    data = ("<!DOCTYPE html><html><body>" + body + "</body></html>").encode("utf-8", "replace")
    try:
        text, _, _ = extract_html_text(data, source="x")
    except OutlookDiffError:
        return
    assert text.endswith("\n") and "\r" not in text


@pytest.mark.slow
def test_a_pdf_set_40_characters_a_line_keeps_every_recommendation(tmp_path: Path) -> None:
    """Issue 13: chapter 2's first recommendation ends on a line holding only 。, which the PDF
    text layer drops; the next recommendation must not be joined to it."""
    from outlook_diff.editions import load_edition
    from tests.pdf_fixtures import fixed_width_pdf

    path = tmp_path / "2026.pdf"
    path.write_bytes(fixed_width_pdf(TEXT_2026))
    from_pdf = load_edition(str(path))
    shipped = load_edition("2026")
    assert [len(c.recommendations) for c in from_pdf.chapters] == [
        len(c.recommendations) for c in shipped.chapters
    ]
    assert from_pdf.chapters[2].recommendations[0].text.endswith("推進すべきである")
