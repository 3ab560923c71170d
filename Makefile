# Two commands for a newcomer: `make report` (the main job) and `make test`.
# Both create .venv with Python 3.12 if it is absent and install migflows into it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Find a Python 3.12: PATH first, then pyenv's versions, then the usual system places.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
REPORT ?= migflows-report.html
PYTEST_ARGS ?= -n 2

.PHONY: report test lint typecheck bench data clean

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "make: no Python 3.12 found (looked for python3.12 on PATH and in ~/.pyenv); install it or run 'make PYTHON=/path/to/python3.12'"; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	@touch $@

report: $(VENV)/.installed
	$(VENV)/bin/migflows report --out $(REPORT)

test: $(VENV)/.installed
	MPLBACKEND=Agg OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check migflows tests scripts benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) benchmarks/run_all.py

data: $(VENV)/.installed
	$(PY) scripts/build_kazakhstan_data.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
