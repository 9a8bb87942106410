"""Shared test fixtures: a fast, deterministic stand-in for the embedding model."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest


class FakeEmbedder:
    """Character-trigram hashing: texts sharing trigrams get similar unit vectors.

    Deterministic across processes (crc32, not Python's salted `hash`), so subprocess tests
    can compare vectors. `calls` records every batch it was asked to embed.
    """

    def __init__(self, dim: int = 256, name: str = "fake:trigram") -> None:
        self.dim = dim
        self.name = f"{name}-{dim}"
        self.calls: list[tuple[str, ...]] = []

    @property
    def texts_embedded(self) -> int:
        return sum(len(batch) for batch in self.calls)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(tuple(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"\x02{text}\x03"
            for i in range(max(len(padded) - 2, 0)):
                code = zlib.crc32(padded[i : i + 3].encode("utf-8"))
                # One bit of the hash picks the sign so unrelated trigrams tend to cancel.
                out[row, code % self.dim] += 1.0 if code & 0x80000000 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:
                out[row, 0] = 1.0  # keep every row of unit length, even for ""
            else:
                out[row] /= norm
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regenerate-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff!).",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Tests that run the real model share one embedding cache, kept between local runs
    # (in the ignored .pytest_cache) so only the first run pays for the embeddings.
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("OUTLOOK_DIFF_CACHE_DIR", str(root / ".pytest_cache" / "outlook-diff"))
