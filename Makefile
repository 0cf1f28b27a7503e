# The two set-up commands: `make run` (service with demo data) and `make test` (whole suite).
# Both create .venv with Python 3.11+ and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` uses the local PostgreSQL server when one answers; CI sets this explicitly.
PG_DEFAULT_URL := postgresql://postgres@127.0.0.1:5432/postgres
# The suite runs in parallel (pytest-xdist): each worker builds its own template databases and
# gets a database per test. Tests are dealt out one by one and idle workers steal from busy ones
# (worksteal): a few files hold many long tests (the schemathesis run, the browser journeys),
# and a whole file on one worker would leave the others idle at the end. A test
# often waits on PostgreSQL, Chromium or a subprocess, so a third worker on two cores still
# pays; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 3

# Debian packages: WeasyPrint's text stack and pinned fonts (certificates), poppler for the
# tests' independent PDF checks (pdfsig, pdftoppm, pdftotext).
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_DEBS := $(RUN_DEBS) poppler-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

define ensure_debs
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

.PHONY: run test lint migrate bench install install-test system-run system-test clean

run: install
	$(BIN)/loket demo
	$(BIN)/loket serve --host $(HOST) --port $(PORT)

test: install-test
	@url="$${LOKET_TEST_DATABASE_URL:-$$($(BIN)/python -m tests.pg_probe $(PG_DEFAULT_URL))}"; \
	  LOKET_TEST_DATABASE_URL="$$url" $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Fast checks before the tests: lint, formatting, types, and the import contracts
# (pyproject.toml [tool.importlinter]).
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app
	$(BIN)/lint-imports

migrate: install
	$(BIN)/loket db upgrade

bench: install-test
	$(BIN)/python bench/api.py

install: system-run $(VENV)/.installed
install-test: system-test $(VENV)/.installed-test

system-run:
	$(call ensure_debs,$(RUN_DEBS))

system-test:
	$(call ensure_debs,$(TEST_DEBS))

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Loket needs Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-lint: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) var
