"""The read stage: a path on disk in, the edition as plain text (`SourceText`) out.

Takes a text file in any common Japanese encoding (UTF-8 with or without BOM, CP932/Shift_JIS,
EUC-JP, UTF-16), a PDF with a text layer, or a saved HTML page, and returns the text in the
shape the parse stage expects: one paragraph per line, blank lines between paragraphs,
`第N章 …` / `◆ …` headings and `- ` bullets on lines of their own, "\\n" line endings. The kind
of input is detected from its first bytes, never from the file name; each kind has its module
(`text`, `pdf`, `html`), and their heuristics are data (data/reading.toml). Every problem is an
`OutlookDiffError` whose message is one line a user can act on, naming the file; nothing is
printed. Inputs are untrusted: sizes, page counts, inflated streams and extracted text are
bounded (docs/security.md).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from outlook_diff.errors import OutlookDiffError
from outlook_diff.limits import DEFAULT_MAX_SIZE, MAX_SIZE_LIMIT_MB, validate_max_size
from outlook_diff.read.html import extract_html_text
from outlook_diff.read.pdf import extract_pdf_text
from outlook_diff.read.text import decode_text, head_text

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MAX_SIZE_LIMIT_MB",
    "Kind",
    "SourceText",
    "decode_text",
    "extract_html_text",
    "extract_pdf_text",
    "read_source",
    "sniff_kind",
    "validate_max_size",
]


@dataclass(frozen=True)
class SourceText:
    """An edition as plain text, with how it was obtained."""

    text: str  # lines separated by "\n"
    encoding: str  # "utf-8", "utf-8-sig", "cp932", "euc-jp", "utf-16", "pdf", "html:utf-8", ...
    source: str  # the path as given
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "source": self.source,
            "warnings": list(self.warnings),
        }


Kind = Literal["text", "pdf", "html"]


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


def _read_bytes(path: Path, max_size: int) -> bytes:
    source = str(path)
    if not 0 < max_size <= MAX_SIZE_LIMIT_MB * 1024 * 1024:
        raise OutlookDiffError(
            f"--max-size must be between 1 and {MAX_SIZE_LIMIT_MB} (MB), not {_megabytes(max_size)}"
        )
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
    head = head_text(data[:4096])
    # Saved pages often open with an XML declaration or a "saved from url" comment.
    head = re.sub(r"^(?:\s|\ufeff|<\?xml[^>]*\?>|<!--.*?-->)+", "", head, flags=re.S)
    lowered = head[:64].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "html"
    return "text"
