"""Build PDF fixtures for the read-stage tests from the shipped edition texts.

The PDFs imitate a typeset edition: body lines wrapped at the page width (so the reader has to
rejoin them), a larger font for chapter headings, a vertical gap where the text has a blank line,
table-of-contents page numbers set flush right, and page numbers / a running header that the
reader must drop. Nothing here is shipped; reportlab and Pillow are test-only dependencies.
"""

from __future__ import annotations

import io
import re

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "HeiseiMin-W3"
BODY_SIZE = 10.0
HEADING_SIZE = 13.0
CAPTION_SIZE = 8.0
LEADING = 1.5  # line pitch as a multiple of the font size
MARGIN_X = 56.0
MARGIN_TOP = 60.0
MARGIN_BOTTOM = 60.0

# Japanese line-breaking rule (kinsoku): these never start a line; a typesetter lets them hang
# past the margin instead, so full lines in the fixture end slightly ragged like real ones.
_NO_LINE_START = set(
    "、。，．,.）」』】〕〉》］｝)]}・ー〜～ぁぃぅぇぉっゃゅょァィゥェォッャュョ！？!?：；:;"
)
# Latin words, numbers and URLs are not broken inside unless longer than a whole line.
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:/%&@#?=_+\-']*|\s|.", re.S)
_CHAPTER_HEADING = re.compile(r"^第\s*\d+\s*章")
_CAPTION = re.compile(r"写真")
_FOOTNOTE_MARK = re.compile("[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_PLAIN_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_NOT_BODY = re.compile(r"^(?:第\s*\d+\s*章|[◆■・•（(<¹²³]|- )")


def _is_body(line: str) -> bool:
    return not _NOT_BODY.match(line) and len(line) > 40


_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_registered = True


def wrap_line(text: str, width: float, size: float, indent: float = 0.0) -> list[str]:
    """Break one source line into typeset lines no wider than `width` (kinsoku aside); the
    first line is `indent` narrower."""

    def w(s: str) -> float:
        return float(pdfmetrics.stringWidth(s, FONT, size))

    lines: list[str] = []
    current = ""
    for unit in _UNIT.findall(text):
        if current and w(current + unit) > width - (0.0 if lines else indent):
            if unit.isspace():
                # a space at the break disappears, as in real typesetting
                lines.append(current)
                current = ""
                continue
            if unit[0] in _NO_LINE_START and len(unit) == 1:
                current += unit  # hanging punctuation
                continue
            if w(unit) > width:
                # a URL longer than a line: break it anywhere
                for ch in unit:
                    if current and w(current + ch) > width:
                        lines.append(current)
                        current = ""
                    current += ch
                continue
            lines.append(current)
            current = "" if unit.isspace() else unit
            continue
        if not current and unit.isspace():
            continue
        current += unit
    if current:
        lines.append(current)
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 1:
        # No single-character last line: typesetters pull one character down (and pdfium does
        # not extract a lone glyph of a non-embedded CID font, which reportlab produces).
        lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
    return lines


def edition_pdf(
    text: str,
    *,
    running_header: str | None = None,
    page_numbers: bool = True,
    user_password: str | None = None,
    owner_password: str | None = None,
    indent_paragraphs: bool = True,
    columns: int = 1,
    raised_footnotes: bool = False,
) -> bytes:
    """Typeset `text` (one paragraph per line, blank lines as vertical space) into a PDF.

    With `columns=2` the title page and table of contents stay in one column and the body
    starts on a new page in two columns, as printed reports are laid out. With
    `raised_footnotes`, footnote marks (¹²³) are set as small raised digits, as typesetters do.
    """
    _register_font()
    buffer = io.BytesIO()
    encrypt = None
    if user_password is not None or owner_password is not None:
        encrypt = StandardEncryption(
            user_password or "", ownerPassword=owner_password or user_password, canCopy=0
        )
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    page_width, page_height = A4
    gutter = 2 * BODY_SIZE
    full_width = page_width - 2 * MARGIN_X
    body_width = full_width
    top = page_height - MARGIN_TOP
    page = 1
    column = 0
    layout_columns = 1  # until the table of contents is over
    seen_toc = False
    y: float | None = None  # baseline of the last line drawn on this page
    pending = 0.0  # vertical space owed for blank lines

    def decorate() -> None:
        if page_numbers:
            pdf.setFont(FONT, 9)
            pdf.drawCentredString(page_width / 2, 30, str(page))
        if running_header and page > 1:
            pdf.setFont(FONT, 8)
            pdf.drawRightString(page_width - MARGIN_X, page_height - 30, running_header)

    def place(size: float) -> float:
        """The baseline for the next line; a new page when it does not fit. Space owed for
        blank lines is dropped at a page top, as a typesetter does."""
        nonlocal y, page, pending, column
        below = top if y is None else y - pending - size * LEADING
        pending = 0.0
        if below < MARGIN_BOTTOM:
            if column + 1 < layout_columns:
                column += 1
            else:
                decorate()
                pdf.showPage()
                page += 1
                column = 0
            below = top
        y = below
        return below

    def left() -> float:
        return float(MARGIN_X + column * (body_width + gutter))

    for source_line in text.split("\n"):
        if not source_line.strip():
            if y is not None and pending == 0.0:
                pending = BODY_SIZE * LEADING
            continue
        is_toc = "\t" in source_line
        seen_toc = seen_toc or is_toc
        if seen_toc and not is_toc and columns > layout_columns:
            decorate()
            pdf.showPage()
            page += 1
            y, pending, column = None, 0.0, 0
            layout_columns = columns
            body_width = (full_width - (columns - 1) * gutter) / columns
        size = BODY_SIZE
        if _CHAPTER_HEADING.match(source_line) and not is_toc:
            size = HEADING_SIZE
        elif _CAPTION.search(source_line) and len(source_line) < 80:
            size = CAPTION_SIZE  # photo captions are set small, as in the printed edition
        if is_toc:
            title, _, number = source_line.rpartition("\t")
            baseline = place(size)
            pdf.setFont(FONT, size)
            pdf.drawString(left(), baseline, title)
            pdf.drawRightString(left() + body_width, baseline, number)
            continue
        # Body paragraphs open with a one-character indent (字下げ), as Japanese prose is set;
        # headings, bullets, captions and the sign-off start at the margin.
        indent = size if indent_paragraphs and _is_body(source_line) and size == BODY_SIZE else 0
        for n, typeset in enumerate(wrap_line(source_line, body_width, size, indent)):
            baseline = place(size)
            pdf.setFont(FONT, size)
            x = left() + (indent if n == 0 else 0)
            if raised_footnotes and _FOOTNOTE_MARK.search(typeset):
                _draw_raised(pdf, x, baseline, typeset, size)
            else:
                pdf.drawString(x, baseline, typeset)
    decorate()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_raised(pdf: canvas.Canvas, x: float, y: float, line: str, size: float) -> None:
    """Draw a line whose superscript digits become small digits above the baseline."""
    text = pdf.beginText(x, y)
    for run in re.split(f"({_FOOTNOTE_MARK.pattern})", line):
        if not run:
            continue
        if _FOOTNOTE_MARK.fullmatch(run):
            text.setFont(FONT, size * 0.6)
            text.setRise(size * 0.4)
            text.textOut(run.translate(_PLAIN_DIGITS))
            text.setRise(0)
            text.setFont(FONT, size)
        else:
            text.setFont(FONT, size)
            # pdfium drops a lone glyph of a non-embedded CID font (see wrap_line): a trailing
            # space keeps "。" after a mark from standing alone
            text.textOut(run if len(run) > 1 else run + " ")
    pdf.drawText(text)


def image_only_pdf() -> bytes:
    """A 'scanned' page: the text is pixels in an image, there is no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    image = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(image)
    for row in range(8):
        draw.rectangle((20, 20 + row * 20, 560 - row * 30, 30 + row * 20), fill=0)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawImage(ImageReader(image), 50, 500, width=500, height=170)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _assemble(objects: list[bytes]) -> bytes:
    """Write numbered PDF objects with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def unmapped_font_pdf(lines: int = 20) -> bytes:
    """Text whose font maps every glyph to a private-use code point, as broken subset fonts do."""
    content = bytearray(b"BT /F1 11 Tf 14 TL 50 780 Td\n")
    for row in range(lines):
        content += b"(%s) '\n" % (b"Lorem ipsum dolor sit amet row %d" % row)
    content += b"ET"
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfrange <20> <7E> <E020> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            _stream(bytes(content)),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
            _stream(cmap),
        ]
    )


_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def many_pages_pdf(pages: int, line: bytes = b"Page text") -> bytes:
    """`pages` pages sharing one content stream that sets one short line: a long PDF in a few
    bytes per page."""
    content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % line
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(pages))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    )
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            _HELVETICA,
            _stream(content),
            *([page] * pages),
        ]
    )


def inflating_pdf(inflated: int) -> bytes:
    """One page whose content stream sets a line of text, then inflates to `inflated` bytes of
    spaces: a decompression bomb when `inflated` is large (deflate's best ratio is about 1000:1).

    The deflate stream is written once per megabyte and repeated (a full flush makes the blocks
    independent), so a gigabyte-sized bomb is built in a fraction of a second.
    """
    import zlib

    head = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n"
    block = b" " * (1 << 20)
    blocks, rest = divmod(max(0, inflated - len(head)), len(block))
    deflate = zlib.compressobj(9)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    repeated = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(block[:rest]) + deflate.flush(zlib.Z_FINISH)
    checksum = zlib.adler32(head)
    for _ in range(blocks):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(block[:rest], checksum)
    # the zlib trailer is the Adler-32 of all the inflated bytes, big-endian
    body = start + repeated * blocks + tail[:-4] + checksum.to_bytes(4, "big")
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            _HELVETICA,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            stream,
        ]
    )


def fixed_width_pdf(text: str, chars: int = 40) -> bytes:
    """`text` set `chars` characters a line, one line after another, each paragraph (source
    line) on lines of its own, a blank line between paragraphs: the plainest PDF of a text."""
    _register_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page_height = A4[1]
    y = page_height - MARGIN_TOP
    pdf.setFont(FONT, BODY_SIZE)
    for paragraph in text.split("\n"):
        for start in range(0, max(len(paragraph), 1), chars):
            if y < MARGIN_BOTTOM:
                pdf.showPage()
                pdf.setFont(FONT, BODY_SIZE)
                y = page_height - MARGIN_TOP
            pdf.drawString(MARGIN_X, y, paragraph[start : start + chars])
            y -= BODY_SIZE * 1.7
    pdf.save()
    return buffer.getvalue()
