# Two commands a new user needs: `make demo` (the main job) and `make test`.
# Each creates/refreshes .venv in the repo root and installs what it needs; nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Real Olist data is read at run time from a data directory, never from the repo. Use the shared copy
# beside the checkout when there is one; a user points TUCANO_OLIST_DIR at their Kaggle download.
SHARED_OLIST := $(abspath ../shared/data/olist)
export TUCANO_OLIST_DIR ?= $(if $(wildcard $(SHARED_OLIST)/*.csv),$(SHARED_OLIST),)
WAREHOUSE ?= .tucano/warehouse.duckdb

.PHONY: demo test lint bench venv clean

$(BIN)/.installed-core: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install -q -e '.[dev,embed]' 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -c "import tucano_commerce, duckdb, sqlglot, pytest" || (echo "install failed" && exit 1)
	@touch $@

venv: $(BIN)/.installed-core

demo: venv
	$(BIN)/tucano db build --out $(WAREHOUSE) --seed 0

test: venv
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: venv
	$(BIN)/python benchmarks/sql_scoring.py

clean:
	rm -rf $(VENV) .tucano .pytest_cache .ruff_cache .hypothesis
