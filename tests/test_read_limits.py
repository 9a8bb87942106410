"""The read stage on hostile and broken inputs (issue 13): bounded resources, clear errors.

Each test names the case it guards. Memory is measured in a real process, under an address-space
limit, because an allocation failure inside pdfium aborts the process instead of raising.
"""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outlook_diff.cli import EXIT_TROUBLE, app
from outlook_diff.datafiles import data_path
from outlook_diff.errors import OutlookDiffError
from outlook_diff.read import (
    DEFAULT_MAX_SIZE,
    MAX_SIZE_LIMIT_MB,
    decode_text,
    extract_html_text,
    extract_pdf_text,
    read_source,
    validate_max_size,
)
from outlook_diff.read.web_encodings import web_codec, web_encoding
from tests.pdf_fixtures import inflating_pdf, many_pages_pdf

TEXT_2026 = data_path("outlook-2026.txt").read_text(encoding="utf-8")
GIB = 1024**3


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
# PDF: decompression bombs, page counts, extracted text


# The child runs the real command under a 1 GiB address-space limit and reports its own peak
# resident memory (Linux's VmHWM) on stderr, whatever way it exits.
_UNDER_LIMIT = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["outlook-diff", *sys.argv[1:]]
try:
    runpy.run_module("outlook_diff", run_name="__main__", alter_sys=True)
finally:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across vfork + exec
    peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
    sys.stderr.write("maxrss_kb=%s\\n" % peak)
"""


def test_pdf_decompression_bomb_fails_clearly_within_1_gib(tmp_path: Path) -> None:
    # 1.4 MB on disk, a content stream inflating to 1.5 GB: pdfium alone took 2.6 GB for it,
    # and aborted (exit 134, no message) under a memory limit
    bomb = inflating_pdf(1_500_000_000)
    assert len(bomb) < 1_600_000
    path = write(tmp_path, "bomb.pdf", bomb)
    child = subprocess.run(
        [sys.executable, "-c", _UNDER_LIMIT.format(limit=GIB), "chapters", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = child.stderr.strip().splitlines()
    assert child.returncode == EXIT_TROUBLE, child.stderr
    assert lines[:-1] == [
        f"outlook-diff: error: {path}: PDF streams inflate to more than 256 MB "
        "(a decompression bomb?); refusing it"
    ]
    peak = int(lines[-1].removeprefix("maxrss_kb=")) * 1024
    assert peak < GIB


def test_pdf_that_inflates_moderately_still_reads() -> None:
    # 10 MB of inflated content (spaces after the text) is an ordinary page, not a bomb
    text, warnings = extract_pdf_text(inflating_pdf(10_000_000), source="x")
    assert (text, warnings) == ("Hello\n", ())
    with pytest.raises(OutlookDiffError) as info:
        extract_pdf_text(inflating_pdf(10_000_000), source="x", max_inflated=5 * 1024 * 1024)
    assert info.value.message == (
        "PDF streams inflate to more than 5 MB (a decompression bomb?); refusing it"
    )


def test_20000_page_text_pdf_is_not_called_scanned() -> None:
    # the same short line on each page: it used to be dropped as a running header, leaving
    # no text, and the PDF was called "scanned"
    pdf = many_pages_pdf(20_000)
    assert len(pdf) < 4_000_000
    text, warnings = extract_pdf_text(pdf, source="long.pdf")
    assert warnings == ()
    assert text.count("Page text") == 20_000


def test_pdf_page_and_text_limits_stop_with_a_clear_error(tmp_path: Path) -> None:
    pdf = many_pages_pdf(30)
    with pytest.raises(OutlookDiffError) as info:
        extract_pdf_text(pdf, source="long.pdf", max_pages=20)
    assert str(info.value) == "long.pdf: PDF has 30 pages, above the limit of 20; refusing it"
    with pytest.raises(OutlookDiffError) as info:
        extract_pdf_text(pdf, source="long.pdf", max_chars=100)
    # "Page text" is 9 characters: the 12th page runs past 100
    assert str(info.value) == (
        "long.pdf: PDF text runs past 100 characters (at page 12); refusing it"
    )
    # under the default limits the file reads whole
    assert read_source(write(tmp_path, "long.pdf", pdf)).text.count("Page text") == 30


# ---------------------------------------------------------------------------------------------
# HTML: nesting, charsets, entities


def _nested(depth: int) -> bytes:
    return (
        "<!DOCTYPE html><html><body>"
        + "<div>" * depth
        + "<p>深い本文。</p>"
        + "</div>" * depth
        + "<p>後の段落。</p></body></html>"
    ).encode()


def test_html_nested_250_deep_reads_without_recursion_error() -> None:
    # the recursive walk ended in "unexpected RecursionError" here
    text, encoding, warnings = extract_html_text(_nested(250), source="deep.html")
    assert (text, encoding, warnings) == ("深い本文。\n\n後の段落。\n", "html:utf-8", ())


def test_html_nested_100000_deep_is_refused_clearly() -> None:
    with pytest.raises(OutlookDiffError) as info:
        extract_html_text(_nested(100_000), source="deep.html")
    assert str(info.value) == (
        "deep.html: HTML page nests elements more than 256 levels deep; refusing it"
    )


def _page(charset: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"></head>'
        f"<body><p>{body}</p></body></html>"
    ).encode()


@pytest.mark.parametrize("charset", ["unicode_escape", "raw_unicode_escape", "rot13", "utf-7"])
def test_html_charset_that_is_not_a_web_encoding_is_ignored(charset: str) -> None:
    # unicode_escape turned the harmless text "\x1b[2J" into a real escape sequence
    body = r"Clear \x1b[2J and \u009b here +ABs-"
    text, encoding, warnings = extract_html_text(_page(charset, body), source="x")
    assert (text, encoding) == (body + "\n", "html:utf-8")
    assert warnings[0] == (
        f"page declares charset {charset!r}, which is not a web encoding; detecting instead"
    )


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        (" windows-31j ", "cp932"),
        ("x-sjis", "cp932"),
        ("EUC-JP", "euc_jp"),
        ("latin1", "cp1252"),  # browsers read ISO-8859-1 as windows-1252
        ("utf-16", "utf-8"),  # a page declaring UTF-16 in ASCII bytes is not UTF-16
        ("x-user-defined", "cp1252"),
        ("iso-2022-kr", None),  # the "replacement" encoding: browsers refuse to decode it
        ("unicode_escape", None),
        ("rot13", None),
        ("utf-32", None),
        ("", None),
    ],
)
def test_web_encoding_labels_follow_the_whatwg_table(label: str, codec: str | None) -> None:
    assert web_codec(label) == codec


def test_whatwg_table_maps_every_label_to_a_python_codec() -> None:
    from outlook_diff.read.web_encodings import _BY_LABEL, _ENCODINGS

    assert len(_ENCODINGS) == 40  # the standard's 40 encodings
    assert web_encoding("UTF8") == "utf-8" and web_encoding("csiso2022jp") == "iso-2022-jp"
    for name, (codec, _) in _ENCODINGS.items():
        if codec is not None:
            assert codecs.lookup(codec).name, name
    assert all(label == label.lower().strip() for label in _BY_LABEL)


def test_html_entities_are_not_expanded_from_a_doctype(tmp_path: Path) -> None:
    # XXE and billion laughs: kept passing; an internal DTD subset is not honoured in HTML
    secret = write(tmp_path, "secret.txt", b"TOP-SECRET")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    page = (
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY l0 "ha">{laughs}]>'
        "<html><body><p>本文 &xxe; &l9;</p></body></html>"
    )
    text, _, _ = extract_html_text(page.encode(), source="x")
    assert "TOP-SECRET" not in text
    assert len(text) < 100


# ---------------------------------------------------------------------------------------------
# Text: encodings given and detected


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("rot13", "--encoding 'rot13' is not a text encoding (try utf-8, cp932, euc-jp or utf-16)"),
        (
            "base64",
            "--encoding 'base64' is not a text encoding (try utf-8, cp932, euc-jp or utf-16)",
        ),
        (
            "unicode_escape",
            "--encoding 'unicode_escape' is not a text encoding "
            "(try utf-8, cp932, euc-jp or utf-16)",
        ),
        ("klingon-8", "unknown encoding 'klingon-8' (try utf-8, cp932, euc-jp or utf-16)"),
        ("utf\x00-8", "unknown encoding 'utf\\x00-8' (try utf-8, cp932, euc-jp or utf-16)"),
    ],
)
def test_encoding_option_that_is_no_text_codec_is_a_clear_error(
    tmp_path: Path, encoding: str, message: str
) -> None:
    # rot13 ended in a bare LookupError
    path = write(tmp_path, "a.txt", "本文です。\n".encode())
    assert error_of(path, encoding=encoding) == message
    html = write(tmp_path, "a.html", _page("utf-8", "本文"))
    assert error_of(html, encoding=encoding) == message


def test_utf16_without_bom_is_not_called_a_pdf_font_problem(tmp_path: Path) -> None:
    # many U+3000 ideographic spaces and few ASCII characters: NUL bytes on both sides, so the
    # NUL pattern does not tell the byte order
    text = "日本の　安全保障　政策　外交　経済　強化\n" * 5
    for codec in ("utf-16-le", "utf-16-be"):
        source = read_source(write(tmp_path, f"{codec}.txt", text.encode(codec)))
        assert (source.text, source.encoding) == (text, codec)
        assert source.warnings == (f"no byte-order mark; read as {codec.upper()}",)
    # private-use characters without (cid:NNN) codes: a decoding problem, not a PDF font
    with pytest.raises(OutlookDiffError) as info:
        decode_text(("\ue000\ue001\ue002 本\n" * 40).encode(), source="x")
    assert info.value.message == (
        "text is undecodable: mostly U+FFFD or private-use characters; "
        "pass --encoding (e.g. cp932, euc-jp, utf-16-le)"
    )


def test_bom_then_cp932_names_the_right_byte(tmp_path: Path) -> None:
    # the offset was counted from after the 3-byte BOM
    head = codecs.BOM_UTF8 + "第1章 本文\n二行目\n".encode()
    data = head + "三行目は別の符号化".encode("cp932") + b"\n"
    message = error_of(write(tmp_path, "bom.txt", data))
    assert message == (
        f"starts with a utf-8-sig byte-order mark but byte {len(head)} (line 3) is not "
        "utf-8-sig; mixed encodings in one file"
    )
    assert data[len(head) :].startswith("三".encode("cp932"))
    forced = error_of(write(tmp_path, "forced.txt", data), encoding="utf-8-sig")
    assert forced == (
        f"not valid utf-8-sig: bad byte at offset {len(head)} (line 3); check the --encoding value"
    )


# ---------------------------------------------------------------------------------------------
# --max-size


@pytest.mark.parametrize("mb", [-1, 0, MAX_SIZE_LIMIT_MB + 1, 10**30])
def test_max_size_out_of_range_is_a_clear_error(mb: int) -> None:
    # a negative value or one overflowing a C size ended in "unexpected OverflowError"
    with pytest.raises(OutlookDiffError) as info:
        validate_max_size(mb)
    assert str(info.value) == f"--max-size must be between 1 and {MAX_SIZE_LIMIT_MB} (MB), not {mb}"


def test_max_size_in_range_is_bytes() -> None:
    assert validate_max_size(64) == DEFAULT_MAX_SIZE
    assert validate_max_size(1) == 1024 * 1024


@pytest.mark.parametrize("mb", ["-5", "99999999999999999999999"])
def test_max_size_on_the_command_line_exits_2(mb: str) -> None:
    result = CliRunner().invoke(app, ["chapters", "2026", "--max-size", mb])
    assert result.exit_code == EXIT_TROUBLE
    assert result.output.strip().splitlines()[-1] == (
        f"outlook-diff: error: --max-size must be between 1 and {MAX_SIZE_LIMIT_MB} (MB), not {int(mb)}"
    )


def test_read_source_guards_max_size_too(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "本文です。\n".encode())
    with pytest.raises(OutlookDiffError) as info:
        read_source(path, max_size=-1)
    assert info.value.message.startswith("--max-size must be between 1 and")
