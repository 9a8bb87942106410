"""The warm-run caches (warm.py): parsed editions and Sudachi analyses kept on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outlook_diff import terms, themes, warm
from outlook_diff.datafiles import data_path
from outlook_diff.editions import load_edition
from outlook_diff.model import Edition


@pytest.fixture(scope="module")
def editions() -> tuple[Edition, Edition]:
    return load_edition("2025"), load_edition("2026")


def _text(label: str) -> str:
    return data_path(f"outlook-{label}.txt").read_text(encoding="utf-8")


def _parse(directory: Path, warnings: list[str]) -> Edition:
    return warm.parse_cached(
        _text("2025"),
        label="2025",
        source="shipped:2025",
        encoding="utf-8",
        directory=directory,
        warn=warnings.append,
    )


def test_editions_round_trip_through_json(editions: tuple[Edition, Edition]) -> None:
    for edition in editions:
        assert warm.edition_from_json(warm.edition_to_json(edition)) == edition


def test_second_parse_is_read_from_the_cache(
    tmp_path: Path, editions: tuple[Edition, Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    assert _parse(tmp_path, warnings) == editions[0]

    def no_parse(*args: object, **kwargs: object) -> Edition:
        raise AssertionError("parsed again")

    monkeypatch.setattr("outlook_diff.parse.parse", no_parse)
    assert _parse(tmp_path, warnings) == editions[0]
    assert warnings == []
    # Another label is another entry.
    with pytest.raises(AssertionError, match="parsed again"):
        warm.parse_cached(
            _text("2025"), label="old", source="x", encoding="utf-8", directory=tmp_path
        )


def test_damaged_parse_entry_is_parsed_again_with_one_warning(
    tmp_path: Path, editions: tuple[Edition, Edition]
) -> None:
    _parse(tmp_path, [])
    [entry] = tmp_path.glob("*.json")
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x01
    entry.write_bytes(bytes(data))
    warnings: list[str] = []
    assert _parse(tmp_path, warnings) == editions[0]
    assert len(warnings) == 1 and "damaged entry; parsing again" in warnings[0]
    assert _parse(tmp_path, warnings) == editions[0] and len(warnings) == 1  # rewritten


def test_the_decoder_builds_only_the_models_own_types() -> None:
    hostile = json.dumps({"__t": "Popen", "args": ["true"]}).encode()
    with pytest.raises(KeyError):
        warm.edition_from_json(hostile)
    with pytest.raises(ValueError):
        warm.edition_from_json(b'{"__t": "Paragraph", "text": "x", "sentences": []}')


def _clear_theme_caches() -> None:
    for cached in (
        terms._analyse,
        terms._terms,
        terms._specificity,
        terms._whole_run_words,
        terms._is_name,
    ):
        cached.cache_clear()


def test_a_warm_analysis_needs_no_tokenizer(
    tmp_path: Path, editions: tuple[Edition, Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = editions
    _clear_theme_caches()
    with warm.analysis_cache(directory=tmp_path):
        cold = themes.compare_themes(old, new)
        cold_terms = terms.terms(old.chapters[2].sentences()[0].text)
    assert list(tmp_path.rglob("pack-*.json"))

    def no_tokenizer() -> object:
        raise AssertionError("tokenized again")

    _clear_theme_caches()
    monkeypatch.setattr(terms, "_tokenizer", no_tokenizer)
    warnings: list[str] = []
    with warm.analysis_cache(directory=tmp_path, warn=warnings.append):
        assert themes.compare_themes(old, new) == cold
        assert terms.terms(old.chapters[2].sentences()[0].text) == cold_terms
    assert warnings == []
    _clear_theme_caches()
    # Outside the context nothing is served from the store any more.
    with pytest.raises(AssertionError, match="tokenized again"):
        terms.terms("経済安全保障推進法")
    _clear_theme_caches()
