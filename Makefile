# The two commands: `make run` (the main job, offline demo) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,web,parquet,plot,transformers]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/fundwire demo --db fundwire.db

test: $(STAMP_DEV)
	$(BIN)/python -m pytest -q

lint: $(STAMP_DEV)
	$(BIN)/ruff check extractor crawlers models tests bench
	$(BIN)/mypy extractor crawlers

clean:
	rm -rf $(VENV) fundwire.db fundwire.db-wal fundwire.db-shm
