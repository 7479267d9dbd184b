# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck pytest bench worker clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## Serve the site with demo data on the embedded default (SQLite, in-process tasks, local media).
run: install
	DJANGO_DEBUG=1 DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:8000 (stop with Ctrl-C)"
	DJANGO_DEBUG=1 DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/python manage.py runserver 127.0.0.1:8000

## Lint, type-check and run every test (PYTEST_ARGS narrows the run, e.g. -m "not browser").
test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	DJANGO_DEBUG=1 $(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks under bench/, one table.
bench: install
	$(BIN)/python bench/run.py

## A Celery worker for the at-scale mode (needs CELERY_BROKER_URL).
worker: install
	$(BIN)/celery -A hitrecord worker --loglevel=INFO --concurrency=2

clean:
	rm -rf $(VENV) staticfiles
