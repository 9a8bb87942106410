"""Where an edition comes from: a shipped label (`2025`) or a path, read and parsed.

Takes what the user typed for OLD or NEW; returns a parsed `Edition`. The shipped editions and
their metadata are listed in data/editions.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from outlook_diff.datafiles import data_path, load_table
from outlook_diff.errors import OutlookDiffError
from outlook_diff.limits import DEFAULT_MAX_SIZE
from outlook_diff.model import Edition


@dataclass(frozen=True)
class ShippedEdition:
    label: str
    file: str
    title: str
    subtitle: str
    title_en: str
    publisher: str
    published: str
    language: str
    source: str

    @property
    def path(self) -> Path:
        return data_path(self.file)


@cache
def shipped_editions() -> tuple[ShippedEdition, ...]:
    return tuple(ShippedEdition(**entry) for entry in load_table("editions.toml")["edition"])


def shipped(label: str) -> ShippedEdition | None:
    return next((e for e in shipped_editions() if e.label == label), None)


def load_edition(
    spec: str,
    *,
    label: str | None = None,
    encoding: str | None = None,
    password: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    cache: bool = False,
    warn: Callable[[str], None] = lambda message: None,
) -> Edition:
    """Read and parse an edition. A shipped label wins over a file of the same name.

    `cache=True` keeps the parse on disk (warm.py), keyed by the text and the parser's code,
    so a second run on the same text skips parsing; `warn` hears of a damaged entry."""
    from outlook_diff.read import read_source

    known = shipped(spec)
    path = known.path if known else Path(spec)
    if known is None and not path.exists():
        labels = ", ".join(e.label for e in shipped_editions())
        raise OutlookDiffError(f"no such file, and not a shipped edition (shipped: {labels})", spec)
    source = read_source(path, encoding=encoding, password=password, max_size=max_size)
    label = label or (known.label if known else None)
    origin = f"shipped:{known.label}" if known else source.source
    if cache:
        from outlook_diff.warm import parse_cached

        edition = parse_cached(
            source.text, label=label, source=origin, encoding=source.encoding, warn=warn
        )
    else:
        from outlook_diff.parse import parse

        edition = parse(source.text, label=label, source=origin, encoding=source.encoding)
    if source.warnings:
        edition = replace(edition, warnings=(*source.warnings, *edition.warnings))
    return edition
