# README command 1: `make demo`.  README command 2: `make test` (what .ci/run calls).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup setup-test demo test test-python test-dbt-lint test-sdk bench lint clean

# The Python environment: one editable install of this repo. `make demo` needs only the runtime
# dependencies; the test tools (the dev extras) come with setup-test. --no-compile: Python compiles what it
# imports on first use, instead of pip byte-compiling every installed module up front.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q --no-compile -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Test-only pieces: the dev extras (pytest, moto, Playwright, sqlfluff ...), Debian's chromium, the SDK's npm packages.
setup-test: $(VENV)/.installed-dev
	scripts/setup-test.sh

demo: setup
	$(BIN)/clickstream-demo

test: setup-test test-python test-dbt-lint test-sdk

test-python:
	$(PY) -m pytest

test-dbt-lint:
	$(BIN)/sqlfluff lint dbt/models dbt/tests dbt/macros

test-sdk:
	cd sdk && npm test && npm run build

bench: $(VENV)/.installed-dev
	$(BIN)/pip install -q -e '.[bench]'
	for script in bench/bench_*.py; do $(PY) $$script; done

lint: $(VENV)/.installed-dev
	$(BIN)/sqlfluff lint dbt/models dbt/tests dbt/macros

clean:
	rm -rf $(VENV) .clickstream dbt/target dbt/logs sdk/node_modules sdk/dist

# The dashboards on http://127.0.0.1:8000 (warehouse: CLICKSTREAM_DSN or libpq PG*, else the embedded one).
.PHONY: dashboard
dashboard: setup
	$(BIN)/clickstream-dashboard --host 127.0.0.1 --port $${DASHBOARD_PORT:-8000}
