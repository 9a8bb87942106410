"""Web pages: a saved HTML page's bytes in, its article text in the parse stage's shape out.

Takes an HTML page (any web encoding, declared or detected) and returns the text, the encoding
("html:<encoding>") and warnings (`extract_html_text`). Navigation, the page header and footer,
scripts, asides and ruby readings are dropped; block elements become lines, h1–h4 heading lines
(those below the chapter-heading level get a `◆ ` mark, as in the printed edition), list items
`- ` bullets. The tree is walked with an explicit stack, so no nesting depth exhausts Python's
recursion limit.

lxml is imported inside `extract_html_text` so that `--help` stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from outlook_diff.errors import OutlookDiffError
from outlook_diff.read.rules import html_rules
from outlook_diff.read.text import (
    SUPERSCRIPT,
    bom_of,
    check_readable,
    decode_text,
    display_name,
    head_text,
    is_wide,
)
from outlook_diff.read.web_encodings import web_codec

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
# Whitespace that HTML collapses; a run containing a line break between two Japanese characters
# disappears (CSS Text 3 segment-break rule), any other run becomes one space.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_NEWLINE_MARK = "\x00"  # stands for <br> while whitespace is collapsed


def extract_html_text(
    data: bytes, *, source: str, encoding: str | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """Extract a web page's text: returns (text, "html:<encoding>", warnings).

    A `<meta charset>` (or XML declaration) is followed when it names a web encoding of the
    WHATWG Encoding Standard; any other name (a Python-only codec such as `unicode_escape`) is
    ignored, as a browser ignores it, and the encoding is detected instead.
    """
    import lxml.etree
    import lxml.html

    warnings: list[str] = []
    declared = None if encoding or bom_of(data) else _declared_charset(data)
    markup: str | None = None
    used = ""
    if declared:
        codec = web_codec(declared)
        if codec is None:
            warnings.append(
                f"page declares charset {declared!r}, which is not a web encoding; "
                "detecting instead"
            )
        else:
            try:
                markup = data.decode(codec)
                used = display_name(codec)
            except UnicodeDecodeError:
                warnings.append(f"page declares charset {declared} but is not valid {declared}")
    if markup is None:
        markup, used, more = decode_text(data, source=source, encoding=encoding)
        warnings.extend(more)
    markup = markup.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # lxml refuses str input that still carries an XML encoding declaration.
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        raise OutlookDiffError("HTML page has no content", source) from None
    # libxml2 stops at its resource limits (elements nested 256 deep, a text node over 10 MB)
    # and keeps what it parsed so far: the page cannot be read whole.
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            if "depth" in entry.message.lower():
                raise OutlookDiffError(
                    "HTML page nests elements more than 256 levels deep; refusing it", source
                )
            raise OutlookDiffError(
                f"HTML page exceeds a parser limit ({entry.message.strip()}); refusing it", source
            )
    blocks = _HtmlBlocks()
    body = root.find("body")
    blocks.walk(body if body is not None else root)
    blocks.flush()
    text = blocks.render()
    if not text.strip():
        raise OutlookDiffError("HTML page has no text", source)
    check_readable(text, source)
    return text, f"html:{used}", tuple(warnings)


def _declared_charset(data: bytes) -> str | None:
    head = head_text(data[:4096])
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


# What the walk does next, kept on an explicit stack (last in, first out):
# ("element", el, inside_content) visits an element, ("text", s) gathers inline text,
# ("flush",) closes a block, ("open", kind, level) starts a heading or list item, ("close",)
# ends it.
_Step = tuple[Any, ...]


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

    def walk(self, root: Any) -> None:
        """Visit the children of `root` in document order, however deeply they nest."""
        stack: list[_Step] = [("element", child, False) for child in reversed(root)]
        while stack:
            step = stack.pop()
            action = step[0]
            if action == "element":
                stack.extend(reversed(self._element(step[1], step[2])))
            elif action == "text":
                self.pieces.append(step[1])
            elif action == "flush":
                self.flush()
            elif action == "open":
                self.kind, self.level, self.continues = step[1], step[2], False
            else:  # close
                self.kind, self.level, self.continues = "text", 0, False

    def _element(self, el: Any, inside_content: bool) -> list[_Step]:
        """The steps one element stands for, its tail text last."""
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower().rpartition("}")[2]
        steps: list[_Step] = []
        if tag and not self._dropped(el, tag, inside_content):
            steps = self._visit(el, tag, inside_content or tag in _CONTENT_CONTAINERS)
        if el.tail:
            steps.append(("text", el.tail))
        return steps

    def _dropped(self, el: Any, tag: str, inside_content: bool) -> bool:
        if tag in _DROPPED_TAGS:
            return True
        if tag in ("header", "footer") and not inside_content:
            return True
        if (el.get("role") or "").lower() in _DROPPED_ROLES:
            return True
        return el.get("hidden") is not None or (el.get("aria-hidden") or "") == "true"

    def _visit(self, el: Any, tag: str, inside_content: bool) -> list[_Step]:
        if tag == "br":
            return [("text", _NEWLINE_MARK)]
        if tag in ("img", "input", "video", "audio", "picture", "source"):
            return []
        if tag in _HEADING_TAGS or tag == "li":
            kind = "heading" if tag in _HEADING_TAGS else "item"
            return [
                ("flush",),
                ("open", kind, _HEADING_TAGS.get(tag, 0)),
                *self._inline(el, inside_content),
                ("flush",),
                ("close",),
            ]
        if tag == "sup" and len(el) == 0 and el.text_content().strip().isdigit():
            # footnote references, written as superscript digits in the printed text
            return [("text", el.text_content().strip().translate(SUPERSCRIPT))]
        if tag in ("td", "th"):
            return [("text", " "), *self._inline(el, inside_content), ("text", " ")]
        if tag in _BLOCK_TAGS:
            return [("flush",), *self._inline(el, inside_content), ("flush",)]
        return self._inline(el, inside_content)

    def _inline(self, el: Any, inside_content: bool) -> list[_Step]:
        steps: list[_Step] = [("text", el.text)] if el.text else []
        steps.extend(("element", child, inside_content) for child in el)
        return steps

    def render(self) -> str:
        rules = html_rules()
        chapter_levels = [
            b.level for b in self.blocks if b.kind == "heading" and rules.chapter_line.match(b.text)
        ]
        levels = [b.level for b in self.blocks if b.kind == "heading"]
        top = min(chapter_levels or levels or [0])
        out: list[str] = []
        previous: _Block | None = None
        in_list = False  # the previous block is a list item or a line continuing one
        for block in self.blocks:
            line = block.text
            if block.kind == "heading" and block.level > top:
                if not line.startswith(rules.heading_marks) and not rules.chapter_line.match(line):
                    line = "◆ " + line
            elif block.kind == "item" and not rules.item_marks.match(line):
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
        if "\n" in run and before and after and is_wide(before) and is_wide(after):
            return ""
        return " "

    text = _HTML_SPACE.sub(space, raw)
    return text.replace(_NEWLINE_MARK, "\n")
