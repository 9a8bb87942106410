"""The on-disk caches: where they live, and how entries are written and checked.

Two kinds of store, both safe for two runs at once and for a run killed half-way:

- `PackStore`: one model's embedding vectors, as immutable "pack" files (one structured .npy
  per write: key, checksum, vector), merged when they pile up.
- `BlobStore`: whole entries by key (a parsed edition, an edition's sentence analysis, an
  encoder graph), one file each: a magic, a sha256 checksum over (identity, key, payload), then
  the payload.

Every file is written to a temp name in its directory, fsynced and `os.replace`d into place,
so readers never see half a file. Nothing is unpickled: packs load with `allow_pickle=False`,
blobs are bytes the caller decodes (JSON, ONNX). An entry failing its checksum is reported as a
problem and treated as missing, so the caller recomputes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # numpy is imported where packs are read or written: a run answered from the report
    # cache (replay.py) uses only BlobStore and must not pay numpy's import.
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

# Merge packs once a model's directory holds this many: every run reads every pack, and a
# few large files load much faster than many small ones.
MAX_PACKS = 16
_DIGEST = 32  # sha256 bytes
# A temp file this old was left by a killed run (a write takes milliseconds); safe to remove.
_STALE_TEMP_S = 3600
_BLOB_MAGIC = b"ODB1"


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


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:48]


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file in the same directory and a rename."""
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def remove_stale_temps(directory: Path) -> None:
    """Delete temp files left by killed runs; never fails."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if entry.name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    if time.time() - entry.stat().st_mtime > _STALE_TEMP_S:
                        os.unlink(entry.path)


# --- whole entries --------------------------------------------------------------------------


class BlobStore:
    """Entries by key under `directory`, each checksummed with the store's identity.

    `get` returns None for a missing entry and also for a damaged or foreign one (then
    `problems` counts it); `put` raises OSError when the directory is not writable.
    """

    def __init__(self, directory: Path, identity: bytes, suffix: str = ".bin") -> None:
        self.directory = directory
        self.suffix = suffix
        self.problems = 0
        self._check_base = hashlib.sha256(b"outlook-diff blob\0" + identity + b"\0")

    def path(self, key: str) -> Path:
        return self.directory / f"{slug(key)}{self.suffix}"

    def _check(self, key: str, payload: bytes | memoryview) -> bytes:
        digest = self._check_base.copy()
        digest.update(key.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(payload)
        return digest.digest()

    def get(self, key: str) -> bytes | None:
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            self.problems += 1
            return None
        head = len(_BLOB_MAGIC) + _DIGEST
        view = memoryview(data)
        if len(data) < head or data[: len(_BLOB_MAGIC)] != _BLOB_MAGIC:
            self.problems += 1
            return None
        if self._check(key, view[head:]) != data[len(_BLOB_MAGIC) : head]:
            self.problems += 1
            return None
        return data[head:]

    def put(self, key: str, payload: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path(key), _BLOB_MAGIC + self._check(key, payload) + payload)
        remove_stale_temps(self.directory)


# --- embedding packs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """What a cache directory held: verified vectors, their width, the packs seen, problems."""

    vectors: dict[bytes, Vectors]
    dim: int | None
    packs: list[Path]
    problems: list[str]


def pack_dtype(dim: int) -> np.dtype[Any]:
    import numpy as np

    return np.dtype(
        [("key", "u1", (_DIGEST,)), ("check", "u1", (_DIGEST,)), ("vec", "<f4", (dim,))]
    )


class PackStore:
    """One model's directory of packs: immutable structured .npy files written atomically."""

    def __init__(self, root: Path, name: str, identity: bytes) -> None:
        self.directory = root / f"{slug(name)}-{hashlib.sha256(identity).hexdigest()[:16]}"
        # The checksum covers the identity, so a pack copied from another model's directory
        # fails verification instead of lending its vectors.
        self._check_base = hashlib.sha256(b"outlook-diff check\0" + identity + b"\0")

    def load(self) -> Loaded:
        """Every verified vector in the directory; OSError only if it cannot be listed."""
        import numpy as np

        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.directory)
                if entry.name.startswith("pack-") and entry.name.endswith(".npy")
            )
        except FileNotFoundError:
            return Loaded({}, None, [], [])
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
            width = pack_width(array)
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
        return Loaded(vectors, dim, packs, problems)

    def _verified(self, array: npt.NDArray[Any], dim: int) -> dict[bytes, Vectors]:
        import numpy as np

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
        import numpy as np

        if not vectors:
            return None
        rows = np.stack(list(vectors.values())).astype("<f4", copy=False)
        array = np.empty(len(vectors), dtype=pack_dtype(rows.shape[1]))
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
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        atomic_write(final, buffer.getvalue())
        return final

    def remove(self, packs: list[Path]) -> None:
        """Delete merged packs and temp files left by killed runs; never fails."""
        for path in packs:
            # Gone already (a concurrent run merged it first) or still open elsewhere on
            # Windows: either way the merged pack holds its entries, so leave it be.
            with contextlib.suppress(OSError):
                path.unlink()
        remove_stale_temps(self.directory)


def pack_width(array: npt.NDArray[Any]) -> int | None:
    """The vector width of a well-formed pack, None for anything else."""
    if array.ndim != 1 or array.dtype.names != ("key", "check", "vec"):
        return None
    shape = array.dtype["vec"].shape
    if len(shape) != 1 or shape[0] < 1 or array.dtype != pack_dtype(shape[0]):
        return None
    return int(shape[0])
