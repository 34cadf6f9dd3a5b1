# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JS := tests/interop/js
STAMP := $(VENV)/.installed-stamp
JS_STAMP := $(JS)/node_modules/.installed-stamp

.PHONY: all venv demo test test-fast lint format bench clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, the CPU build (a plain `torch` requirement would fetch a multi-GB CUDA one)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(STAMP)

## demo: register a real model and a dataset by CID, load them back verified, catch a flipped byte
demo: $(STAMP)
	$(PY) examples/demo.py

## test: install everything the tests need, then run the whole suite
test: $(STAMP) $(JS_STAMP)
	$(PY) -m pytest -q

## test-fast: skip slow and interop tests
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not interop"

## lint: ruff (lint + format check) and mypy --strict on src/
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench examples
	$(VENV)/bin/ruff check --fix src tests bench examples

## bench: benchmarks that print ratios against named peers
bench: $(STAMP) $(JS_STAMP)
	$(PY) bench/cid.py
	$(PY) bench/import.py
	$(PY) bench/repo.py
	$(PY) bench/gateway.py
	$(PY) bench/hub.py

clean:
	rm -rf $(VENV) $(JS)/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
