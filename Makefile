# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
# Each creates .venv when missing and installs the project into it first.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint tools bench

$(STAMP): pyproject.toml
	test -x $(PY) || bash scripts/make-venv.sh $(PYTHON) $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

tools:
	bash scripts/install-test-tools.sh

# `make demo PORT=5001` when 5000 is taken (or set PAVERKAN_DEMO_PORT).
demo: $(STAMP)
	$(if $(PORT),PAVERKAN_DEMO_PORT=$(PORT) )$(PY) -m survey.demo

test: $(STAMP) tools
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/stats.py
	$(PY) bench/import.py
	$(PY) bench/export.py
	$(PY) bench/respondent.py
	$(PY) bench/results.py
