# sasame — `make demo` to see it, `make test` to check it. `make help` lists every target.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= sqlite:///demo.db

.DEFAULT_GOAL := help
.PHONY: help setup demo serve test lint format bench clean

help: ## Show this list of targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv with sasame and the development tools

demo: $(STAMP) ## Build the demo store into demo.db and serve the dashboard at http://127.0.0.1:8000
	$(BIN)/sasame demo --db $(DEMO_DB) --replace

serve: $(STAMP) ## Serve the dashboard for $$SASAME_DATABASE_URL (default sqlite:///sasame.db)
	$(BIN)/sasame serve

test: $(STAMP) ## Run the whole suite (SQLite, PostgreSQL at 127.0.0.1:5432, headless Chromium)
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP) ## Check style (ruff) and types (mypy)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP) ## Rewrite files in the house style
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(STAMP) ## Run the benchmarks in benchmarks/ (results go in docs/benchmarks.md)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## Remove the virtual environment, caches and demo files
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache demo.db demo.db-wal demo.db-shm demo.secret demo-exports demo-outbox.mbox
