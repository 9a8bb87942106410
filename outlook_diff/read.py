"""The read stage: a path on disk in, the edition as plain text (`SourceText`) out.

Takes a text file in any common Japanese encoding (UTF-8 with or without BOM, CP932/Shift_JIS,
EUC-JP, UTF-16), a PDF with a text layer, or saved HTML pages (several pages can form one
edition), and returns the text in the shape the parse stage expects: one paragraph per line,
blank lines between paragraphs, `第N章 …` / `◆ …` headings and `- ` bullets on lines of their
own, "\\n" line endings. The kind of input is detected from its first bytes, never from the file
name. Every problem is an `OutlookDiffError` whose message is one line a user can act on;
nothing is printed.

pypdfium2 and lxml are imported inside the functions that need them so that `--help` stays fast.
"""

from __future__ import annotations

import codecs
import itertools
import re
import stat
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from outlook_diff.errors import OutlookDiffError

DEFAULT_MAX_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True)
class SourceText:
    """An edition as plain text, with how it was obtained."""

    text: str  # lines separated by "\n"
    encoding: str  # "utf-8", "utf-8-sig", "cp932", "euc-jp", "utf-16", "pdf", "html:utf-8", ...
    source: str  # the path as given (several paths joined with ", ")
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "source": self.source,
            "warnings": list(self.warnings),
        }


Kind = Literal["text", "pdf", "html"]


# ---------------------------------------------------------------------------------------------
# Files


def read_source(
    path: Path,
    *,
    encoding: str | None = None,
    password: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> SourceText:
    """Read one file (text, PDF or HTML, told apart by its first bytes) as an edition's text.

    `encoding` overrides detection for text and HTML (it is ignored for a PDF); `password` opens
    a PDF encrypted with a user password; a file larger than `max_size` bytes is refused.
    """
    source = str(path)
    data = _read_bytes(path, max_size)
    kind = sniff_kind(data)
    warnings: tuple[str, ...]
    if kind == "pdf":
        text, warnings = extract_pdf_text(data, source=source, password=password)
        used = "pdf"
        if encoding:
            warnings = (f"--encoding {encoding} is ignored for a PDF", *warnings)
    elif kind == "html":
        text, used, warnings = extract_html_text(data, source=source, encoding=encoding)
    else:
        text, used, warnings = decode_text(data, source=source, encoding=encoding)
    return SourceText(text=text, encoding=used, source=source, warnings=warnings)


def read_sources(
    paths: Sequence[Path],
    *,
    encoding: str | None = None,
    password: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> SourceText:
    """Read several files (e.g. one HTML page per chapter) as one edition, in the order given.

    The texts are joined with a blank line; `max_size` applies to each file. Warnings name the
    file they come from when there is more than one.
    """
    if not paths:
        raise OutlookDiffError("no input file given")
    parts = [read_source(p, encoding=encoding, password=password, max_size=max_size) for p in paths]
    if len(parts) == 1:
        return parts[0]
    encodings = list(dict.fromkeys(p.encoding for p in parts))
    warnings = tuple(f"{p.source}: {w}" for p in parts for w in p.warnings)
    return SourceText(
        text="\n\n".join(p.text.strip("\n") for p in parts) + "\n",
        encoding="+".join(encodings),
        source=", ".join(p.source for p in parts),
        warnings=warnings,
    )


def _read_bytes(path: Path, max_size: int) -> bytes:
    source = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise OutlookDiffError("no such file", source) from None
    except PermissionError:
        raise OutlookDiffError("permission denied: cannot read the file", source) from None
    except OSError as e:
        raise OutlookDiffError(f"cannot read the file ({e.strerror or e})", source) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutlookDiffError("is a directory, not a file", source)
    # The size is checked before reading so a huge file is refused at once; a pipe or device has
    # no size, so its reading is capped at one byte over the limit instead.
    if stat.S_ISREG(info.st_mode) and info.st_size > max_size:
        raise OutlookDiffError(_too_big(info.st_size, max_size), source)
    try:
        with path.open("rb") as f:
            data = f.read(max_size + 1)
    except PermissionError:
        raise OutlookDiffError("permission denied: cannot read the file", source) from None
    except IsADirectoryError:
        raise OutlookDiffError("is a directory, not a file", source) from None
    except OSError as e:
        raise OutlookDiffError(f"cannot read the file ({e.strerror or e})", source) from None
    if len(data) > max_size:
        raise OutlookDiffError(_too_big(len(data), max_size), source)
    return data


def _too_big(size: int, max_size: int) -> str:
    return f"file is {_megabytes(size)} MB, above --max-size {_megabytes(max_size)} MB"


def _megabytes(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:.0f}" if mb >= 10 or mb == int(mb) else f"{mb:.1f}"


def sniff_kind(data: bytes) -> Kind:
    """Tell a PDF, an HTML page and plain text apart from the first bytes."""
    if data.lstrip(b" \t\r\n\x00")[:5] == b"%PDF-":
        return "pdf"
    head = _head_text(data[:4096])
    # Saved pages often open with an XML declaration or a "saved from url" comment.
    head = re.sub(r"^(?:\s|\ufeff|<\?xml[^>]*\?>|<!--.*?-->)+", "", head, flags=re.S)
    lowered = head[:64].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "html"
    return "text"


def _head_text(head: bytes) -> str:
    """The first bytes as text, good enough to look for ASCII markup in any encoding."""
    bom = _bom(head)
    if bom and bom[0].startswith(("utf-16", "utf-32")):
        return head.decode(bom[0], errors="ignore")  # the codec reads the BOM's byte order
    guess = _bomless_utf16(head)
    if guess:
        return head.decode(guess, errors="ignore")
    return head.decode("latin-1").lstrip("\u00ef\u00bb\u00bf")


# ---------------------------------------------------------------------------------------------
# Text and encodings


_BOMS: tuple[tuple[str, bytes], ...] = (
    # UTF-32 first: its little-endian BOM begins with the UTF-16 one.
    ("utf-32", codecs.BOM_UTF32_LE),
    ("utf-32", codecs.BOM_UTF32_BE),
    ("utf-8-sig", codecs.BOM_UTF8),
    ("utf-16", codecs.BOM_UTF16_LE),
    ("utf-16", codecs.BOM_UTF16_BE),
)

# Labels that mean "the Windows flavour of Shift_JIS" in practice: files and web pages labelled
# Shift_JIS use the CP932 extensions (①, Ⅲ, NEC kanji) that strict shift_jis rejects. The
# WHATWG encoding standard maps these labels the same way.
_SHIFT_JIS_LABELS = {
    "shift-jis",
    "shift_jis",
    "sjis",
    "s-jis",
    "s_jis",
    "x-sjis",
    "windows-31j",
    "ms-kanji",
    "ms_kanji",
    "csshiftjis",
    "ms932",
    "mskanji",
}

# charset-normalizer reports the JIS X 0213 supersets when the plain tables would do; the plain
# names are what users know, so they are preferred whenever they decode the whole file.
_PLAIN_FAMILY = {
    "shift_jis": "cp932",
    "shift_jis_2004": "cp932",
    "shift_jisx0213": "cp932",
    "euc_jis_2004": "euc_jp",
    "euc_jisx0213": "euc_jp",
}
_FAMILY = {
    "cp932": "sjis",
    "shift_jis": "sjis",
    "shift_jis_2004": "sjis",
    "shift_jisx0213": "sjis",
    "euc_jp": "euc",
    "euc_jis_2004": "euc",
    "euc_jisx0213": "euc",
}

# A guess is "low confidence" when charset-normalizer sees this much mess in the decoded text
# (its chaos ratio, 0..1), or when the sample of non-ASCII bytes is too small to be sure.
_CHAOS_WARN = 0.1
_MIN_NON_ASCII = 32
_GUESS_SAMPLE = 1024 * 1024
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
# Control characters (other than tab, newline, form feed) are not text: above this share of the
# decoded characters the file is binary, whatever a detector says.
_CONTROL_SHARE = 0.01


def decode_text(
    data: bytes, *, source: str, encoding: str | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """Decode a text file: returns (text with "\\n" line ends, encoding used, warnings).

    Order: a byte-order mark; then strict UTF-8; then charset-normalizer's best guess (a
    low-confidence guess adds a warning). `encoding` overrides all of it. A UTF-8 file with a
    paragraph in another encoding is refused with the byte offset and line of the first bad byte.
    """
    if not data.strip(b" \t\r\n\x0c\x0b"):
        raise OutlookDiffError("empty file", source)
    warnings: list[str] = []
    if encoding:
        text, used = _decode_as(data, encoding, source)
    else:
        text, used = _detect_and_decode(data, source, warnings)
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip().strip("\ufeff"):
        raise OutlookDiffError("empty file", source)
    _check_is_text(text, source)
    _check_readable(text, source)
    return text, used, tuple(warnings)


def _decode_as(data: bytes, encoding: str, source: str) -> tuple[str, str]:
    label = encoding.strip().lower()
    codec = "cp932" if label in _SHIFT_JIS_LABELS else label
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        raise OutlookDiffError(
            f"unknown encoding {encoding!r} (try utf-8, cp932, euc-jp or utf-16)", source
        ) from None
    try:
        return data.decode(name), _display(name)
    except UnicodeDecodeError as e:
        line = _line_at(data, e.start, name)
        raise OutlookDiffError(
            f"not valid {_display(name)}: bad byte at offset {e.start} (line {line}); "
            "check the --encoding value",
            source,
        ) from None


def _detect_and_decode(data: bytes, source: str, warnings: list[str]) -> tuple[str, str]:
    bom = _bom(data)
    if bom:
        name = bom[0]
        try:
            return data.decode(name), name
        except UnicodeDecodeError as e:
            line = _line_at(data, e.start, name)
            raise OutlookDiffError(
                f"starts with a {name} byte-order mark but byte {e.start} (line {line}) is not "
                f"{name}; mixed encodings in one file",
                source,
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        utf16 = _bomless_utf16(data)
        if utf16:
            try:
                text = data.decode(utf16)
            except UnicodeDecodeError:
                pass
            else:
                warnings.append(f"no byte-order mark; read as {utf16.upper()}")
                return text, utf16
        raise OutlookDiffError(f"binary file, not text (NUL byte at offset {nul})", source)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first_bad = e.start
    _refuse_mixed_with_utf8(data, first_bad, source)
    return _guess(data, source, warnings)


def _bom(data: bytes) -> tuple[str, bytes] | None:
    for name, mark in _BOMS:
        if data.startswith(mark):
            return name, mark
    return None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of every ASCII character."""
    sample = data[:8192]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs < 2 or len(data) % 2:
        return None
    # Japanese UTF-16 has ASCII (digits, newlines) throughout: at least 1% of characters with a
    # NUL high byte. The other side has NULs only for U+xx00 characters (U+3000, U+4E00: under
    # 1% in the editions), so a skew of four to one is a pattern binary data does not produce.
    if odd >= max(2, pairs // 100) and even * 4 <= odd:
        return "utf-16-le"
    if even >= max(2, pairs // 100) and odd * 4 <= even:
        return "utf-16-be"
    return None


def _line_at(data: bytes, offset: int, codec: str) -> int:
    if codec.replace("_", "-").startswith(("utf-16", "utf-32")):
        return data[:offset].decode(codec, errors="ignore").count("\n") + 1
    return data.count(b"\n", 0, offset) + 1


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
_UTF8_KANA_PAIR = re.compile(rb"(?:\xe3[\x81-\x83][\x80-\xbf]){2}")


def _refuse_mixed_with_utf8(data: bytes, first_bad: int, source: str) -> None:
    """Refuse a file that is part UTF-8, part another encoding, naming where it breaks.

    Japanese text in UTF-8 is practically never produced by CP932 or EUC-JP bytes (their kana
    lead bytes are UTF-8 continuation bytes), so a file with many well-formed UTF-8 Japanese
    characters and some malformed bytes is UTF-8 with a foreign part: the first bad byte is
    named. A file that is mostly malformed but holds a line of well-formed UTF-8 Japanese is in
    another encoding with a UTF-8 part: that line is named.
    """
    # Counted on the first megabyte: enough to tell which encoding dominates, and quick.
    lenient = data[:_GUESS_SAMPLE].decode("utf-8", errors="replace")
    malformed = lenient.count("\ufffd")
    japanese = len(_JAPANESE.findall(lenient))
    if japanese > malformed:
        line_number = data.count(b"\n", 0, first_bad) + 1
        raise OutlookDiffError(
            f"mixed encodings: the file is UTF-8 but byte {first_bad} (line {line_number}) is "
            "not; save the whole file in one encoding",
            source,
        )
    # Only lines holding two UTF-8 kana in a row are candidates: a quick byte search keeps a
    # 50 MB file in another encoding from being decoded line by line.
    for match in _UTF8_KANA_PAIR.finditer(data):
        start = data.rfind(b"\n", 0, match.start()) + 1
        end = data.find(b"\n", match.end())
        line = data[start : end if end >= 0 else len(data)]
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(_JAPANESE.findall(decoded)) >= 2:
            line_number = data.count(b"\n", 0, start) + 1
            raise OutlookDiffError(
                f"mixed encodings: line {line_number} (byte {start}) is UTF-8 but most of the "
                "file is in another encoding; save the whole file in one encoding",
                source,
            )


def _guess(data: bytes, source: str, warnings: list[str]) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    # charset-normalizer reads all it is given; a megabyte (cut at a line end) is plenty to
    # guess from, and the whole file is then decoded strictly with the guess.
    sample = data
    if len(data) > _GUESS_SAMPLE:
        cut = data.rfind(b"\n", 0, _GUESS_SAMPLE)
        sample = data[: cut if cut > 0 else _GUESS_SAMPLE]
    matches = from_bytes(sample)
    best = matches.best()
    if best is None and sample is not data:
        matches = from_bytes(data)
        best = matches.best()
    if best is None:
        if len(_CONTROL_BYTE.findall(sample[:65536])) > _CONTROL_SHARE * min(len(sample), 65536):
            raise OutlookDiffError("binary file, not text (control bytes throughout)", source)
        raise OutlookDiffError(
            "cannot tell the text encoding; pass --encoding (e.g. cp932, euc-jp, utf-16)", source
        )
    name = codecs.lookup(best.encoding).name
    plain = _PLAIN_FAMILY.get(name)
    text: str | None = None
    if plain:
        try:
            text = data.decode(plain)
            name = plain
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text = data.decode(name)
        except UnicodeDecodeError as e:
            line = _line_at(data, e.start, name)
            raise OutlookDiffError(
                f"mixed encodings: the file reads as {_display(name)} up to byte {e.start} "
                f"(line {line}), which is not {_display(name)}; pass --encoding or re-save it",
                source,
            ) from None
    family = _FAMILY.get(name, name)
    rivals = {
        _FAMILY.get(codecs.lookup(m.encoding).name, codecs.lookup(m.encoding).name) for m in matches
    } - {family}
    non_ascii = len(re.findall(rb"[\x80-\xff]", data[:65536]))
    if best.chaos > _CHAOS_WARN or rivals or non_ascii < _MIN_NON_ASCII:
        warnings.append(
            f"encoding guessed as {_display(name)} with low confidence; "
            "if the text looks garbled, pass --encoding"
        )
    return text, _display(name)


def _display(codec: str) -> str:
    return codecs.lookup(codec).name.replace("_", "-")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0d-\x1f\x7f-\x9f]")


def _check_is_text(text: str, source: str) -> None:
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) * _CONTROL_SHARE):
        raise OutlookDiffError("binary file, not text (control characters throughout)", source)


# ---------------------------------------------------------------------------------------------
# Unreadable text (PDF fonts without a Unicode map)

_CID_CODE = re.compile(r"\(cid:\d+\)")
_SPACES = re.compile(r"\s+")
# Above this share of unreadable characters the text is refused; above the lower one, a warning.
_UNREADABLE_REFUSE = 0.3
_UNREADABLE_WARN = 0.02
_UNREADABLE_MESSAGE = "text layer is unreadable (font without Unicode map)"


def _is_unreadable_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp == 0xFFFD
        or 0xE000 <= cp <= 0xF8FF
        or cp >= 0xF0000
        or (cp < 0x20 and ch not in "\t\n\x0c")
    )


_UNREADABLE_CHAR = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\x00-\x08\x0b\x0d-\x1f]")


def _unreadable_share(text: str) -> tuple[int, int]:
    """(unreadable characters, all non-space characters); a `(cid:NNN)` code counts as one."""
    cid_codes = len(_CID_CODE.findall(text))
    rest = _CID_CODE.sub("", text) if cid_codes else text
    # regular expressions, not Python loops: a 50 MB text is checked in a fraction of a second
    visible = len(_SPACES.sub("", rest))
    bad = len(_UNREADABLE_CHAR.findall(rest))
    return bad + cid_codes, visible + cid_codes


def _check_readable(text: str, source: str) -> None:
    bad, total = _unreadable_share(text)
    if total and bad / total > _UNREADABLE_REFUSE:
        raise OutlookDiffError(
            "text is unreadable: mostly (cid:NNN) codes, U+FFFD or private-use characters "
            "(extracted from a PDF font without Unicode map)",
            source,
        )


# ---------------------------------------------------------------------------------------------
# PDF

# Lines that start a new line of their own, whatever the geometry says. The first group opens a
# new block (a blank line before it), the second only a new line (list items, captions, notes).
_BLOCK_START = re.compile(
    r"^(?:"
    r"第\s*[0-9０-９一二三四五六七八九十百]+\s*章"  # chapter heading
    r"|[◆◇■□]"  # section heading marks used by the publisher
    r"|[（(]脱稿日"  # the sign-off line closing a chapter
    r")"
)
_LINE_START = re.compile(
    r"^(?:"
    r"[-‐－–]\s"  # "- " bullet (a hyphen glued to a digit is a minus sign, not a bullet)
    r"|[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s?"  # footnote text
    r"|<?https?://"  # a URL on its own line (footnotes)
    r"|[（(]\s*写真|[（(]注[）)]"  # photo credit; a note "（注）…"
    r"|[（(]\d{4}年[^）)]{0,8}(?:写真|提供)"  # dated photo caption "(2025年10月 写真:…)"
    r"|(?:写真|提供)\s*[：:]"  # the credit of a caption broken over two lines
    r")"
)
# Bullet marks that also occur inside sentences (外交・安全保障): they start a list item only when
# the previous line does not run to the margin or has finished its sentence.
_SOFT_BULLET = re.compile(r"^[・•●○▪◦]")
_LIST_ITEM = re.compile(r"^(?:[-‐－–]\s|[・•●○▪◦])")
# A line ending in one of these can end a paragraph; JIS X 4051 terminal punctuation plus
# closing brackets after a sentence.
_SENTENCE_END = tuple("。．！？!?」』）)")
# Gaps and tolerances in units of the font size ("em").
_PARAGRAPH_GAP = 1.6  # a baseline step this many times the usual pitch is a blank line
_FULL_SLACK = 1.5  # a line ending this close to its column's right edge ran to the margin
_FULL_SLACK_OPEN = 3.0  # ... or this close, if it stops mid-sentence (kinsoku push-in, Latin)
_TAB_GAP = 2.5  # a horizontal gap this wide inside a line is a tab stop (table of contents)
_INDENT = 0.7  # a line starting this much right of its column's left edge is indented
_SHORT_OF_FULL = 0.9  # a line ending this much before its column's right edge is not full
_SIZE_CHANGE = 1.2  # a font this much larger or smaller is a heading, not the same paragraph
_SMALL_DIGIT = 0.8  # a digit this much smaller than its line ...
_RAISED = 0.15  # ... and raised this far above the baseline is a footnote mark
_DIGITS = frozenset("0123456789")
# Scanned documents: fewer readable characters per page than this means there is no text layer.
_MIN_CHARS_PER_PAGE = 20


_WRONG_PASSWORD = "encrypted PDF: the password is wrong"
_INVENTED_SPACE = re.compile(r"(?<=[^\x00-\u2e7f]) +(?=[^\x00-\u2e7f])")


@dataclass(frozen=True)
class _PdfLine:
    """One typeset line as pdfium reports it, with the geometry the rejoining needs."""

    text: str
    page: int
    left: float
    right: float
    baseline: float
    size: float
    first_unit: float  # width of the first unbreakable unit (a Latin word, or one character)
    tabbed: bool = False


def extract_pdf_text(
    data: bytes, *, source: str, password: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """Extract a PDF's text layer as paragraphs: returns (text, warnings).

    Lines are rejoined into paragraphs without inserting spaces between Japanese characters;
    a blank line separates paragraphs (a vertical gap, a short line ending a sentence, a new
    heading); headings, bullets and footnotes keep their own lines; running headers and page
    numbers are dropped.
    """
    import pypdfium2 as pdfium

    if b"%%EOF" not in data[-2048:]:
        raise OutlookDiffError("damaged PDF: the file is truncated (no %%EOF at the end)", source)
    warnings: list[str] = []
    try:
        document = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as e:
        problem = _pdf_open_problem(e, password)
        if not (password and problem == _WRONG_PASSWORD):
            raise OutlookDiffError(problem, source) from None
        # pdfium tries a given password only: a PDF that needs none (owner password only)
        # would be refused for a wrong one, though it opens without it.
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise OutlookDiffError(problem, source) from None
        warnings.append("the PDF opens without a password; --password was not used")
    try:
        pages = len(document)
        if pages == 0:
            raise OutlookDiffError("damaged PDF: it has no pages", source)
        lines: list[_PdfLine] = []
        readable = 0
        unreadable = 0
        for index in range(pages):
            try:
                page = document[index]
                textpage = page.get_textpage()
            except pdfium.PdfiumError:
                raise OutlookDiffError(
                    f"damaged PDF: page {index + 1} cannot be read", source
                ) from None
            try:
                page_lines, good, bad = _page_lines(textpage, index)
            finally:
                textpage.close()
                page.close()
            lines.extend(_merge_rows(page_lines))
            readable += good
            unreadable += bad
    finally:
        document.close()
    if readable + unreadable < _MIN_CHARS_PER_PAGE * pages:
        raise OutlookDiffError("scanned PDF with no text layer; OCR is not supported", source)
    share = unreadable / (readable + unreadable)
    if share > _UNREADABLE_REFUSE:
        raise OutlookDiffError(_UNREADABLE_MESSAGE, source)
    if share > _UNREADABLE_WARN:
        warnings.append(
            f"{unreadable} of {readable + unreadable} characters in the text layer are "
            "unreadable (font without Unicode map)"
        )
    lines = _drop_running_lines(lines, pages)
    text = _join_lines(lines)
    if not text.strip():
        raise OutlookDiffError("scanned PDF with no text layer; OCR is not supported", source)
    return text, tuple(warnings)


def _pdf_open_problem(error: Exception, password: str | None) -> str:
    import pypdfium2.raw as pdfium_c

    code = getattr(error, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        if password:
            return _WRONG_PASSWORD
        return "encrypted PDF: use --password"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "encrypted PDF with an unsupported security scheme"
    return "damaged PDF: it cannot be opened"


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


# One character as pdfium reports it: (text, left, right, index on the page, generated by pdfium)
_Char = tuple[str, float, float, int, bool]


def _page_lines(textpage: Any, page: int) -> tuple[list[_PdfLine], int, int]:
    """The page's lines in pdfium's reading order, and its (readable, unreadable) char counts."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    rect = pdfium_c.FS_RECTF()
    x = ctypes.c_double()
    y = ctypes.c_double()

    def measure(index: int) -> tuple[float, float]:
        """Baseline and font size of one character (asked for a few per line: ctypes calls
        per character are most of the reading time)."""
        pdfium_c.FPDFText_GetCharOrigin(raw, index, x, y)
        return y.value, pdfium_c.FPDFText_GetFontSize(raw, index)

    lines: list[_PdfLine] = []
    current: list[_Char] = []
    readable = 0
    unreadable = 0
    pending_high = 0
    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if code in (0x0A, 0x0D):
            if current:
                line = _make_line(current, page, measure)
                if line:
                    lines.append(line)
                current = []
            continue
        if 0xD800 <= code <= 0xDBFF:
            pending_high = code
            continue
        if 0xDC00 <= code <= 0xDFFF and pending_high:
            code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
        pending_high = 0
        if code == 0x02:
            continue  # pdfium's mark for a soft hyphen at a line end: not text
        ch = chr(code) if code else "\ufffd"
        generated = pdfium_c.FPDFText_IsGenerated(raw, i) == 1
        if not generated and not ch.isspace():
            if pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1 or _is_unreadable_char(ch):
                unreadable += 1
            else:
                readable += 1
        pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)
        current.append((ch, rect.left, rect.right, i, generated))
    if current:
        line = _make_line(current, page, measure)
        if line:
            lines.append(line)
    return lines, readable, unreadable


def _make_line(
    chars: list[_Char], page: int, measure: Callable[[int], tuple[float, float]]
) -> _PdfLine | None:
    placed = [c for c in chars if not c[4] and not c[0].isspace()]
    if not placed:
        return None
    # first, middle and last character: enough for a baseline and a font size that one
    # superscript or odd glyph does not decide
    samples = [measure(placed[k][3]) for k in sorted({0, len(placed) // 2, len(placed) - 1})]
    baseline = statistics.median(b for b, _ in samples)
    size = statistics.median(z for _, z in samples) or 10.0
    parts: list[str] = []
    tabbed = False
    previous: _Char | None = None
    for c in chars:
        ch, left, _right, index, generated = c
        if ch in _DIGITS and not generated:
            # a small digit set above the baseline is a footnote mark; the printed text (and
            # the parser) writes it as a superscript digit: 川崎（2025年8月）¹
            raised, digit_size = measure(index)
            if digit_size < _SMALL_DIGIT * size and raised - baseline > _RAISED * size:
                ch = ch.translate(_SUPERSCRIPT)
        if ch.isspace():
            # pdfium invents spaces where glyphs are spread apart; between Japanese characters
            # (justified lines) they are not in the text.
            parts.append(" " if generated else ch)
            continue
        if previous is not None and left - previous[2] > _TAB_GAP * size:
            while parts and parts[-1] == " ":
                parts.pop()
            parts.append("\t")
            tabbed = True
        parts.append(ch)
        previous = c
    text = "".join(parts).strip(" ")
    if not any(c[0] == " " and not c[4] for c in chars):
        # Without a real space glyph on the line, every space between two Japanese characters
        # was invented by pdfium from glyph spacing (justified lines); the text has none.
        text = _INVENTED_SPACE.sub("", text)
    text = text.replace("\u00a0", " ").strip()
    if not text:
        return None
    return _PdfLine(
        text=text,
        page=page,
        left=min(c[1] for c in placed),
        right=max(c[2] for c in placed),
        baseline=baseline,
        size=size,
        first_unit=_first_unit_width(chars),
        tabbed=tabbed,
    )


def _first_unit_width(chars: list[_Char]) -> float:
    """Width of the line's first unbreakable unit: a Latin word up to its space, or one
    Japanese character (a line may break after any of them)."""
    placed = [c for c in chars if not c[4] or c[0].isspace()]
    first = next(c for c in placed if not c[0].isspace())
    if _is_wide(first[0]) or not first[0].isalnum():
        return first[2] - first[1]
    end = first[2]
    for c in placed[placed.index(first) + 1 :]:
        if c[0].isspace() or _is_wide(c[0]):
            break
        end = c[2]
    return end - first[1]


def _merge_rows(lines: list[_PdfLine]) -> list[_PdfLine]:
    """Join lines pdfium split within one visual row: a footnote mark raised above the start of
    a footnote ("¹ 川崎研一…"), a page number set apart from its table-of-contents entry."""
    merged: list[_PdfLine] = []
    for line in lines:
        if not merged:
            merged.append(line)
            continue
        a = merged[-1]
        size = max(a.size, line.size)
        same_row = abs(a.baseline - line.baseline) < 0.5 * size
        if not (same_row and line.left >= a.right - 0.5 * size):
            merged.append(line)
            continue
        a_text, b_text = a.text, line.text
        if _is_raised_mark(a, line):
            a_text = a_text.translate(_SUPERSCRIPT)
        elif _is_raised_mark(line, a):
            b_text = b_text.translate(_SUPERSCRIPT)
        gap = line.left - a.right
        joint = "\t" if gap > _TAB_GAP * size else ""
        if not joint and gap > 0.2 * size and not (_is_wide(a_text[-1]) and _is_wide(b_text[0])):
            joint = " "
        body = line if _is_raised_mark(a, line) else a
        merged[-1] = _PdfLine(
            text=a_text + joint + b_text,
            page=a.page,
            left=a.left,
            right=max(a.right, line.right),
            baseline=body.baseline,
            size=body.size,
            first_unit=a.first_unit,
            tabbed=a.tabbed or line.tabbed or joint == "\t",
        )
    return merged


def _is_raised_mark(mark: _PdfLine, line: _PdfLine) -> bool:
    return (
        mark.text.isdigit()
        and mark.size < _SMALL_DIGIT * line.size
        and mark.baseline - line.baseline > _RAISED * line.size
    )


def _drop_running_lines(lines: list[_PdfLine], pages: int) -> list[_PdfLine]:
    """Drop page numbers and running headers: the same text (digits aside) at the same height
    at the top or bottom of many pages."""
    if pages < 2:
        return lines
    by_page: dict[int, list[_PdfLine]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    counts: Counter[tuple[str, int]] = Counter()
    for page_lines in by_page.values():
        ordered = sorted(page_lines, key=lambda ln: -ln.baseline)
        edge = {id(ln): ln for ln in ordered[:2] + ordered[-2:]}
        for line in edge.values():
            counts[_running_key(line)] += 1
    needed = max(2, int(0.3 * pages + 0.999))
    running = {key for key, n in counts.items() if n >= needed}
    return [ln for ln in lines if _running_key(ln) not in running]


def _running_key(line: _PdfLine) -> tuple[str, int]:
    return re.sub(r"\d+", "#", line.text.replace(" ", "")), round(line.baseline)


def _frequent_edges(values: list[float], em: float, lines: int, merge: float) -> list[float]:
    """Positions shared by many lines (column edges), from a histogram with em/2 bins.

    A peak within `merge` ems right of a kept one is its variant (an indented first line,
    punctuation hanging past the margin) and is folded into it.
    """
    if not values:
        return []
    step = em / 2
    bins = Counter(round(v / step) for v in values)
    # A column edge is where a good share of all lines end (or start): 15% keeps a few short
    # lines that happen to end together from posing as a column, and still finds two columns.
    needed = max(3, int(0.15 * lines))
    edges: list[float] = []
    for key in sorted(bins):
        total = bins[key - 1] + bins[key] + bins[key + 1]
        if total < needed:
            continue
        if bins[key] < max(bins[key - 1], bins[key + 1]):
            continue  # not a local peak
        members = [v for v in values if abs(v / step - key) <= 1.5]
        edge = statistics.median(members)
        if not edges or edge - edges[-1] > merge * em:
            edges.append(edge)
    return edges


def _join_lines(lines: list[_PdfLine]) -> str:
    if not lines:
        return ""
    em = statistics.median(ln.size for ln in lines)
    body_lines = [ln for ln in lines if abs(ln.size - em) < 0.1 * em and len(ln.text) >= 4]
    rights = _frequent_edges([ln.right for ln in body_lines], em, len(body_lines), merge=1.0)
    lefts = _frequent_edges([ln.left for ln in body_lines], em, len(body_lines), merge=2.5)
    steps = [
        a.baseline - b.baseline
        for a, b in itertools.pairwise(lines)
        if a.page == b.page
        and 0.5 * em < a.baseline - b.baseline < 3 * em
        and abs(a.size - em) < 0.1 * em
        and abs(b.size - em) < 0.1 * em
    ]
    pitch = statistics.median(steps) if steps else 1.4 * em
    page_right: dict[int, float] = {}
    for ln in lines:
        page_right[ln.page] = max(page_right.get(ln.page, 0.0), ln.right)

    def column_right(line: _PdfLine) -> float:
        # the right edge of the line's column: of the edges right of where the line starts, the
        # one nearest to where it ends (punctuation may hang past it)
        candidates = [e for e in rights if e > line.left + 2 * line.size]
        if not candidates:
            return page_right[line.page]
        return min(candidates, key=lambda e: abs(e - line.right))

    def column_left(line: _PdfLine) -> float:
        candidates = [e for e in lefts if e <= line.left + 0.3 * line.size]
        return max(candidates) if candidates else line.left

    out: list[str] = [lines[0].text]
    in_list = bool(_LIST_ITEM.match(lines[0].text))
    for a, b in itertools.pairwise(lines):
        separator = _separator(a, b, column_right(a), column_left(b), pitch, em, in_list)
        if separator == "" and _needs_space(a.text, b.text):
            separator = " "
        if separator == "\n\n":
            in_list = bool(_LIST_ITEM.match(b.text))
        elif separator == "\n":
            in_list = in_list or bool(_LIST_ITEM.match(b.text))
        out.append(separator)
        out.append(b.text)
    text = "".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n"


def _separator(
    a: _PdfLine,
    b: _PdfLine,
    right_edge: float,
    left_edge: float,
    pitch: float,
    em: float,
    in_list: bool,
) -> str:
    """What goes between two consecutive lines: "" (same paragraph), "\\n" or "\\n\\n".

    Inside a bulleted list a finished sentence only starts a new line: a list item can run on
    in a paragraph of its own (2026 chapter 6), and the parser joins such lines to the item.
    """
    jumped = a.page != b.page or b.baseline >= a.baseline - 0.3 * b.size
    ends_sentence = a.text.endswith(_SENTENCE_END)
    paragraph = "\n" if in_list else "\n\n"
    if not jumped:
        step = a.baseline - b.baseline
        expected = pitch * max(a.size, b.size) / em
        if step > _PARAGRAPH_GAP * expected:
            return "\n\n"
    if a.tabbed and b.tabbed:
        return "\n"  # table of contents rows
    if _BLOCK_START.match(b.text):
        return "\n\n"
    if _BLOCK_START.match(a.text) and _short(a, b, right_edge):
        return "\n\n"
    full = not _short(a, b, right_edge)
    if _LINE_START.match(b.text):
        return "\n"
    if _SOFT_BULLET.match(b.text) and (not full or ends_sentence):
        return "\n"
    if a.tabbed or b.tabbed:
        return "\n"
    if max(a.size, b.size) > _SIZE_CHANGE * min(a.size, b.size):
        return paragraph if ends_sentence else "\n"
    if not full:
        return paragraph if ends_sentence else "\n"
    if b.left - left_edge >= _INDENT * b.size and (
        ends_sentence or right_edge - a.right >= _SHORT_OF_FULL * a.size
    ):
        # a new paragraph, its first line indented; justified lines run exactly to the margin,
        # so one that stops short before an indent ends its paragraph even mid-sentence
        return paragraph
    return ""


def _short(a: _PdfLine, b: _PdfLine, right_edge: float) -> bool:
    """Did line `a` stop before the margin (so it ends a paragraph or is a heading)?"""
    remaining = right_edge - a.right
    if remaining < _FULL_SLACK * a.size:
        return False
    if remaining < _FULL_SLACK_OPEN * a.size and not a.text.endswith(_SENTENCE_END):
        return False
    # the next line's first word would not have fitted in the space left: a wrap, not an end
    return not b.first_unit + 0.25 * a.size > remaining


def _needs_space(before: str, after: str) -> bool:
    last, first = before[-1], after[0]
    return not (_is_wide(last) or _is_wide(first) or last in "-/(" or first in ",.;:)")


# ---------------------------------------------------------------------------------------------
# HTML

_DROPPED_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "aside",
        "rt",
        "rp",
        "iframe",
        "object",
        "embed",
        "svg",
        "canvas",
        "button",
        "select",
        "textarea",
        "head",
        "title",
        "form",
        "dialog",
        "map",
    }
)
# A page's own header and footer (site banner, copyright) are dropped; an article's header
# holds its title and byline, so header/footer inside these are kept.
_CONTENT_CONTAINERS = frozenset({"article", "main", "section"})
_DROPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "blockquote",
        "figure",
        "figcaption",
        "address",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "caption",
        "ul",
        "ol",
        "pre",
        "hr",
        "center",
        "details",
        "summary",
        "body",
        "html",
        "header",
        "footer",
        "h5",
        "h6",
        "fieldset",
        "legend",
    }
)
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Whitespace that HTML collapses; a run containing a line break between two Japanese characters
# disappears (CSS Text 3 segment-break rule), any other run becomes one space.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_NEWLINE_MARK = "\x00"  # stands for <br> while whitespace is collapsed
_CHAPTER_LINE = re.compile(r"^第\s*[0-9０-９一二三四五六七八九十百]+\s*章")
_HEADING_MARKS = ("◆", "◇", "■", "□", "●")


def extract_html_text(
    data: bytes, *, source: str, encoding: str | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """Extract a web page's text: returns (text, "html:<encoding>", warnings).

    Navigation, the page header and footer, scripts, asides and ruby readings are dropped;
    block elements become lines, h1–h4 heading lines (those below the chapter-heading level get a
    `◆ ` mark, as in the printed edition), list items `- ` bullets.
    """
    import lxml.etree
    import lxml.html

    warnings: list[str] = []
    declared = None if encoding or _bom(data) else _declared_charset(data)
    markup: str | None = None
    used = ""
    if declared:
        label = declared.lower()
        codec = "cp932" if label in _SHIFT_JIS_LABELS else label
        try:
            markup = data.decode(codec)
            used = _display(codec)
        except LookupError:
            warnings.append(f"page declares an unknown charset {declared!r}; detecting instead")
        except UnicodeDecodeError:
            warnings.append(f"page declares charset {declared} but is not valid {declared}")
    if markup is None:
        markup, used, more = decode_text(data, source=source, encoding=encoding)
        warnings.extend(more)
    markup = markup.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # lxml refuses str input that still carries an XML encoding declaration.
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    try:
        root = lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        raise OutlookDiffError("HTML page has no content", source) from None
    blocks = _HtmlBlocks()
    body = root.find("body")
    blocks.walk(body if body is not None else root, inside_content=False)
    blocks.flush()
    text = blocks.render()
    if not text.strip():
        raise OutlookDiffError("HTML page has no text", source)
    _check_readable(text, source)
    return text, f"html:{used}", tuple(warnings)


def _declared_charset(data: bytes) -> str | None:
    head = _head_text(data[:4096])
    m = re.search(r"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", head, re.I)
    if m:
        return m.group(1)
    m = re.search(r"<\?xml[^>]+encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)", head, re.I)
    return m.group(1) if m else None


@dataclass(frozen=True)
class _Block:
    kind: Literal["text", "heading", "item"]
    text: str
    level: int = 0
    after_break: bool = False  # follows a <br> in the same element: a new line, not a paragraph


class _HtmlBlocks:
    """Walks an lxml tree, gathering inline text into blocks (paragraphs, headings, items)."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.pieces: list[str] = []
        self.kind: Literal["text", "heading", "item"] = "text"
        self.level = 0
        # the open list item has been written: more of its content continues it on a new line
        self.continues = False

    def flush(self) -> None:
        """Close the text gathered so far as a block; the pending kind (heading, list item)
        waits for the first text when there is none yet (<li><p>…</p></li>)."""
        text = _collapse("".join(self.pieces))
        self.pieces = []
        parts = [t.strip() for t in text.split("\n")]
        parts = [t for t in parts if t]
        for i, part in enumerate(parts):
            # a <br> inside a list item or heading continues it on a plain line
            kind = self.kind if i == 0 else "text"
            self.blocks.append(_Block(kind, part, self.level, after_break=i > 0 or self.continues))
        if parts:
            self.continues = self.kind == "item" or self.continues
            self.kind = "text"
            self.level = 0

    def walk(self, element: Any, *, inside_content: bool) -> None:
        for child in element:
            self.element(child, inside_content=inside_content)

    def element(self, el: Any, *, inside_content: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower().rpartition("}")[2]
        if tag and not self._dropped(el, tag, inside_content):
            self._visit(el, tag, inside_content or tag in _CONTENT_CONTAINERS)
        if el.tail:
            self.pieces.append(el.tail)

    def _dropped(self, el: Any, tag: str, inside_content: bool) -> bool:
        if tag in _DROPPED_TAGS:
            return True
        if tag in ("header", "footer") and not inside_content:
            return True
        if (el.get("role") or "").lower() in _DROPPED_ROLES:
            return True
        return el.get("hidden") is not None or (el.get("aria-hidden") or "") == "true"

    def _visit(self, el: Any, tag: str, inside_content: bool) -> None:
        if tag == "br":
            self.pieces.append(_NEWLINE_MARK)
            return
        if tag in ("img", "input", "video", "audio", "picture", "source"):
            return
        if tag in _HEADING_TAGS or tag == "li":
            self.flush()
            self.kind = "heading" if tag in _HEADING_TAGS else "item"
            self.level = _HEADING_TAGS.get(tag, 0)
            self.continues = False
            self._inline(el, inside_content)
            self.flush()
            self.kind, self.level, self.continues = "text", 0, False
            return
        if tag == "sup" and el.text_content().strip().isdigit() and len(el) == 0:
            # footnote references, written as superscript digits in the printed text
            self.pieces.append(el.text_content().strip().translate(_SUPERSCRIPT))
            return
        if tag in ("td", "th"):
            self.pieces.append(" ")
            self._inline(el, inside_content)
            self.pieces.append(" ")
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            self._inline(el, inside_content)
            self.flush()
            return
        self._inline(el, inside_content)

    def _inline(self, el: Any, inside_content: bool) -> None:
        if el.text:
            self.pieces.append(el.text)
        self.walk(el, inside_content=inside_content)

    def render(self) -> str:
        chapter_levels = [
            b.level for b in self.blocks if b.kind == "heading" and _CHAPTER_LINE.match(b.text)
        ]
        levels = [b.level for b in self.blocks if b.kind == "heading"]
        top = min(chapter_levels or levels or [0])
        out: list[str] = []
        previous: _Block | None = None
        in_list = False  # the previous block is a list item or a line continuing one
        for block in self.blocks:
            line = block.text
            if block.kind == "heading" and block.level > top:
                if not line.startswith(_HEADING_MARKS) and not _CHAPTER_LINE.match(line):
                    line = "◆ " + line
            elif block.kind == "item" and not re.match(r"^(?:[-‐－・•]\s?)", line):
                line = "- " + line
            if previous is not None:
                together = in_list and block.kind == "item"
                out.append("\n" if together or block.after_break else "\n\n")
            out.append(line)
            previous = block
            in_list = block.kind == "item" or (in_list and block.after_break)
        return "".join(out) + "\n" if out else ""


def _collapse(raw: str) -> str:
    raw = raw.replace("\u00a0", " ")

    def space(match: re.Match[str]) -> str:
        run = match.group(0)
        start, end = match.start(), match.end()
        before = raw[start - 1] if start else ""
        after = raw[end] if end < len(raw) else ""
        if "\n" in run and before and after and _is_wide(before) and _is_wide(after):
            return ""
        return " "

    text = _HTML_SPACE.sub(space, raw)
    return text.replace(_NEWLINE_MARK, "\n")
