# Magpie — make demo · make test · make bench · make lint (see README.md, docs/testing.md)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.magpie-installed
# Extra arguments for every pytest run, e.g. make test PYTEST_ARGS='-x -k landing'
PYTEST_ARGS ?=
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: demo test test-sqlite test-postgres test-e2e bench lint format install clean

# (Re)install when pyproject.toml changes (new dependencies, entry points of new plugins).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/magpie demo

# Lint, then the whole suite on SQLite, then the whole suite again on a throwaway
# PostgreSQL cluster (skipped with a reason when the server binaries are missing, unless
# MAGPIE_REQUIRE_SERVICES is set).
test: install
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite test-postgres

# The SQLite pass leaves out the PostgreSQL-only tests; the PostgreSQL pass leaves out the
# slow tests that start their own processes on their own SQLite files (CLI, scaffolded
# plugins), which would only repeat the SQLite pass.
test-sqlite: install
	$(PYTEST) -m "not postgres" $(PYTEST_ARGS)

test-postgres: install
	$(BIN)/python -m magpie.testing.pgcluster -- $(PYTEST) -m "not slow" $(PYTEST_ARGS)

test-e2e: install
	$(PYTEST) -m e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache .ruff_cache
