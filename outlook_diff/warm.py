"""Caches that make a second run on the same editions fast: parsed editions, sentence analysis.

- `parse_cached(text, ...)`: the `Edition` that `parse.parse` makes of `text`, kept on disk as
  JSON under sha256(text, label, source, encoding, parser code and tables). A JSON decoder that
  only builds the model's own dataclasses reads it back: nothing is unpickled.
- `analysis_cache()`: a context manager around a comparison. On entry it hands themes.py every
  Sudachi analysis (term occurrences and word boundaries of a normalised sentence) and term
  specificity stored by earlier runs; on exit it stores the ones computed meanwhile, as one new
  pack. Keyed by the analysis code, its tables and the Sudachi versions, so a change of any of
  them starts afresh.

Both live under `cache_root()` (`parsed/`, `analysis/`) in cache.py's `BlobStore` files (magic,
checksum, atomic rename). A damaged entry is recomputed with one warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from outlook_diff.cache import BlobStore, cache_root
from outlook_diff.model import Chapter, Edition, Paragraph, Recommendation, Section

Warn = Callable[[str], None]
FORMAT = 1
# Merge analysis packs once there are more than this many.
MAX_ANALYSIS_PACKS = 8
_HERE = Path(__file__).resolve().parent
_MODEL_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (Edition, Chapter, Section, Paragraph, Recommendation)
}


def _code_digest(modules: tuple[str, ...], tables: tuple[str, ...], extra: str = "") -> str:
    """What a cached result depends on: these modules' source, these data tables, `extra`."""
    from outlook_diff.datafiles import data_path

    digest = hashlib.sha256(f"outlook-diff warm {FORMAT}\0{extra}\0".encode())
    for name in modules:
        digest.update((_HERE / name).read_bytes() + b"\0")
    for name in tables:
        digest.update(data_path(name).read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def _parse_digest() -> str:
    return _code_digest(
        ("parse.py", "model.py", "normalize.py"), ("parsing.toml", "normalization.toml")
    )


# --- parsed editions ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if type(value).__name__ in _MODEL_TYPES and hasattr(value, "__dataclass_fields__"):
        fields = {name: _encode(getattr(value, name)) for name in value.__dataclass_fields__}
        return {"__t": type(value).__name__, **fields}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in the parse cache")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        cls = _MODEL_TYPES[value["__t"]]  # only the model's own types; KeyError otherwise
        return cls(**{k: _decode(v) for k, v in value.items() if k != "__t"})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)  # every sequence in the model is a tuple
    return value


def edition_to_json(edition: Edition) -> bytes:
    return json.dumps(_encode(edition), ensure_ascii=False, separators=(",", ":")).encode()


def edition_from_json(data: bytes) -> Edition:
    edition = _decode(json.loads(data))
    if not isinstance(edition, Edition):
        raise ValueError("not an edition")
    return edition


def parse_cached(
    text: str,
    *,
    label: str | None,
    source: str,
    encoding: str,
    directory: Path | None = None,
    warn: Warn = lambda message: None,
) -> Edition:
    """`parse.parse(text, ...)`, from the cache when this text was parsed the same way before."""
    from outlook_diff.parse import parse

    store = BlobStore(directory or cache_root() / "parsed", b"parsed-edition", suffix=".json")
    key_source = json.dumps([_parse_digest(), label, source, encoding], ensure_ascii=False)
    digest = hashlib.sha256(key_source.encode() + b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    key = digest.hexdigest()
    data = store.get(key)
    if data is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return edition_from_json(data)
        store.problems += 1
    if store.problems:
        warn(f"parse cache {store.path(key)}: damaged entry; parsing again")
    edition = parse(text, label=label, source=source, encoding=encoding)
    with contextlib.suppress(OSError):  # an unwritable cache only costs the next run time
        store.put(key, edition_to_json(edition))
    return edition


# --- sentence analysis ----------------------------------------------------------------------


@cache
def _analysis_digest() -> str:
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("sudachipy", "sudachidict-core"):
        try:
            versions.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package}=?")
    return _code_digest(
        ("themes.py", "normalize.py"),
        ("themes.toml", "normalization.toml"),
        ",".join(versions),
    )


@contextlib.contextmanager
def analysis_cache(
    enabled: bool = True, directory: Path | None = None, warn: Warn = lambda message: None
) -> Iterator[None]:
    """Serve themes.py's Sudachi analyses from disk for the duration, and store new ones."""
    from outlook_diff import themes

    if not enabled:
        yield
        return
    root = (directory or cache_root() / "analysis") / _analysis_digest()[:24]
    store = BlobStore(root, _analysis_digest().encode(), suffix=".json")
    try:
        names = sorted(p.stem for p in root.glob("pack-*.json"))
    except OSError:
        names = []
    analyses: dict[str, Any] = {}
    specificity: dict[str, float] = {}
    for name in names:
        data = store.get(name)
        if data is None:
            continue
        try:
            pack = json.loads(data)
            for text, (occurrences, starts, ends, free) in pack["a"].items():
                analyses[text] = themes.stored_analysis(occurrences, starts, ends, free)
            specificity.update({str(k): float(v) for k, v in pack["s"].items()})
        except (ValueError, KeyError, TypeError):
            store.problems += 1
    if store.problems:
        warn(f"analysis cache {root}: ignored damaged entries; they are recomputed")
    fresh_analyses, fresh_specificity = themes.use_stored(analyses, specificity)
    try:
        yield
    finally:
        themes.use_stored({}, {}, record=False)
        if fresh_analyses or fresh_specificity:
            pack = {
                "a": {
                    text: [
                        [list(o) for o in a.occurrences],
                        sorted(a.starts),
                        sorted(a.ends),
                        sorted(a.free),
                    ]
                    for text, a in fresh_analyses.items()
                },
                "s": fresh_specificity,
            }
            if len(names) >= MAX_ANALYSIS_PACKS:
                # One pack with everything replaces the old ones.
                for text, a in analyses.items():
                    pack["a"].setdefault(
                        text,
                        [
                            [list(o) for o in a.occurrences],
                            sorted(a.starts),
                            sorted(a.ends),
                            sorted(a.free),
                        ],
                    )
                pack["s"] = {**specificity, **fresh_specificity}
            payload = json.dumps(pack, ensure_ascii=False, separators=(",", ":")).encode()
            import os
            import secrets
            import time

            name = f"pack-{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
            with contextlib.suppress(OSError):
                store.put(name, payload)
                if len(names) >= MAX_ANALYSIS_PACKS:
                    for old in names:
                        with contextlib.suppress(OSError):
                            store.path(old).unlink()
