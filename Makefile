# Familias — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
LOCK := requirements.lock
PYTEST_ARGS ?=

.PHONY: help install run test test-slow test-ui chaos lint format lock bench clean

help:
	@echo "make run        inicia todo el sistema con datos de demostración (Ctrl-C lo detiene)"
	@echo "make test       ejecuta la suite de pruebas"
	@echo "make test-slow  pruebas lentas: caos y carga"
	@echo "make chaos      suite de caos, ambos modos (SEMILLAS=\"1 2 3\"; tabla en bench/RESULTS.md)"
	@echo "make test-ui    pruebas de la consola en Chromium (Playwright)"
	@echo "make lint       ruff, mypy e import-linter"
	@echo "make bench      benchmarks (resultados en bench/RESULTS.md)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Se necesita Python 3.11 o superior ($(PYTHON) es más antiguo)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# uv installs in seconds; plain pip is the fallback when uv cannot be had.
$(STAMP): pyproject.toml $(LOCK) | $(PY)
	@if $(PY) -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1 && [ -x $(UV) ]; then \
		VIRTUAL_ENV=$(VENV) $(UV) pip sync --quiet --compile-bytecode --python $(PY) $(LOCK) && \
		VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --python $(PY) --no-deps -e . && \
		$(PY) -m compileall -q shared services workflows cli deploy ; \
	else \
		echo "uv no disponible: se instala con pip (más lento)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r $(LOCK) && \
		$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . ; \
	fi
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m deploy.local run

# The browser tests drive Debian's Chromium (never `playwright install`, which downloads).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
CHROMIUM := command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: $(STAMP)
	@$(CHROMIUM)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-ui: $(STAMP)
	@$(CHROMIUM)
	$(PY) -m pytest -q -m ui tests/ui $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS)

# The chaos suite's long runs (tests/chaos/README.md): per seed, the money mode and the
# lifecycle mode; each appends its invariant table to bench/RESULTS.md. Exit 1 if any fails.
SEMILLAS ?= 1 2 3
CHAOS_ARGS ?=
chaos: $(STAMP)
	$(PY) -m tests.chaos --modo ambos $(foreach s,$(SEMILLAS),--semilla $(s)) --registrar $(CHAOS_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared workflows services cli deploy bench
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: | $(PY)
	$(PY) -m pip install --quiet uv
	$(UV) pip compile --quiet --universal --python-version 3.11 --all-extras pyproject.toml -o $(LOCK)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
