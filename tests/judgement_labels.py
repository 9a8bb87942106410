"""The hand-labelled judgements (tests/data/eval/judgements*.toml), located in the editions.

Shared by `tests/evaluate.py` (the figures) and `tests/calibrate.py` (the fit). Every label has a
stable id; `half(id)` splits the set once, by a hash of the id, into "tuning" (thresholds are
fitted on it) and "held-out" (the figures quoted in closing notes).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from outlook_diff.model import Edition
from outlook_diff.normalize import normalize

LABELS = Path(__file__).resolve().parent / "data" / "eval"


@dataclass(frozen=True)
class Label:
    id: str
    section: str  # pair | dropped | new | forecast
    cls: str  # the class (pairs), outcome (forecasts), or "dropped" / "new"
    old: str | None  # the normalised old sentence
    new: str | None  # the normalised new sentence
    confidence: str


def half(label_id: str) -> str:
    digest = hashlib.sha256(label_id.encode("utf-8")).digest()
    return "tuning" if digest[0] % 2 == 0 else "held-out"


def chapter_id(edition: Edition, ref: int | str) -> str:
    if isinstance(ref, int):
        return f"{edition.label}/ch{ref:02d}"
    for chapter in edition.chapters:
        if chapter.kind == "front" and normalize(ref) in normalize(chapter.title):
            return chapter.id
    raise KeyError(ref)


def sentence(edition: Edition, chapter: int | str, fragment: str) -> str | None:
    """The normalised sentence (or recommendation) of `chapter` that holds `fragment`.

    None when the parsed edition has no such sentence: a label may quote a photo caption, which
    the parser removes from the text (it is then a pair the tool cannot find).
    """
    cid = chapter_id(edition, chapter)
    needle = normalize(fragment)
    chap = edition.chapter(cid)
    texts = [s.text for s in chap.sentences()] + [r.text for r in chap.recommendations]
    for text in texts:
        if needle in normalize(text):
            return normalize(text)
    return None


def load(old: Edition, new: Edition) -> list[Label]:
    labels: list[Label] = []
    for path in sorted(LABELS.glob("judgements*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section in ("pair", "dropped", "new", "forecast"):
            for item in data.get(section, []):
                o = (
                    sentence(old, item["old_chapter"], item["old_text"])
                    if "old_text" in item
                    else None
                )
                n = (
                    sentence(new, item["new_chapter"], item["new_text"])
                    if "new_text" in item
                    else None
                )
                cls = item.get("class") or item.get("outcome") or section
                key = f"{section}:{item.get('old_text', '')}|{item.get('new_text', '')}"
                labels.append(Label(key, section, cls, o, n, item.get("confidence", "high")))
    return labels
