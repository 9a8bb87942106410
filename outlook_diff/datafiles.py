"""Where the project's data files live: language tables (TOML) and the shipped editions.

An installed wheel carries them as `outlook_diff/data`; a source checkout (editable install)
reads the repository's top-level `data/` directory.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any


@cache
def data_dir() -> Path:
    packaged = Path(__file__).parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def data_path(name: str) -> Path:
    return data_dir() / name


@cache
def load_table(name: str) -> dict[str, Any]:
    """Load one of the TOML tables in data/ (cached: they are read on every run)."""
    with data_path(name).open("rb") as f:
        return tomllib.load(f)
