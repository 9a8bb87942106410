"""PDF files: a PDF's bytes in, its text layer as paragraphs (one per line) out.

Takes the bytes of a PDF with a text layer (encrypted with a user password or not) and returns
the text in the parse stage's shape plus warnings (`extract_pdf_text`). pdfium reports glyphs
with their boxes; lines are rejoined into paragraphs by their geometry (data/reading.toml,
[pdf]). A hostile file is refused before pdfium allocates for it: the streams pdfium decodes
for the text are inflated first with a bound, and the page count and the text extracted are
capped.

pypdfium2 is imported inside the functions that need it so that `--help` stays fast.
"""

from __future__ import annotations

import itertools
import re
import statistics
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from outlook_diff.errors import OutlookDiffError
from outlook_diff.read.rules import pdf_rules, text_rules
from outlook_diff.read.text import SUPERSCRIPT, is_unreadable_char, is_wide

# Limits that hold on hostile files. An edition is about 150 pages and 60,000 characters; the
# limits are far above any report and far below what exhausts a machine.
MAX_PAGES = 50_000
MAX_CHARS = 20_000_000
# Bytes the streams pdfium decodes to extract text (page contents, fonts, object streams) may
# inflate to, in all: a 1.5 MB file can otherwise inflate to gigabytes in memory.
MAX_INFLATED = 256 * 1024 * 1024

_WRONG_PASSWORD = "encrypted PDF: the password is wrong"
_INVENTED_SPACE = re.compile(r"(?<=[^\x00-\u2e7f]) +(?=[^\x00-\u2e7f])")
_DIGITS = frozenset("0123456789")


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
    data: bytes,
    *,
    source: str,
    password: str | None = None,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    max_inflated: int = MAX_INFLATED,
) -> tuple[str, tuple[str, ...]]:
    """Extract a PDF's text layer as paragraphs: returns (text, warnings).

    Lines are rejoined into paragraphs without inserting spaces between Japanese characters;
    a blank line separates paragraphs (a vertical gap, a short line ending a sentence, a new
    heading); headings, bullets and footnotes keep their own lines; running headers and page
    numbers are dropped. A PDF of more than `max_pages` pages, more than `max_chars` characters
    of text or streams inflating to more than `max_inflated` bytes is refused.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    rules = pdf_rules()
    if b"%%EOF" not in data[-2048:]:
        raise OutlookDiffError("damaged PDF: the file is truncated (no %%EOF at the end)", source)
    _check_inflated_size(data, max_inflated, source)
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
        if pages > max_pages:
            raise OutlookDiffError(
                f"PDF has {pages} pages, above the limit of {max_pages}; refusing it", source
            )
        lines: list[_PdfLine] = []
        readable = 0
        unreadable = 0
        pages_with_text = 0
        chars = 0
        for index in range(pages):
            # pdfium's own calls, not pypdfium2's page objects: their finalizers cost more
            # than the reading on a PDF of many short pages
            page = pdfium_c.FPDF_LoadPage(document.raw, index)
            textpage = pdfium_c.FPDFText_LoadPage(page) if page else None
            if not textpage:
                if page:
                    pdfium_c.FPDF_ClosePage(page)
                raise OutlookDiffError(f"damaged PDF: page {index + 1} cannot be read", source)
            try:
                chars += pdfium_c.FPDFText_CountChars(textpage)
                if chars > max_chars:
                    raise OutlookDiffError(
                        f"PDF text runs past {max_chars} characters (at page {index + 1}); "
                        "refusing it",
                        source,
                    )
                page_lines, good, bad = _page_lines(textpage, index)
            finally:
                pdfium_c.FPDFText_ClosePage(textpage)
                pdfium_c.FPDF_ClosePage(page)
            lines.extend(_merge_rows(page_lines))
            readable += good
            unreadable += bad
            pages_with_text += good + bad > 0
    finally:
        document.close()
    # A scanned document has no text on (most of) its pages; a long one with a short line on
    # every page has a text layer, however few characters per page that makes.
    if readable + unreadable < rules.min_chars_per_page * pages and (
        pages_with_text < rules.min_text_pages * pages
    ):
        raise OutlookDiffError("scanned PDF with no text layer; OCR is not supported", source)
    share = unreadable / (readable + unreadable)
    if share > text_rules().unreadable_refuse:
        raise OutlookDiffError("text layer is unreadable (font without Unicode map)", source)
    if share > text_rules().unreadable_warn:
        warnings.append(
            f"{unreadable} of {readable + unreadable} characters in the text layer are "
            "unreadable (font without Unicode map)"
        )
    lines = _drop_running_lines(lines, pages)
    text = _join_lines(lines)
    if not text.strip():
        raise OutlookDiffError("scanned PDF with no text layer; OCR is not supported", source)
    return text, tuple(warnings)


# ---------------------------------------------------------------------------------------------
# Decompression bombs

# A stream's keyword after its dictionary; the dictionary is what follows the last "obj" before.
_STREAM_KEYWORD = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_FILTERS = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_CHUNK = 1 << 16
_OUT_CHUNK = 1 << 20


def _check_inflated_size(data: bytes, limit: int, source: str) -> None:
    """Refuse a PDF whose Flate streams inflate to more than `limit` bytes, in all.

    pdfium inflates a page's content stream, its fonts and the object streams whole in memory;
    counted here with a bounded buffer first, a bomb costs a megabyte, not gigabytes. Images are
    left out: extracting text does not decode them.
    """
    total = 0
    for match in _STREAM_KEYWORD.finditer(data):
        head = data[max(0, match.start() - 4096) : match.start()]
        objects = list(_OBJ.finditer(head))
        dictionary = head[objects[-1].end() :] if objects else head
        if _IMAGE.search(dictionary):
            continue
        filters = _FILTERS.search(dictionary)
        if not filters or not re.match(rb"\[?\s*/(?:FlateDecode|Fl)\b", filters.group(1)):
            continue
        total += _inflated_size(data, match.end(), limit - total)
        if total > limit:
            raise OutlookDiffError(
                f"PDF streams inflate to more than {limit // (1024 * 1024)} MB (a decompression "
                "bomb?); refusing it",
                source,
            )


def _inflated_size(data: bytes, start: int, budget: int) -> int:
    """The size the zlib stream at `start` inflates to, counted up to just past `budget`."""
    inflater = zlib.decompressobj()
    size = 0
    position = start
    try:
        while not inflater.eof and position < len(data) and size <= budget:
            pending = data[position : position + _CHUNK]
            position += _CHUNK
            while pending and size <= budget and not inflater.eof:
                size += len(inflater.decompress(pending, _OUT_CHUNK))
                pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # a damaged stream: pdfium decides what it makes of it
    return size


# ---------------------------------------------------------------------------------------------
# Pages to lines


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


# One character as pdfium reports it: (text, left, right, index on the page, generated by pdfium)
_Char = tuple[str, float, float, int, bool]


def _page_lines(raw: Any, page: int) -> tuple[list[_PdfLine], int, int]:
    """The lines of a page's text (pdfium's FPDF_TEXTPAGE `raw`) in pdfium's reading order,
    and its (readable, unreadable) character counts."""
    import ctypes

    import pypdfium2.raw as pdfium_c

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
            if pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1 or is_unreadable_char(ch):
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
    rules = pdf_rules()
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
            if digit_size < rules.small_digit * size and raised - baseline > rules.raised * size:
                ch = ch.translate(SUPERSCRIPT)
        if ch.isspace():
            # pdfium invents spaces where glyphs are spread apart; between Japanese characters
            # (justified lines) they are not in the text.
            parts.append(" " if generated else ch)
            continue
        if previous is not None and left - previous[2] > rules.tab_gap * size:
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
    if is_wide(first[0]) or not first[0].isalnum():
        return first[2] - first[1]
    end = first[2]
    for c in placed[placed.index(first) + 1 :]:
        if c[0].isspace() or is_wide(c[0]):
            break
        end = c[2]
    return end - first[1]


def _merge_rows(lines: list[_PdfLine]) -> list[_PdfLine]:
    """Join lines pdfium split within one visual row: a footnote mark raised above the start of
    a footnote ("¹ 川崎研一…"), a page number set apart from its table-of-contents entry."""
    rules = pdf_rules()
    merged: list[_PdfLine] = []
    for line in lines:
        if not merged:
            merged.append(line)
            continue
        a = merged[-1]
        size = max(a.size, line.size)
        same_row = abs(a.baseline - line.baseline) < rules.same_row * size
        if not (same_row and line.left >= a.right - rules.row_overlap * size):
            merged.append(line)
            continue
        a_text, b_text = a.text, line.text
        if _is_raised_mark(a, line):
            a_text = a_text.translate(SUPERSCRIPT)
        elif _is_raised_mark(line, a):
            b_text = b_text.translate(SUPERSCRIPT)
        gap = line.left - a.right
        joint = "\t" if gap > rules.tab_gap * size else ""
        if (
            not joint
            and gap > rules.word_gap * size
            and not (is_wide(a_text[-1]) and is_wide(b_text[0]))
        ):
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
    rules = pdf_rules()
    return (
        mark.text.isdigit()
        and mark.size < rules.small_digit * line.size
        and mark.baseline - line.baseline > rules.raised * line.size
    )


def _drop_running_lines(lines: list[_PdfLine], pages: int) -> list[_PdfLine]:
    """Drop page numbers and running headers: the same text (digits aside) at the same height
    at the top or bottom of many pages."""
    if pages < 2:
        return lines
    rules = pdf_rules()
    edge_lines = rules.running_edge_lines
    by_page: dict[int, list[_PdfLine]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    counts: Counter[tuple[str, int]] = Counter()
    for page_lines in by_page.values():
        ordered = sorted(page_lines, key=lambda ln: -ln.baseline)
        edge = {id(ln): ln for ln in ordered[:edge_lines] + ordered[-edge_lines:]}
        for line in edge.values():
            counts[_running_key(line)] += 1
    needed = max(2, int(rules.running_share * pages + 0.999))
    running = {key for key, n in counts.items() if n >= needed}
    kept = [ln for ln in lines if _running_key(ln) not in running]
    # the same line on every page and nothing else is the text, not a running header
    return kept or lines


def _running_key(line: _PdfLine) -> tuple[str, int]:
    return re.sub(r"\d+", "#", line.text.replace(" ", "")), round(line.baseline)


# ---------------------------------------------------------------------------------------------
# Lines to paragraphs


def _frequent_edges(values: list[float], em: float, lines: int, merge: float) -> list[float]:
    """Positions shared by many lines (column edges), from a histogram with em/2 bins.

    A peak within `merge` ems right of a kept one is its variant (an indented first line,
    punctuation hanging past the margin) and is folded into it.
    """
    if not values:
        return []
    rules = pdf_rules()
    step = em / 2
    bins = Counter(round(v / step) for v in values)
    needed = max(rules.column_min_lines, int(rules.column_share * lines))
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
    rules = pdf_rules()
    em = statistics.median(ln.size for ln in lines)
    tolerance = rules.body_size_tolerance * em
    body_lines = [
        ln for ln in lines if abs(ln.size - em) < tolerance and len(ln.text) >= rules.body_min_chars
    ]
    rights = _frequent_edges(
        [ln.right for ln in body_lines], em, len(body_lines), merge=rules.right_edge_merge
    )
    lefts = _frequent_edges(
        [ln.left for ln in body_lines], em, len(body_lines), merge=rules.left_edge_merge
    )
    steps = [
        a.baseline - b.baseline
        for a, b in itertools.pairwise(lines)
        if a.page == b.page
        and rules.pitch_min * em < a.baseline - b.baseline < rules.pitch_max * em
        and abs(a.size - em) < tolerance
        and abs(b.size - em) < tolerance
    ]
    pitch = statistics.median(steps) if steps else rules.default_pitch * em
    page_right: dict[int, float] = {}
    for ln in lines:
        page_right[ln.page] = max(page_right.get(ln.page, 0.0), ln.right)

    def column_right(line: _PdfLine) -> float:
        # the right edge of the line's column: of the edges right of where the line starts, the
        # one nearest to where it ends (punctuation may hang past it)
        candidates = [e for e in rights if e > line.left + rules.column_min_width * line.size]
        if not candidates:
            return page_right[line.page]
        return min(candidates, key=lambda e: abs(e - line.right))

    def column_left(line: _PdfLine) -> float:
        candidates = [e for e in lefts if e <= line.left + rules.column_left_slack * line.size]
        return max(candidates) if candidates else line.left

    out: list[str] = [lines[0].text]
    in_list = bool(rules.list_item.match(lines[0].text))
    for a, b in itertools.pairwise(lines):
        separator = _separator(a, b, column_right(a), column_left(b), pitch, em, in_list)
        if separator == "" and _needs_space(a.text, b.text):
            separator = " "
        if separator == "\n\n":
            in_list = bool(rules.list_item.match(b.text))
        elif separator == "\n":
            in_list = in_list or bool(rules.list_item.match(b.text))
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
    rules = pdf_rules()
    jumped = a.page != b.page or b.baseline >= a.baseline - rules.column_jump * b.size
    ends_sentence = a.text.endswith(rules.sentence_end)
    paragraph = "\n" if in_list else "\n\n"
    if not jumped:
        step = a.baseline - b.baseline
        expected = pitch * max(a.size, b.size) / em
        if step > rules.paragraph_gap * expected:
            return "\n\n"
    if a.tabbed and b.tabbed:
        return "\n"  # table of contents rows
    if rules.block_start.match(b.text):
        return "\n\n"
    if rules.block_start.match(a.text) and _short(a, b, right_edge):
        return "\n\n"
    full = not _short(a, b, right_edge)
    if rules.line_start.match(b.text):
        return "\n"
    if rules.soft_bullet.match(b.text) and (not full or ends_sentence):
        return "\n"
    if a.tabbed or b.tabbed:
        return "\n"
    if max(a.size, b.size) > rules.size_change * min(a.size, b.size):
        return paragraph if ends_sentence else "\n"
    if not full:
        return paragraph if ends_sentence else "\n"
    if b.left - left_edge >= rules.indent * b.size and (
        ends_sentence or right_edge - a.right >= rules.short_of_full * a.size
    ):
        # a new paragraph, its first line indented; justified lines run exactly to the margin,
        # so one that stops short before an indent ends its paragraph even mid-sentence
        return paragraph
    return ""


def _short(a: _PdfLine, b: _PdfLine, right_edge: float) -> bool:
    """Did line `a` stop before the margin (so it ends a paragraph or is a heading)?"""
    rules = pdf_rules()
    remaining = right_edge - a.right
    if remaining < rules.full_slack * a.size:
        return False
    if remaining < rules.full_slack_open * a.size and not a.text.endswith(rules.sentence_end):
        return False
    # the next line's first word would not have fitted in the space left: a wrap, not an end
    return not b.first_unit + rules.wrap_slack * a.size > remaining


def _needs_space(before: str, after: str) -> bool:
    last, first = before[-1], after[0]
    return not (is_wide(last) or is_wide(first) or last in "-/(" or first in ",.;:)")
