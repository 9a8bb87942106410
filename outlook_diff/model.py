"""The document model: what the parse stage returns and every later stage reads.

An `Edition` holds `Chapter`s (numbered chapters and front matter); a chapter holds
`Section`s (one per ◆ heading, plus an untitled lead section when text precedes the first
heading), each section holds `Paragraph`s, each paragraph its sentences. Recommendations and
footnotes are kept apart from the body. All records are frozen; `to_dict()` gives the JSON
shape of `outlook-diff chapters --format json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

ChapterKind = Literal["chapter", "front"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    heading: str | None
    paragraphs: tuple[Paragraph, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        return {"heading": self.heading, "paragraphs": [p.text for p in self.paragraphs]}


@dataclass(frozen=True)
class Recommendation:
    chapter: str
    index: int  # 1-based position within its chapter
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"chapter": self.chapter, "index": self.index, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    """A body sentence with where it stands, for quoting."""

    chapter: str
    section: str | None
    text: str


@dataclass(frozen=True)
class Chapter:
    id: str  # e.g. "2025/ch02", "2025/front-1"
    number: int | None  # None for front matter
    kind: ChapterKind
    title: str  # the heading as printed in the body
    toc_title: str | None  # the table-of-contents entry, when it differs from the heading
    authors: tuple[str, ...]
    affiliations: tuple[str, ...]
    date: str | None  # ISO date of the 脱稿日 sign-off
    sections: tuple[Section, ...]
    recommendations: tuple[Recommendation, ...]
    footnotes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The body text (no recommendations, footnotes or captions)."""
        return "\n".join(p.text for s in self.sections for p in s.paragraphs)

    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(
            Sentence(self.id, s.heading, sentence)
            for s in self.sections
            for p in s.paragraphs
            for sentence in p.sentences
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "kind": self.kind,
            "title": self.title,
            "toc_title": self.toc_title,
            "authors": list(self.authors),
            "affiliations": list(self.affiliations),
            "date": self.date,
            "sections": [s.to_dict() for s in self.sections],
            "recommendations": [r.text for r in self.recommendations],
            "footnotes": list(self.footnotes),
        }


@dataclass(frozen=True)
class Edition:
    label: str  # e.g. "2025"
    title: str
    subtitle: str
    source: str  # where the text came from (path or shipped name)
    encoding: str
    chapters: tuple[Chapter, ...]
    warnings: tuple[str, ...] = field(default=())

    def chapter(self, chapter_id: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise KeyError(chapter_id)

    @property
    def numbered(self) -> tuple[Chapter, ...]:
        return tuple(c for c in self.chapters if c.kind == "chapter")

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        return tuple(r for c in self.chapters for r in c.recommendations)

    def relabeled(self, label: str) -> Edition:
        """The same edition under another label (chapter ids follow: `2026/ch01` → `L/ch01`)."""

        def new_id(chapter_id: str) -> str:
            return f"{label}/{chapter_id.split('/', 1)[1]}"

        chapters = tuple(
            replace(
                c,
                id=new_id(c.id),
                recommendations=tuple(
                    replace(r, chapter=new_id(r.chapter)) for r in c.recommendations
                ),
            )
            for c in self.chapters
        )
        return replace(self, label=label, chapters=chapters)

    def summary(self) -> dict[str, Any]:
        """The short description used in reports (`EditionSummary`)."""
        return {
            "label": self.label,
            "title": self.title,
            "subtitle": self.subtitle,
            "source": self.source,
            "chapters": len(self.numbered),
            "front_matter": len(self.chapters) - len(self.numbered),
            "recommendations": len(self.recommendations),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "title": self.title,
            "subtitle": self.subtitle,
            "source": self.source,
            "encoding": self.encoding,
            "warnings": list(self.warnings),
            "chapters": [c.to_dict() for c in self.chapters],
        }
