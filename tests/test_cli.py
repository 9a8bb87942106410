"""The command line, driven with typer's CliRunner (the embedder is the fast fake)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outlook_diff import __version__
from outlook_diff.cli import EXIT_CHANGED, EXIT_INTERRUPTED, EXIT_SAME, EXIT_TROUBLE, app
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command gets the deterministic fake instead of the real model."""
    monkeypatch.setattr("outlook_diff.embed.make_embedder", lambda *a, **k: FakeEmbedder())


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"outlook-diff {__version__}"


def test_two_editions_without_a_subcommand_compare_them() -> None:
    result = run("2025", "2026", "--no-color", "--width", "140", "--limit", "2")
    assert result.exit_code == EXIT_CHANGED, result.stderr
    out = result.stdout
    for heading in ("CHAPTER ALIGNMENT", "CHANGED JUDGEMENTS", "RECOMMENDATIONS"):
        assert heading in out
    assert not ANSI.search(out)
    assert result.stderr == ""


def test_same_edition_twice_exits_zero_and_says_identical() -> None:
    result = run("2026", "2026", "--format", "json")
    assert result.exit_code == EXIT_SAME
    assert "identical" in result.stderr
    data = json.loads(result.stdout)
    assert {r["status"] for r in data["recommendations"]} == {"kept"}
    # issue 13: no sentence both dropped and new, no change of any kind
    assert {j["change"] for j in data["judgements"]} == {"reaffirmed"}
    assert not any(data["themes"].values())
    assert {a["status"] for a in data["alignment"]} == {"continued"}


def test_labels_and_titles_cannot_inject_markup(tmp_path: Path) -> None:
    """Issue 13: --old-label / --new-label went into markdown raw (an <img>, a | that broke a
    table)."""
    result = run(
        "2025",
        "2026",
        "--old-label",
        '<img src=x onerror="alert(1)">|a',
        "--new-label",
        "**b**|",
        "--format",
        "markdown",
        "--only",
        "alignment",
    )
    assert result.exit_code == EXIT_CHANGED, result.stderr
    assert not re.search(r"(?<!\\)<img", result.stdout)  # only as text: \<img
    assert "**b**" not in result.stdout
    assert '\\<img src=x onerror="alert(1)"\\>\\|a' in result.stdout
    html = run(
        "2025", "2026", "--old-label", "<script>x</script>", "--format", "html", "--only", "themes"
    )
    assert "<script>" not in html.stdout and "&lt;script&gt;x&lt;/script&gt;" in html.stdout


def test_json_output_is_complete_and_deterministic() -> None:
    first = run("2025", "2026", "--format", "json", "--limit", "1")
    second = run("2025", "2026", "--format", "json")
    assert first.exit_code == second.exit_code == EXIT_CHANGED
    assert first.stdout == second.stdout  # --limit does not cut JSON; same bytes twice
    data = json.loads(first.stdout)
    assert data["schema"] == "outlook-diff/report-v2"
    assert len(data["recommendations"]) >= 44


def test_markdown_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = run("2025", "2026", "--format", "markdown", "-o", str(target))
    assert result.exit_code == EXIT_CHANGED
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# outlook-diff")
    assert not list(tmp_path.glob(".*part"))  # no temp file left behind
    again = tmp_path / "again.md"
    run("2025", "2026", "--format", "markdown", "-o", str(again))
    assert again.read_bytes() == target.read_bytes()


def test_unwritable_output_is_refused_before_any_work(tmp_path: Path) -> None:
    result = run("2025", "2026", "-o", str(tmp_path / "missing" / "report.md"))
    assert result.exit_code == EXIT_TROUBLE
    assert "directory does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    directory = run("2025", "2026", "-o", str(tmp_path))
    assert directory.exit_code == EXIT_TROUBLE and "is a directory" in directory.stderr


def test_chapter_filter_and_its_errors() -> None:
    result = run("2025", "2026", "--chapter", "korea", "--format", "json")
    assert result.exit_code == EXIT_CHANGED
    data = json.loads(result.stdout)
    ids = {c for link in data["alignment"] for c in (*link["old"], *link["new"])}
    assert {"2025/ch06", "2026/ch04"} <= ids
    assert "2025/ch09" not in ids
    unknown = run("2025", "2026", "--chapter", "atlantis")
    assert unknown.exit_code == EXIT_TROUBLE
    assert "taiwan" in unknown.stderr and "china (中国" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert run("2025", "2026", "-c", "3", "-c", "台湾", "--only", "alignment").exit_code == 1


def test_only_and_limit() -> None:
    themes = run("2025", "2026", "--only", "themes", "--no-color", "--width", "120")
    assert "themes" in themes.stdout.lower()
    assert "CHANGED JUDGEMENTS" not in themes.stdout
    assert "CHAPTER ALIGNMENT" not in themes.stdout
    everything = run("2025", "2026", "--only", "recommendations", "--limit", "0", "--width", "200")
    limited = run("2025", "2026", "--only", "recommendations", "--limit", "2", "--width", "200")
    assert len(everything.stdout) > len(limited.stdout)
    assert run("2025", "2026", "--limit", "-1").exit_code == EXIT_TROUBLE


def test_no_color_environment_variable_is_honoured() -> None:
    result = run("2025", "2026", "--only", "alignment", env={"NO_COLOR": "1"})
    assert not ANSI.search(result.stdout)


def _bad_input(directory: Path, kind: str) -> Path:
    """A file (or not) of the kind named, in `directory`."""
    path = directory / f"{kind}.txt"
    if kind == "directory":
        return directory
    if kind == "empty":
        path.write_text("")
    elif kind == "binary":
        path.write_bytes(b"\x00\x01\x02" * 100)
    elif kind == "plain":
        path.write_text("ただの文章です。\n", encoding="utf-8")
    return path  # "absent": never written


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("absent", "no such file"),
        ("directory", "directory"),
        ("empty", "empty"),
        ("binary", "binary"),
        ("plain", None),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path: Path, kind: str, message: str | None) -> None:
    path = _bad_input(tmp_path, kind)
    result = run(str(path), "2026", "-q")
    if message is None:
        # Text without chapter markers still compares (with a warning, silenced by -q).
        assert result.exit_code == EXIT_CHANGED
        return
    assert result.exit_code == EXIT_TROUBLE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0].lower() and str(path) in lines[0]
    assert result.stdout == ""


def test_cp932_and_crlf_inputs_compare_like_the_original(tmp_path: Path) -> None:
    text = (ROOT / "data" / "outlook-2026.txt").read_text(encoding="utf-8")
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    result = run(str(crlf), "2026", "--format", "json", "--old-label", "a", "--new-label", "b")
    assert result.exit_code == EXIT_SAME, result.stderr
    sample = "\n".join(text.split("\n")[:120])  # front matter and chapter 1 encode in CP932
    sjis = tmp_path / "sjis.txt"
    sjis.write_bytes(sample.replace("—", "－").encode("cp932", errors="replace"))
    parsed = run("chapters", str(sjis), "--format", "json")
    assert parsed.exit_code == 0, parsed.stderr
    assert json.loads(parsed.stdout)["encoding"] in {"cp932", "shift_jis"}


def test_interrupt_exits_130_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("outlook_diff.compare.compare", interrupted)
    target = tmp_path / "report.json"
    result = run("2025", "2026", "--format", "json", "-o", str(target))
    assert result.exit_code == EXIT_INTERRUPTED
    assert "no output written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unexpected_failure_is_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("outlook_diff.compare.compare", broken)
    result = run("2025", "2026")
    assert result.exit_code == EXIT_TROUBLE
    assert result.stderr.strip() == (
        "outlook-diff: error: unexpected RuntimeError: boom (run with --debug for a traceback)"
    )
    assert isinstance(run("2025", "2026", "--debug").exception, RuntimeError)


def test_chapters_command() -> None:
    table = run("chapters", "2026", "--no-color", "--width", "150")
    assert table.exit_code == 0
    assert "2026/ch06" in table.stdout and "田島理博" in table.stdout
    parsed = json.loads(run("chapters", "2025", "--format", "json").stdout)
    assert [c["id"] for c in parsed["chapters"]][:3] == [
        "2025/front-1",
        "2025/front-2",
        "2025/ch01",
    ]
    assert parsed["chapters"][3]["authors"] == ["小谷哲男"]
    assert parsed["encoding"] == "utf-8"


def test_align_command() -> None:
    data = json.loads(run("align", "2025", "2026", "--format", "json").stdout)
    assert data["old"]["label"] == "2025" and data["new"]["label"] == "2026"
    assert {link["status"] for link in data["alignment"]} <= {
        "continued",
        "merged",
        "split",
        "dropped",
        "new",
    }
    table = run("align", "2025", "2026", "--no-color", "--width", "150")
    assert "Chapter alignment" in table.stdout


def test_editions_command() -> None:
    result = run("editions")
    assert result.exit_code == 0
    assert "戦略アウトルック 2025" in result.stdout and "戦略アウトルック 2026" in result.stdout


def _options(command: object) -> list[object]:
    return [p for p in command.params if p.param_type_name == "option"]  # type: ignore[attr-defined]


def test_every_command_and_option_has_help_and_is_in_the_readme() -> None:
    import typer.main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert set(commands) == {"compare", "show", "chapters", "align", "editions"}
    for name, command in commands.items():
        assert command.help, name
        assert f"outlook-diff {name}" in readme or name == "compare", name
        for option in _options(command):
            assert option.help, (name, option.name)  # type: ignore[attr-defined]
            long = max(option.opts, key=len)  # type: ignore[attr-defined]
            assert long in readme, (name, long)


def test_stored_help_is_typers_own(request: pytest.FixtureRequest) -> None:
    """`outlook-diff --help` answers from help.txt without importing typer: keep it current."""
    from outlook_diff.entrypoint import HELP_FILE

    current = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"}, prog_name="outlook-diff")
    assert current.exit_code == 0
    if request.config.getoption("--regenerate-golden"):
        HELP_FILE.write_text(current.stdout, encoding="utf-8")
    assert HELP_FILE.read_text(encoding="utf-8") == current.stdout


def test_fast_help_and_version_do_not_import_typer() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from outlook_diff.entrypoint import main; "
        "sys.argv = ['outlook-diff', sys.argv[1]]; main(); "
        "assert 'typer' not in sys.modules, 'typer imported'"
    )
    for flag in ("--help", "-h", "--version"):
        result = subprocess.run(
            [sys.executable, "-c", code, flag], capture_output=True, text=True, cwd=ROOT
        )
        assert result.returncode == 0, result.stderr
    assert run("-h").exit_code == 0  # -h also works through typer (e.g. after a command)
    assert run("compare", "-h").stdout.startswith("Usage:")


def test_show_prints_one_item_whole_in_text_and_json() -> None:
    data = json.loads(run("2025", "2026", "--format", "json").stdout)
    theme = data["themes"]["new"][0]
    shown = run("show", "2025", "2026", theme["id"])
    assert shown.exit_code == EXIT_SAME, shown.stderr
    assert shown.stdout.startswith(f"{theme['id']}  {theme['term']}\n")
    for quote in theme["contexts"]:
        assert quote["text"] in shown.stdout  # every context sentence, uncut
    judgement = next(j for j in data["judgements"] if j["old"] and j["new"])
    as_json = run("show", "2025", "2026", judgement["id"].lower(), "--format", "json")
    assert json.loads(as_json.stdout) == judgement
    text = run("show", "2025", "2026", judgement["id"]).stdout
    assert judgement["old"]["text"] in text and judgement["new"]["text"] in text
    assert all(a["text"] in text for a in judgement["alternatives"])
    forecast = data["forecasts"][0]
    assert run("show", "2025", "2026", forecast["id"]).stdout.startswith(forecast["id"])


def test_show_of_an_unknown_id_names_the_ids_there_are() -> None:
    result = run("show", "2025", "2026", "T99999")
    assert result.exit_code == EXIT_TROUBLE
    assert "no item 'T99999'" in result.stderr and "themes T1–T" in result.stderr
    assert result.stderr.count("\n") == 1  # one line


def _groups(*selectors: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    args = [a for s in selectors for a in ("--chapter", s)]
    result = run("2025", "2026", *args, "--format", "json")
    assert result.exit_code == EXIT_CHANGED, result.stderr
    return [(tuple(a["old"]), tuple(a["new"])) for a in json.loads(result.stdout)["alignment"]]


def test_chapter_synonyms_select_the_chapters_about_a_topic() -> None:
    us = _groups("us")
    assert _groups("米国") == _groups("アメリカ") == us
    assert len(us) <= 4  # the US chapters and the front matter, not every chapter naming the US
    chapters = {c for old, new in us for c in (*old, *new)}
    assert {"2025/ch02", "2026/ch01"} <= chapters and "2025/ch09" not in chapters
    china = _groups("china")
    assert _groups("中国") == china
    assert {"2025/ch04", "2026/ch03"} <= {c for old, new in china for c in (*old, *new)}
    assert _groups("韓国") == _groups("korea") == _groups("北朝鮮")


def test_the_header_says_what_was_selected() -> None:
    result = run("2025", "2026", "--chapter", "中国", "--width", "120", "--no-color")
    assert "--chapter 中国: 2025/ch04, 2025/ch05, 2026/ch03" in result.stdout.replace("\n", "")


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "json"])
def test_change_filter_in_every_format(fmt: str) -> None:
    result = run("2025", "2026", "--change", "dropped", "--format", fmt, "--width", "120")
    assert result.exit_code == EXIT_CHANGED, result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["judgements"] and {j["change"] for j in data["judgements"]} == {"dropped"}
        assert {r["status"] for r in data["recommendations"]} == {"dropped"}
        assert {a["status"] for a in data["alignment"]} == {"dropped"}
        assert data["themes"]["dropped"] and not data["themes"]["new"]
        assert data["forecasts"] == [] and data["filters"]["change"] == ["dropped"]
    else:
        full = json.loads(run("2025", "2026", "--format", "json").stdout)
        kept = [j["id"] for j in full["judgements"] if j["change"] != "dropped"][:5]
        kept += [r["id"] for r in full["recommendations"] if r["status"] != "dropped"][:5]
        shown = [j["id"] for j in full["judgements"] if j["change"] == "dropped"][:3]
        assert kept and shown
        for item in kept:
            assert not re.search(rf"\b{item}\b", result.stdout), item
        for item in shown:
            assert re.search(rf"\b{item}\b", result.stdout), item


def test_exit_zero_and_option_errors_in_the_tools_own_words() -> None:
    assert run("2025", "2026", "--only", "alignment", "--exit-zero").exit_code == EXIT_SAME
    bad_format = run("2025", "2026", "--format", "htm")
    assert bad_format.exit_code == EXIT_TROUBLE
    assert bad_format.stderr.strip() == (
        "outlook-diff: error: unknown --format 'htm'; choose one of table, markdown, html, json"
    )
    bad_change = run("2025", "2026", "--change", "revised")
    assert bad_change.exit_code == EXIT_TROUBLE and "reversed" in bad_change.stderr
    for width in ("0", "39", "100000000"):
        bad_width = run("2025", "2026", "--width", width)
        assert bad_width.exit_code == EXIT_TROUBLE
        assert "--width must be between 40 and 1000" in bad_width.stderr
    for size in ("-1", "0", "99999999999"):
        bad_size = run("2025", "2026", "--max-size", size)
        assert bad_size.exit_code == EXIT_TROUBLE and "--max-size" in bad_size.stderr
        assert "unexpected" not in bad_size.stderr


def test_an_unknown_edition_lists_the_shipped_ones() -> None:
    result = run("2025", "2027")
    assert result.exit_code == EXIT_TROUBLE
    assert result.stderr.strip() == (
        "outlook-diff: error: 2027: no such file, and not a shipped edition (shipped: 2025, 2026)"
    )


@pytest.mark.parametrize("item", ["J1", "F1", "T1", "R1", "A1"])
def test_show_prints_an_item_of_each_kind(item: str) -> None:
    text = run("show", "2025", "2026", item)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith(f"{item}  ")
    data = json.loads(run("show", "2025", "2026", item, "--format", "json").stdout)
    assert data["id"] == item


def test_a_first_run_says_once_what_it_embeds() -> None:
    from outlook_diff.progress import embedding_progress

    class Notes:
        quiet = False

        def __init__(self) -> None:
            self.lines: list[str] = []

        def note(self, message: str) -> None:
            self.lines.append(message)

    notes = Notes()
    with embedding_progress(notes) as progress:
        assert progress is not None
        progress(0, 880)
        progress(440, 880)
    assert notes.lines == [
        "embedding 880 texts once with the model (about 15 s); later runs use the cache"
    ]
    notes.quiet = True
    with embedding_progress(notes) as progress:
        assert progress is None
