"""Writing reports (output.py, and the signal handling of entrypoint.py): `-o` never overwrites
an input, writes a device or a FIFO through instead of renaming a file over it, names the file
on a failed write, and follows the umask; SIGTERM is handled like Ctrl-C.

Signals and a full disk are tried on real processes; the rest in-process or with CliRunner.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outlook_diff import output, replay, warm
from outlook_diff.cli import EXIT_TROUBLE, app
from outlook_diff.compare import Options, compare
from outlook_diff.editions import load_edition
from outlook_diff.errors import OutlookDiffError
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
EDITIONS = {
    "old.txt": ROOT / "data" / "outlook-2025.txt",
    "new.txt": ROOT / "data" / "outlook-2026.txt",
}


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("outlook_diff.embed.make_embedder", lambda *a, **k: FakeEmbedder())


@pytest.fixture
def editions(tmp_path: Path) -> Path:
    """A folder holding copies of both shipped editions, old.txt and new.txt."""
    folder = tmp_path / "editions"
    folder.mkdir()
    for name, source in EDITIONS.items():
        shutil.copyfile(source, folder / name)
    return folder


@pytest.fixture
def no_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comparison that fails loudly: the refusal must come before any work."""

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the comparison started")

    monkeypatch.setattr("outlook_diff.compare.compare", started)
    monkeypatch.setattr("outlook_diff.editions.load_edition", started)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


# -- the output is never one of the inputs -----------------------------------------------------


def _same_name(folder: Path) -> str:
    return str(folder / "new.txt")


def _dotted_name(folder: Path) -> str:
    return str(folder / "." / "new.txt")


def _symlink(folder: Path) -> str:
    (folder / "link.txt").symlink_to(folder / "new.txt")
    return str(folder / "link.txt")


def _hard_link(folder: Path) -> str:
    os.link(folder / "new.txt", folder / "hard.txt")
    return str(folder / "hard.txt")


@pytest.mark.parametrize("name_for", [_same_name, _dotted_name, _symlink, _hard_link])
@pytest.mark.parametrize("command", ["compare", "align", "show", "chapters"])
def test_an_output_that_is_an_input_is_refused_before_any_work(
    editions: Path, no_comparison: None, name_for: Callable[[Path], str], command: str
) -> None:
    target = name_for(editions)
    before = digest(editions / "new.txt")
    old, new = str(editions / "old.txt"), str(editions / "new.txt")
    args = {
        "compare": [old, new],
        "align": ["align", old, new],
        "show": ["show", old, new, "J1"],
        "chapters": ["chapters", new],
    }[command]
    result = run(*args, "-o", target)
    assert result.exit_code == EXIT_TROUBLE
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"outlook-diff: error: {target}: is ")
    assert "refusing to write the report over it" in lines[0]
    assert digest(editions / "new.txt") == before
    assert not any(p.name.endswith(".part") for p in editions.iterdir())


def test_a_shipped_edition_named_by_its_label_is_an_input_too(no_comparison: None) -> None:
    target = EDITIONS["new.txt"]
    before = digest(target)
    result = run("2025", "2026", "-o", str(target))
    assert result.exit_code == EXIT_TROUBLE
    assert result.stderr == (
        f"outlook-diff: error: {target}: is an input: refusing to write the report over it\n"
    )
    assert digest(target) == before


def test_another_existing_file_may_be_replaced(editions: Path) -> None:
    other = editions / "report.md"
    other.write_text("last year's report\n", encoding="utf-8")
    output.check_output(other, [editions / "old.txt", editions / "new.txt"])  # no error
    result = run("chapters", str(editions / "new.txt"), "-o", str(other))
    assert result.exit_code == 0, result.stderr
    assert "2026/ch06" in other.read_text(encoding="utf-8")


def test_the_cached_answer_refuses_an_input_as_output_too(
    editions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = _store_replayable(editions, tmp_path, monkeypatch)
    before = digest(editions / "new.txt")
    args = [*stored, "-o", str(editions / "new.txt")]
    assert replay.replay(args) is None  # the full command says why, before any work
    assert digest(editions / "new.txt") == before
    # The same entry does answer a command with a harmless output.
    assert replay.replay([*stored, "-o", str(tmp_path / "report.md")]) == 1
    assert (tmp_path / "report.md").stat().st_size > 0


def _store_replayable(editions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Store a report under the key of `old.txt new.txt --format markdown`; its arguments."""
    monkeypatch.setenv("OUTLOOK_DIFF_CACHE_DIR", str(tmp_path / "cache"))
    args = [str(editions / "old.txt"), str(editions / "new.txt"), "--format", "markdown"]
    request = replay.parse_args(args)
    assert request is not None
    key = replay.request_key(request)
    assert key is not None
    report = compare(
        load_edition(request.old), load_edition(request.new), Options(), embedder=FakeEmbedder()
    )
    warm.store_report(key, report)
    return args


# -- devices and FIFOs are written through ---------------------------------------------------


@pytest.mark.parametrize("name", ["/dev/null", "/dev/full", "/dev/stdout", "/dev/fd/1"])
def test_devices_and_descriptor_names_are_written_through(name: str) -> None:
    assert output.writes_through(Path(name))


def test_a_regular_file_and_a_new_name_are_not_written_through(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("x", encoding="utf-8")
    assert not output.writes_through(tmp_path / "report.md")
    assert not output.writes_through(tmp_path / "new.md")


def test_dev_null_stays_a_device() -> None:
    # Asserted first: were it false, the write below would rename a file over /dev/null.
    assert output.writes_through(Path("/dev/null"))
    output.check_output(Path("/dev/null"), [EDITIONS["new.txt"]])
    output.emit("a report\n", Path("/dev/null"))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list(Path("/dev").glob(".null.*.part"))


def _cli(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env["OUTLOOK_DIFF_CACHE_DIR"] = str(cwd / "cache")
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run(
        [sys.executable, "-m", "outlook_diff", *args],
        cwd=cwd,
        env=env,
        timeout=120,
        **streams,  # type: ignore[call-overload]
    )


def test_dev_stdout_is_the_processs_stdout(tmp_path: Path) -> None:
    assert output.writes_through(Path("/dev/stdout"))
    direct = _cli(["chapters", "2026", "--format", "json"], tmp_path)
    through = _cli(["chapters", "2026", "--format", "json", "-o", "/dev/stdout"], tmp_path)
    assert through.returncode == 0, through.stderr.decode()
    assert through.stdout == direct.stdout
    assert os.path.islink("/dev/stdout")


def test_dev_stdout_redirected_to_a_file_appends_to_it(tmp_path: Path) -> None:
    # Behind /dev/stdout is the file the shell opened (here with >>): written, not replaced.
    log = tmp_path / "log.txt"
    log.write_bytes(b"earlier lines\n")
    with log.open("ab") as handle:
        result = _cli(
            ["chapters", "2026", "--format", "json", "-o", "/dev/stdout"],
            tmp_path,
            stdout=handle,
            stderr=subprocess.PIPE,
        )
    assert result.returncode == 0, result.stderr.decode()
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier lines\n{")
    assert os.path.islink("/dev/stdout")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _reader(path: Path, limit: int | None = None) -> tuple[threading.Thread, list[bytes]]:
    """A thread that opens `path` and reads it to the end (or `limit` bytes, then closes)."""
    received: list[bytes] = []

    def read() -> None:
        with path.open("rb") as handle:
            received.append(handle.read() if limit is None else handle.read(limit))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, received


def test_a_fifo_is_written_through_and_stays_a_fifo(fifo: Path, tmp_path: Path) -> None:
    thread, received = _reader(fifo)
    result = _cli(["chapters", "2026", "--format", "json", "-o", str(fifo)], tmp_path)
    thread.join(timeout=30)
    assert result.returncode == 0, result.stderr.decode()
    assert received == [_cli(["chapters", "2026", "--format", "json"], tmp_path).stdout]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_a_fifo_whose_reader_leaves_is_one_error_naming_it(fifo: Path) -> None:
    # More than a pipe holds (64 KiB), so the write cannot finish before the reader closes.
    thread, _ = _reader(fifo, limit=10)
    with pytest.raises(OutlookDiffError) as raised:
        output.emit("報告" * 500_000, fifo)
    thread.join(timeout=30)
    assert str(raised.value) == f"{fifo}: cannot write the report: Broken pipe"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_dev_full_is_one_line_naming_it_and_exit_2(tmp_path: Path) -> None:
    assert output.writes_through(Path("/dev/full"))
    result = _cli(["chapters", "2026", "-o", "/dev/full"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "outlook-diff: error: /dev/full: cannot write the report: No space left on device\n"
    )
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_the_cached_answer_names_the_file_on_a_failed_write(
    editions: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = _store_replayable(editions, tmp_path, monkeypatch)
    assert replay.replay([*stored, "-o", "/dev/full"]) == 2
    assert capsys.readouterr().err == (
        "outlook-diff: error: /dev/full: cannot write the report: No space left on device\n"
    )


# -- regular files: atomic, named on failure, mode from the umask ------------------------------


def test_a_failed_write_to_a_regular_file_names_it_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    target.write_text("the old report\n", encoding="utf-8")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutlookDiffError) as raised:
        output.emit("the new report\n", target)
    assert str(raised.value) == f"{target}: cannot write the report: No space left on device"
    assert target.read_text(encoding="utf-8") == "the old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_a_full_disk_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """On a real 16 KiB file system: the 73 KB parse does not fit."""
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("this machine does not allow a private mount namespace")
    target = disk / "parse.json"
    script = (
        f"mount -t tmpfs -o size=16k tmpfs {disk} && "
        f"printf 'the old parse\\n' > {target} && "
        f"{sys.executable} -m outlook_diff chapters 2026 --format json -o {target}; "
        f"code=$?; cat {target}; ls -a {disk}; exit $code"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OUTLOOK_DIFF_CACHE_DIR": str(tmp_path / "c")}
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, env=env, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"outlook-diff: error: {target}: cannot write the report: No space left on device\n"
    )
    # The old file is whole and no temporary file is left.
    assert result.stdout.decode().split() == ["the", "old", "parse", ".", "..", "parse.json"]


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Sets the process's umask for one test and puts the old one back."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_report_follows_the_umask(
    tmp_path: Path, umask: Callable[[int], None], mask: int, mode: int
) -> None:
    umask(mask)
    output.emit("a report\n", tmp_path / "report.md")
    assert stat.S_IMODE(os.stat(tmp_path / "report.md").st_mode) == mode


def test_a_report_written_again_keeps_its_mode(
    tmp_path: Path, umask: Callable[[int], None]
) -> None:
    umask(0o022)
    target = tmp_path / "report.md"
    target.write_text("last year\n", encoding="utf-8")
    target.chmod(0o640)
    output.emit("this year\n", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert target.read_text(encoding="utf-8") == "this year\n"


def test_the_command_line_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "parse.json"
    result = _cli(
        ["chapters", "2026", "--format", "json", "-o", str(target)],
        tmp_path,
        preexec_fn=lambda: os.umask(0o027),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_a_symlink_output_is_replaced_not_followed(tmp_path: Path) -> None:
    # A link planted where the report goes must not make it overwrite the file it points to.
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("precious\n", encoding="utf-8")
    (tmp_path / "report.md").symlink_to(elsewhere)
    output.emit("a report\n", tmp_path / "report.md")
    assert elsewhere.read_text(encoding="utf-8") == "precious\n"
    assert not (tmp_path / "report.md").is_symlink()
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "a report\n"


# -- signals ---------------------------------------------------------------------------------


def _interrupted(tmp_path: Path, signum: int) -> tuple[int, str, list[str]]:
    """Start a full comparison into out.md, send `signum` after 2 s: code, stderr, files left."""
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OUTLOOK_DIFF_CACHE_DIR": str(tmp_path / "cache"),
    }
    command = [sys.executable, "-m", "outlook_diff", "2025", "2026", "--no-cache", "-q"]
    process = subprocess.Popen(
        [*command, "-o", "out.md", "--format", "markdown"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start children with SIGINT ignored; a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(2)  # into the reading or the embedding, far from the end
    assert process.poll() is None, "the comparison ended before the signal"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr, sorted(p.name for p in work.iterdir())


@pytest.mark.slow
def test_sigterm_is_one_message_exit_143_and_no_file(tmp_path: Path) -> None:
    code, stderr, left = _interrupted(tmp_path, signal.SIGTERM)
    assert code == 143
    assert stderr.splitlines() == ["outlook-diff: interrupted: no output written"]
    assert left == []


@pytest.mark.slow
def test_ctrl_c_is_one_message_exit_130_and_no_file(tmp_path: Path) -> None:
    code, stderr, left = _interrupted(tmp_path, signal.SIGINT)
    assert code == 130
    assert stderr.splitlines() == ["outlook-diff: interrupted: no output written"]
    assert left == []


def test_sigterm_while_the_report_is_written_leaves_no_temporary_file(tmp_path: Path) -> None:
    """The handler's exception raised inside the write: the temporary file is removed."""
    from outlook_diff.entrypoint import _terminate
    from outlook_diff.errors import Terminated

    target = tmp_path / "report.md"
    previous = signal.signal(signal.SIGTERM, _terminate)
    real_fsync = os.fsync

    def killed_during_fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs here

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fsync", killed_during_fsync)
            with pytest.raises(Terminated):
                output.emit("a report\n", target)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(tmp_path.iterdir()) == []


def test_a_tall_table_on_a_terminal_goes_through_the_pager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    seen = tmp_path / "paged.txt"
    pager = f"import sys; open({str(seen)!r}, 'w').write(sys.stdin.read())"
    monkeypatch.setenv("PAGER", f"{shlex.quote(sys.executable)} -c {shlex.quote(pager)}")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((80, 5)))
    output.emit("line\n" * 3, None, page=True)  # fits the screen: printed, not paged
    assert not seen.exists()
    output.emit("line\n" * 50, None, page=True)
    assert seen.read_text() == "line\n" * 50
    seen.unlink()
    output.emit("line\n" * 50, None, page=False)  # --no-pager
    assert not seen.exists()
