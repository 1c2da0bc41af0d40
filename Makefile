# Two commands on a fresh clone: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest sandbox bench bench-poller clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The console on the embedded sandbox when nothing is configured (see README).
run: $(STAMP)
	$(BIN)/bkbot run

sandbox: $(STAMP)
	$(BIN)/bkbot sandbox

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/client.py

# About half an hour: N = 100, 1,000 and 5,000 watched runs (docs/benchmarks.md "Poller").
bench-poller: $(STAMP)
	$(BIN)/python bench/poller.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
