"""Text files: bytes in any common Japanese encoding in, one `str` with "\\n" line ends out.

Takes a text file's bytes (UTF-8 with or without BOM, CP932/Shift_JIS, EUC-JP, UTF-16 with or
without BOM, UTF-32 with BOM) and returns the decoded text, the encoding used and warnings
(`decode_text`). Also the pieces the PDF and HTML readers share: byte-order marks, the check
that a text is readable, and the width of a character.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from outlook_diff.errors import OutlookDiffError
from outlook_diff.read.rules import text_rules

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
SHIFT_JIS_LABELS = frozenset(
    {
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
)

# Python codecs that decode bytes to text but are not character encodings of a document: they
# turn harmless ASCII into any character at all (escape sequences, ACE labels), or refuse all.
_NOT_DOCUMENT_ENCODINGS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "utf-7"}
)

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

_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def head_text(head: bytes) -> str:
    """The first bytes as text, good enough to look for ASCII markup in any encoding."""
    bom = bom_of(head)
    if bom and bom[0].startswith(("utf-16", "utf-32")):
        return head.decode(bom[0], errors="ignore")  # the codec reads the BOM's byte order
    guess = _bomless_utf16(head)
    if guess:
        return head.decode(guess, errors="ignore")
    return head.decode("latin-1").lstrip("\u00ef\u00bb\u00bf")


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
    check_readable(text, source)
    return text, used, tuple(warnings)


def text_codec(encoding: str, source: str) -> str:
    """The Python codec an `--encoding` value names, or a one-line error saying what is wrong."""
    label = encoding.strip().lower()
    codec = "cp932" if label in SHIFT_JIS_LABELS else label
    try:
        info = codecs.lookup(codec)
    except (LookupError, ValueError, TypeError):
        raise OutlookDiffError(
            f"unknown encoding {encoding!r} (try utf-8, cp932, euc-jp or utf-16)", source
        ) from None
    # rot13, base64, zlib: bytes-to-bytes or str-to-str codecs that bytes.decode refuses
    is_text = getattr(info, "_is_text_encoding", True)
    if not is_text or info.name in _NOT_DOCUMENT_ENCODINGS:
        raise OutlookDiffError(
            f"--encoding {encoding!r} is not a text encoding (try utf-8, cp932, euc-jp or utf-16)",
            source,
        )
    return info.name


def _decode_as(data: bytes, encoding: str, source: str) -> tuple[str, str]:
    name = text_codec(encoding, source)
    try:
        return data.decode(name), display_name(name)
    except UnicodeDecodeError as e:
        offset = _error_offset(data, name, e)
        line = _line_at(data, offset, name)
        raise OutlookDiffError(
            f"not valid {display_name(name)}: bad byte at offset {offset} (line {line}); "
            "check the --encoding value",
            source,
        ) from None


def _error_offset(data: bytes, codec: str, error: UnicodeDecodeError) -> int:
    """The offset of the bad byte in the file: utf-8-sig counts from after its BOM."""
    if codecs.lookup(codec).name == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
        return error.start + len(codecs.BOM_UTF8)
    return int(error.start)


def _detect_and_decode(data: bytes, source: str, warnings: list[str]) -> tuple[str, str]:
    bom = bom_of(data)
    if bom:
        name = bom[0]
        try:
            return data.decode(name), name
        except UnicodeDecodeError as e:
            offset = _error_offset(data, name, e)
            line = _line_at(data, offset, name)
            raise OutlookDiffError(
                f"starts with a {name} byte-order mark but byte {offset} (line {line}) is not "
                f"{name}; mixed encodings in one file",
                source,
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        for utf16 in (_utf16_by_script(data), _bomless_utf16(data)):
            if utf16:
                try:
                    text = data.decode(utf16)
                except UnicodeDecodeError:
                    continue
                warnings.append(f"no byte-order mark; read as {utf16.upper()}")
                return text, utf16
        raise OutlookDiffError(f"binary file, not text (NUL byte at offset {nul})", source)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first_bad = e.start
    _refuse_mixed_with_utf8(data, first_bad, source)
    return _guess(data, source, warnings)


def bom_of(data: bytes) -> tuple[str, bytes] | None:
    for name, mark in _BOMS:
        if data.startswith(mark):
            return name, mark
    return None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of every ASCII character."""
    rules = text_rules()
    sample = data[:8192]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs < 2 or len(data) % 2:
        return None
    needed = max(2, int(pairs * rules.utf16_nul_share))
    if odd >= needed and even * rules.utf16_skew <= odd:
        return "utf-16-le"
    if even >= needed and odd * rules.utf16_skew <= even:
        return "utf-16-be"
    return None


# What Japanese text is made of: ASCII, kana, CJK ideographs and punctuation, full-width forms.
_PLAUSIBLE = re.compile(
    r"[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u2150-\u22ff\u2460-\u24ff\u2500-\u27bf"
    r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


def _utf16_by_script(data: bytes) -> str | None:
    """The byte order in which BOM-less UTF-16 reads as Japanese, when NUL bytes do not tell
    (as many U+3000 ideographic spaces as ASCII characters)."""
    if len(data) % 2:
        return None
    sample = data[:8192]
    best: tuple[float, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        decoded = sample.decode(codec, errors="replace")
        share = len(_PLAUSIBLE.findall(decoded)) / max(1, len(decoded))
        if best is None or share > best[0]:
            best = (share, codec)
    if best and best[0] >= text_rules().utf16_plausible:
        return best[1]
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
    lenient = data[: text_rules().guess_sample].decode("utf-8", errors="replace")
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

    rules = text_rules()
    # charset-normalizer reads all it is given; a megabyte (cut at a line end) is plenty to
    # guess from, and the whole file is then decoded strictly with the guess.
    sample = data
    if len(data) > rules.guess_sample:
        cut = data.rfind(b"\n", 0, rules.guess_sample)
        sample = data[: cut if cut > 0 else rules.guess_sample]
    matches = from_bytes(sample)
    best = matches.best()
    if best is None and sample is not data:
        matches = from_bytes(data)
        best = matches.best()
    if best is None:
        window = min(len(sample), 65536)
        if len(_CONTROL_BYTE.findall(sample[:65536])) > rules.control_share * window:
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
                f"mixed encodings: the file reads as {display_name(name)} up to byte {e.start} "
                f"(line {line}), which is not {display_name(name)}; pass --encoding or re-save it",
                source,
            ) from None
    family = _FAMILY.get(name, name)
    rivals = {
        _FAMILY.get(codecs.lookup(m.encoding).name, codecs.lookup(m.encoding).name) for m in matches
    } - {family}
    non_ascii = len(re.findall(rb"[\x80-\xff]", data[:65536]))
    if best.chaos > rules.chaos_warn or rivals or non_ascii < rules.min_non_ascii:
        warnings.append(
            f"encoding guessed as {display_name(name)} with low confidence; "
            "if the text looks garbled, pass --encoding"
        )
    return text, display_name(name)


def display_name(codec: str) -> str:
    """How an encoding is named to users: Python's canonical name with hyphens (euc-jp)."""
    return codecs.lookup(codec).name.replace("_", "-")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0d-\x1f\x7f-\x9f]")


def _check_is_text(text: str, source: str) -> None:
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) * text_rules().control_share):
        raise OutlookDiffError("binary file, not text (control characters throughout)", source)


# ---------------------------------------------------------------------------------------------
# Unreadable text (PDF fonts without a Unicode map, text decoded with the wrong encoding)

_CID_CODE = re.compile(r"\(cid:\d+\)")
_SPACES = re.compile(r"\s+")


def is_unreadable_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp == 0xFFFD
        or 0xE000 <= cp <= 0xF8FF
        or cp >= 0xF0000
        or (cp < 0x20 and ch not in "\t\n\x0c")
    )


_UNREADABLE_CHAR = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\x00-\x08\x0b\x0d-\x1f]")


def _unreadable_share(text: str) -> tuple[int, int, int]:
    """(unreadable characters, (cid:NNN) codes among them, all non-space characters); a
    `(cid:NNN)` code counts as one character."""
    cid_codes = len(_CID_CODE.findall(text))
    rest = _CID_CODE.sub("", text) if cid_codes else text
    # regular expressions, not Python loops: a 50 MB text is checked in a fraction of a second
    visible = len(_SPACES.sub("", rest))
    bad = len(_UNREADABLE_CHAR.findall(rest))
    return bad + cid_codes, cid_codes, visible + cid_codes


def check_readable(text: str, source: str) -> None:
    bad, cid_codes, total = _unreadable_share(text)
    if not total or bad / total <= text_rules().unreadable_refuse:
        return
    if cid_codes * 2 >= bad:
        raise OutlookDiffError(
            "text is unreadable: mostly (cid:NNN) codes, U+FFFD or private-use characters "
            "(extracted from a PDF font without Unicode map)",
            source,
        )
    # Private-use characters and U+FFFD without (cid:NNN) codes come from decoding with the
    # wrong encoding (UTF-16 in the wrong byte order, say) at least as often as from a PDF.
    raise OutlookDiffError(
        "text is undecodable: mostly U+FFFD or private-use characters; "
        "pass --encoding (e.g. cp932, euc-jp, utf-16-le)",
        source,
    )
