"""Topics: which subjects a chapter touches, and what a `--chapter` selector picks.

Takes chapters (and the topic table in data/topics.toml); returns topic keys. A selector is a
topic key or one of its aliases (`us`, `米国`, `アメリカ`), a chapter number of the new edition
(`3`), or free text matched fuzzily against chapter titles. A topic selects the chapters that
are about it (`chapter_subjects`), not every chapter that mentions it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from outlook_diff.datafiles import load_table
from outlook_diff.errors import OutlookDiffError
from outlook_diff.model import Chapter
from outlook_diff.normalize import normalize


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    keywords: tuple[str, ...]
    front_matter: bool
    aliases: tuple[str, ...] = ()  # other names a reader types for it, folded by `_fold`


@cache
def topics() -> tuple[Topic, ...]:
    table = load_table("topics.toml")
    return tuple(
        Topic(
            key=key,
            label=entry["label"],
            keywords=tuple(normalize(k) for k in entry["keywords"]),
            front_matter=bool(entry.get("front_matter", False)),
            aliases=tuple(_fold(a) for a in entry.get("aliases", ())),
        )
        for key, entry in table["topic"].items()
    )


def _thresholds() -> tuple[float, float]:
    table = load_table("topics.toml")
    return float(table["min_hits_per_10k"]), float(table["min_share_of_top"])


def _fold(text: str) -> str:
    return normalize(text).strip().lower()


def _rates(chapter: Chapter) -> dict[str, float]:
    """Keyword hits of each topic per 10,000 characters of the chapter (recommendations too)."""
    body = normalize(chapter.text + "".join(r.text for r in chapter.recommendations))
    length = max(len(body), 1)
    return {t.key: sum(body.count(k) for k in t.keywords) * 10_000 / length for t in topics()}


def chapter_topics(chapter: Chapter) -> tuple[str, ...]:
    """Topic keys a chapter touches, from its own title and text, in the table's order."""
    return _topic_keys(chapter, about=False)


def chapter_subjects(chapter: Chapter) -> tuple[str, ...]:
    """Topic keys a chapter is *about*: its most frequent topic, a topic its title names that
    is also a large share of its text, and `overview` for front matter."""
    return _topic_keys(chapter, about=True)


def _topic_keys(chapter: Chapter, *, about: bool) -> tuple[str, ...]:
    """The rules of data/topics.toml: a chapter *touches* a topic its title names or whose rate
    is high in absolute terms and against the top one; it is *about* its top topic, or one its
    title names that is also a large share of the top rate."""
    title = normalize(chapter.title)
    rates = _rates(chapter)
    top = max(rates.values(), default=0.0)
    min_rate, min_share = _thresholds()
    found: list[str] = []
    for topic in topics():
        rate = rates[topic.key]
        titled = any(k in title for k in topic.keywords)
        if about:
            main = (top > 0 and rate == top) or (titled and rate >= min_share * top)
        else:
            main = titled or (rate >= min_rate and rate >= min_share * top)
        if main or (topic.front_matter and chapter.kind == "front"):
            found.append(topic.key)
    return tuple(found)


@dataclass(frozen=True)
class Selector:
    """One `--chapter` value, resolved: a topic key, a new-edition chapter number, or a title."""

    raw: str
    topic: str | None = None
    number: int | None = None
    text: str | None = None


def parse_selector(raw: str) -> Selector:
    """A topic key or any of its aliases (中国, china, 米国, アメリカ, us …), a chapter number of
    the new edition, or words of a title."""
    value = raw.strip()
    folded = _fold(value)
    for topic in topics():
        if folded == topic.key or folded in topic.aliases:
            return Selector(raw, topic=topic.key)
    if value.isdigit():
        return Selector(raw, number=int(value))
    return Selector(raw, text=value)  # words of a title: 台湾, NATO, MAGA


def no_match(raw: str) -> OutlookDiffError:
    """The error for a selector that picks nothing, listing what would work."""
    valid = ", ".join(
        f"{t.key} ({'/'.join(t.aliases[:2])})" if t.aliases else t.key for t in topics()
    )
    return OutlookDiffError(
        f"no chapter matches --chapter {raw!r}: use a topic ({valid}), "
        "a chapter number of the new edition, or words from a chapter title"
    )


def title_matches(selector_text: str, chapter: Chapter) -> bool:
    """Free text against a chapter title: substring, or a close fuzzy match."""
    from rapidfuzz import fuzz

    needle = normalize(selector_text)
    titles = [normalize(chapter.title)] + (
        [normalize(chapter.toc_title)] if chapter.toc_title else []
    )
    return any(needle in t or fuzz.partial_ratio(needle, t) >= 85 for t in titles)


def selects(selector: Selector, chapter: Chapter, new_label: str) -> bool:
    """Whether a chapter (of either edition) is selected on its own merits."""
    if selector.topic:
        return selector.topic in chapter_subjects(chapter)
    if selector.number is not None:
        return chapter.number == selector.number and chapter.id.startswith(f"{new_label}/")
    return title_matches(selector.text or "", chapter)
