"""The parse stage: an edition's plain text in, an `Edition` out.

The text is what PDF extraction gives: a title block, a table of contents (entries end in a tab
and a page number), front matter, then chapters opened by `第N章 タイトル` headings, divided by
◆ headings, closed by a `（脱稿日 …）` sign-off, sometimes followed by footnotes. On the way the
parser removes photo captions, rejoins paragraphs cut by page breaks or captions, rejoins a
chapter title broken over two lines, gathers recommendation bullets (and their continuation
lines), and keeps footnotes apart from the body. Patterns live in data/parsing.toml.

The original text is kept for quoting; `outlook_diff.normalize` is used only to compare.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache

from outlook_diff.datafiles import load_table
from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Chapter, Edition, Paragraph, Recommendation, Section
from outlook_diff.normalize import normalize, remove_japanese_spaces


@dataclass(frozen=True)
class _Rules:
    chapter: re.Pattern[str]
    section: re.Pattern[str]
    signoff: re.Pattern[str]
    toc: re.Pattern[str]
    rec_headings: tuple[str, ...]
    bullets: tuple[str, ...]
    caption: re.Pattern[str]
    caption_max: int
    paragraph_end: tuple[str, ...]
    recommendation_end: tuple[str, ...]
    no_sentence_start: str
    footnote: re.Pattern[str]
    url_line: re.Pattern[str]
    byline_role: re.Pattern[str]
    byline_name: re.Pattern[str]


@cache
def _rules() -> _Rules:
    t = load_table("parsing.toml")
    return _Rules(
        chapter=re.compile(t["chapter_heading"]),
        section=re.compile(t["section_heading"]),
        signoff=re.compile(t["signoff"]),
        toc=re.compile(t["toc_entry"]),
        rec_headings=tuple(normalize(h) for h in t["recommendation_headings"]),
        bullets=tuple(sorted(t["bullet_markers"], key=len, reverse=True)),
        caption=re.compile(t["caption_credit"]),
        caption_max=int(t["caption_max_chars"]),
        paragraph_end=tuple(t["paragraph_end"]),
        recommendation_end=tuple(t["recommendation_end"]),
        no_sentence_start=str(t["no_sentence_start"]),
        footnote=re.compile(t["footnote"]),
        url_line=re.compile(t["url_line"]),
        byline_role=re.compile(t["byline_role"]),
        byline_name=re.compile(t["byline_name"]),
    )


# ---------------------------------------------------------------------------------------------
# Sentences


_OPENERS = "「『（(【〔［"
_CLOSERS = "」』）)】〕］"
_TERMINALS = "。！？!?"


def split_sentences(text: str) -> tuple[str, ...]:
    """Split on 。！？ outside brackets: 「…。…」 stays one sentence with what surrounds it."""
    sentences: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif ch in _TERMINALS and depth == 0:
            # Keep a closing quote or bracket that follows the terminal with this sentence.
            end = i + 1
            while end < len(text) and text[end] in _CLOSERS:
                end += 1
            piece = text[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return tuple(sentences)


# ---------------------------------------------------------------------------------------------
# Lines


def _fold(line: str) -> str:
    """NFKC for recognising structure (full-width digits in headings), not for quoting."""
    return unicodedata.normalize("NFKC", line).strip()


def _clean_title(title: str) -> str:
    title = remove_japanese_spaces(title.strip())
    return re.sub(r"\s+", " ", title)


def _iso_date(year: str, month: str, day: str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


@dataclass
class _Block:
    """A chapter's lines between its heading and the next heading, while it is being parsed."""

    number: int | None
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)


def _toc_entries(lines: list[str]) -> tuple[dict[int, str], list[str], int]:
    """Table of contents: chapter titles by number, front-matter titles, index after the TOC."""
    rules = _rules()
    chapters: dict[int, str] = {}
    front: list[str] = []
    last = -1
    for i, raw in enumerate(lines):
        if "\t" not in raw and not re.search(r"\s{2,}\d+\s*$", raw):
            continue
        m = rules.toc.match(raw.strip())
        if not m:
            continue
        entry = m.group(1).strip()
        cm = rules.chapter.match(_fold(entry))
        if cm:
            chapters[int(cm.group(1))] = _clean_title(entry[entry.find("章") + 1 :])
        else:
            front.append(entry)
        last = i
    return chapters, front, last + 1


def _title_block(lines: list[str], stop: int) -> tuple[str, str]:
    """The edition title (戦略アウトルック 2025) and subtitle printed before the contents."""
    head = [ln.strip() for ln in lines[:stop] if ln.strip()]
    title_parts: list[str] = []
    rest: list[str] = []
    for i, line in enumerate(head):
        title_parts.append(line)
        if re.search(r"(19|20)\d\d", line):
            rest = head[i + 1 :]
            break
    else:
        return (head[0] if head else ""), ""
    subtitle_lines: list[str] = []
    for line in rest:
        if "\t" in line or re.search(r"(研究所|Institute|財団)", line):
            break
        subtitle_lines.append(line)
    return " ".join(title_parts), "".join(subtitle_lines)


def _split_blocks(lines: list[str], start: int, front_titles: list[str]) -> list[_Block]:
    """Cut the body into chapters at 第N章 headings and at front-matter titles from the TOC."""
    rules = _rules()
    front_keys = {normalize(t): t for t in front_titles}
    blocks: list[_Block] = []
    i = start
    while i < len(lines):
        raw = lines[i].strip()
        folded = _fold(raw)
        m = rules.chapter.match(folded) if raw else None
        if m and "\t" not in lines[i]:
            title = raw[raw.find("章") + 1 :].strip()
            # A title broken over two lines ends in a colon (2025 chapter 8): take the next line.
            j = i + 1
            while title.endswith(("：", ":")):
                while j < len(lines) and not lines[j].strip():
                    j += 1
                nxt = lines[j].strip() if j < len(lines) else ""
                if not nxt or nxt.startswith("◆") or rules.chapter.match(_fold(nxt)):
                    break
                title += nxt
                j += 1
            blocks.append(_Block(int(m.group(1)), "chapter", _clean_title(title)))
            i = j if j > i + 1 else i + 1
            continue
        if raw and normalize(raw) in front_keys:
            blocks.append(_Block(None, "front", _clean_title(raw)))
            i += 1
            continue
        if blocks:
            blocks[-1].lines.append(lines[i])
        i += 1
    return blocks


def _is_caption(line: str, rules: _Rules) -> bool:
    return (
        len(line) <= rules.caption_max
        and not line.endswith("。")
        and bool(rules.caption.search(line))
    )


def _unclosed(line: str) -> bool:
    return line.count("（") + line.count("(") > line.count("）") + line.count(")")


def _units(block_lines: list[str]) -> list[tuple[str, bool]]:
    """Non-blank lines with a flag "follows a blank line", captions removed."""
    rules = _rules()
    units: list[tuple[str, bool]] = []
    blank = True
    for raw in block_lines:
        line = raw.strip()
        if not line:
            blank = True
            continue
        if (
            units
            and not blank
            and _unclosed(units[-1][0])
            and _is_caption(units[-1][0] + line, rules)
        ):
            # A caption broken over two lines inside its parentheses (2026 chapter 8:
            # …戦略核演習を実施（2025年10月 / 提供：… / アフロ）).
            units.pop()
            blank = True
            continue
        if _is_caption(line, rules):
            # The caption's title stands alone on the line just before its credit.
            if units and not blank:
                prev = units[-1][0]
                if not prev.endswith(rules.paragraph_end) and len(prev) <= 60:
                    units.pop()
            blank = True
            continue
        units.append((line, blank))
        blank = False
    return units


def _bullet(line: str, rules: _Rules) -> str | None:
    for marker in rules.bullets:
        if line.startswith(marker):
            body = line[len(marker) :].strip()
            # "- ・ text": a second marker left by the extraction.
            for inner in rules.bullets:
                if body.startswith(inner) and len(inner) == 1 and inner in "・•":
                    body = body[1:].strip()
            return body if body else None
    return None


_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30ff]")


def _join_at_break(before: str, after: str) -> str:
    """Join a paragraph cut by a page break or caption.

    The extraction prints the kana at a page break twice, at the foot of one page and the head
    of the next (2025 chapter 13: 情報であ[る] / [る]か否か; 2026 chapter 2: 限定的であ[る。] /
    [る]とみられる): a kana repeated exactly across the break is one kana.
    """
    if before and after and before[-1] == after[0] and _KANA.match(after[0]):
        return before + after[1:]
    return before + after


@dataclass
class _SectionDraft:
    heading: str | None
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    is_recommendations: bool = False


def _parse_block(block: _Block, chapter_id: str) -> Chapter:
    rules = _rules()
    units = _units(block.lines)
    authors: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    date: str | None = None
    footnotes: list[str] = []
    body: list[tuple[str, bool]] = []
    signed = False
    for line, after_blank in units:
        m = rules.signoff.match(_fold(line))
        if m and not signed:
            date = _iso_date(m.group(1), m.group(2), m.group(3))
            parts = [p.strip() for p in re.split(r"[／/]", m.group(4)) if p.strip()]
            if parts:
                authors = tuple(a.strip() for a in re.split(r"[、，,]", parts[0]) if a.strip())
                affiliations = tuple(parts[1:])
            signed = True
            continue
        if signed:
            # After the sign-off: footnotes (and URL lines continuing them); anything else is
            # back matter of the edition (the colophon after the last chapter), not this chapter.
            if rules.footnote.match(line) and not rules.url_line.match(line):
                footnotes.append(line)
            elif rules.url_line.match(line) and footnotes:
                footnotes[-1] = f"{footnotes[-1]} {line}"
            continue
        body.append((line, after_blank))

    if block.kind == "front" and not authors:
        body, authors, affiliations = _front_byline(body, rules)

    drafts: list[_SectionDraft] = [_SectionDraft(None)]
    for line, after_blank in body:
        m = rules.section.match(line)
        if m:
            heading = _clean_title(m.group(1))
            drafts.append(
                _SectionDraft(heading, is_recommendations=normalize(heading) in rules.rec_headings)
            )
            continue
        draft = drafts[-1]
        if (
            block.kind == "front"
            and rules.footnote.match(line)
            and line.startswith(("（注", "(注"))
        ):
            footnotes.append(line)
            continue
        if draft.is_recommendations:
            bullet = _bullet(line, rules)
            if bullet is not None:
                draft.bullets.append(bullet)
                continue
            if draft.bullets and not after_blank:
                # A bullet that runs on to a new line without a marker (2026 chapter 6).
                draft.bullets[-1] += line
                continue
        if draft.paragraphs and not draft.bullets:
            previous = draft.paragraphs[-1]
            complete = (
                draft.is_recommendations
                and after_blank
                and previous.endswith(rules.recommendation_end)
                and line[0] not in rules.no_sentence_start
            )
            if not complete and not previous.endswith(rules.paragraph_end):
                # Cut by a page break or a photo caption: the paragraph continues here.
                draft.paragraphs[-1] = _join_at_break(previous, line)
                continue
            if line[0] in rules.no_sentence_start:
                # No sentence starts with a particle or an inflection: this continues the
                # paragraph before (2026 chapter 2: …232条（安全保障） / に基づき…). When the
                # extraction also closed the sentence at the page break (限定的である。 /
                # るとみられる。), that 。 is the extraction's, not the author's.
                if previous.endswith("。"):
                    previous = previous[:-1]
                draft.paragraphs[-1] = _join_at_break(previous, line)
                continue
        draft.paragraphs.append(line)

    sections: list[Section] = []
    recommendation_texts: list[str] = []
    for draft in drafts:
        paragraphs = list(draft.paragraphs)
        if draft.is_recommendations:
            if draft.bullets:
                recommendation_texts.extend(draft.bullets)
            else:
                # Recommendations written as plain paragraphs (2026 chapter 2).
                recommendation_texts.extend(paragraphs)
                paragraphs = []
        if not paragraphs:
            # A heading with nothing under it (a 提言 heading whose bullets became
            # recommendations) is not a section of the body.
            continue
        sections.append(
            Section(
                draft.heading,
                tuple(Paragraph(p, split_sentences(p)) for p in paragraphs),
            )
        )
    recommendations = tuple(
        Recommendation(chapter_id, i, text) for i, text in enumerate(recommendation_texts, 1)
    )
    return Chapter(
        id=chapter_id,
        number=block.number,
        kind="front" if block.kind == "front" else "chapter",
        title=block.title,
        toc_title=None,
        authors=authors,
        affiliations=affiliations,
        date=date,
        sections=tuple(sections),
        recommendations=recommendations,
        footnotes=tuple(footnotes),
    )


def _front_byline(
    body: list[tuple[str, bool]], rules: _Rules
) -> tuple[list[tuple[str, bool]], tuple[str, ...], tuple[str, ...]]:
    """Front matter signs with a role line and a name line, at its start or its end."""
    for at in (0, len(body) - 2):
        if at < 0 or at + 1 >= len(body):
            continue
        role, name = body[at][0], body[at + 1][0]
        if len(role) <= 30 and rules.byline_role.search(role) and rules.byline_name.match(name):
            rest = body[:at] + body[at + 2 :]
            return rest, (name.strip(),), (role.strip(),)
    return body, (), ()


def parse(
    text: str,
    *,
    label: str | None = None,
    source: str = "",
    encoding: str = "utf-8",
) -> Edition:
    """Parse an edition's text. Raises OutlookDiffError when no text can be found in it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        raise OutlookDiffError("empty file: no text to compare", source or None)
    toc_chapters, toc_front, body_start = _toc_entries(lines)
    title, subtitle = _title_block(lines, body_start if body_start else min(len(lines), 12))
    if label is None:
        m = re.search(r"(19|20)\d\d", _fold(title))
        label = m.group(0) if m else "edition"

    warnings: list[str] = []
    blocks = _split_blocks(lines, body_start, toc_front)
    if not any(b.kind == "chapter" for b in blocks):
        # Not an edition of the usual shape: compare it as one chapter of ◆ sections.
        warnings.append("no chapter headings (第N章) found: the whole text is read as one chapter")
        first = next((ln.strip() for ln in lines if ln.strip()), "")
        blocks = [b for b in blocks if b.kind == "front"] + [
            _Block(1, "chapter", _clean_title(first[:60]), lines[body_start:])
        ]

    chapters: list[Chapter] = []
    seen: dict[str, int] = {}
    front_count = 0
    for block in blocks:
        if block.kind == "front":
            front_count += 1
            base = f"{label}/front-{front_count}"
        else:
            base = f"{label}/ch{block.number:02d}"
        seen[base] = seen.get(base, 0) + 1
        chapter_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
        if seen[base] == 2:
            warnings.append(f"chapter number {block.number} appears more than once: both kept")
        chapter = _parse_block(block, chapter_id)
        toc_title = toc_chapters.get(block.number) if block.number is not None else None
        if toc_title is not None and normalize(toc_title) != normalize(chapter.title):
            chapter = replace(chapter, toc_title=toc_title)
        chapters.append(chapter)

    if not any(s.paragraphs for c in chapters for s in c.sections) and not any(
        c.recommendations for c in chapters
    ):
        raise OutlookDiffError("no chapter or paragraph text found", source or None)
    return Edition(
        label=label,
        title=title,
        subtitle=subtitle,
        source=source,
        encoding=encoding,
        chapters=tuple(chapters),
        warnings=tuple(warnings),
    )
