# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VENV_BIN := $(abspath $(BIN))
PYTEST_ARGS ?=

.PHONY: run test install install-test migrate seed lint clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (make PYTHON=python3.x ...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# model-card-toolkit: the tests read the schema file its wheel ships (the MCT oracle); --no-deps
# because the package is never imported and its TensorFlow stack is not needed. The stamp also
# depends on this Makefile so that a changed pin reaches existing virtualenvs.
$(VENV)/.installed-test: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps 'model-card-toolkit==2.0.0'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## Set up everything and start web + Celery worker + beat (SQLite and a filesystem broker unless
## DATABASE_URL / CELERY_BROKER_URL say otherwise).
run: seed
	$(BIN)/honcho start -f Procfile

## Install test dependencies and run the whole suite (against PostgreSQL/Redis when the env says so).
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

## Every benchmark at modest sizes, one table (bench/README.md); larger sizes: make bench BENCH_ARGS="--help".
BENCH_ARGS ?=
bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
