PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-sqlite test-postgres bench lint install

$(BIN)/magpie: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/magpie

demo: install
	$(BIN)/magpie demo

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest
