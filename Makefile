# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Exact versions with sha256 hashes of everything .venv needs besides the project itself (its
# dependencies, the test extra, pip and setuptools); `make lock` writes it, `make install` and
# CI install only from it.
LOCK := requirements.lock
# The same pins without the test extra, for the Dockerfile.
DEPLOY_LOCK := requirements-deploy.lock
UV_VERSION := 0.13.9
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install lock run test lint typecheck pytest bench worker clean screenshots

## Install exactly the lock (needs only python3 and pip), then the project itself, editable.
install: $(STAMP)

# pip warns once per package about any configured local index that lacks it; only that is dropped.
PIP_NOISE := is ignored: it is neither a file nor a directory

# One line per package while pip works ("[12/97] django==5.2.8"), so a first install that
# downloads for minutes shows where it is; pip's own chatter (download sizes, the final list)
# is dropped, its warnings and errors still reach stderr once it is done.
PIP_PROGRESS := /^Ignoring /{ n-- } \
  /^Collecting /{ i++; printf "  [%d/%d] %s\n", i, n, $$2; fflush() } \
  /^Requirement already satisfied: /{ i++; printf "  [%d/%d] %s (already there)\n", i, n, $$4; fflush() } \
  /^Installing collected packages/{ print "  Unpacking and installing them..."; fflush() }

$(STAMP): pyproject.toml $(LOCK)
	@echo "Installing locked dependencies from $(LOCK) (a few minutes on a fresh machine)..."
	@test -x $(BIN)/python || { echo "  Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@{ PYTHONUNBUFFERED=1 $(PIP) install --progress-bar off --require-hashes -r $(LOCK) \
	    2>$(VENV)/pip-install.log; echo $$? >$(VENV)/pip-install.status; } \
	  | awk -v n="$$(grep -c '^[A-Za-z0-9]' $(LOCK))" '$(PIP_PROGRESS)'; \
	  status=$$(cat $(VENV)/pip-install.status); \
	  grep -v '$(PIP_NOISE)' $(VENV)/pip-install.log >&2; exit $$status
	@echo "  Installing the project itself (editable)"
	@$(PIP) install -qq --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "  Installed."

## Re-resolve the lock after pyproject.toml changed, keeping every pin that still fits.
## Move pins on purpose with LOCK_ARGS='--upgrade-package ruff' (or '--upgrade' for all).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/uv --version 2>/dev/null | grep -qF 'uv $(UV_VERSION) ' \
	  || $(PIP) install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra test --universal \
	  --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
	  --quiet $(LOCK_ARGS) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml requirements-build.in -c $(LOCK) --universal \
	  --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
	  --quiet -o $(DEPLOY_LOCK)

## Serve the site with demo data on the embedded default (SQLite, in-process tasks, local media)
## at http://127.0.0.1:8000; another port with `make run PORT=8001`.
PORT ?= 8000
# Mail links point at the port being served unless SITE_URL says otherwise.
RUN_ENV = DJANGO_DEBUG=1 DJANGO_SECURE_SSL_REDIRECT=0 SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}"

run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:$(PORT) (stop with Ctrl-C)"
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

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

## Full-page screenshots of every page (signed out, artist, director, staff) at 1280x900 and
## 375x812 into screenshots/, with a contact sheet screenshots/index.html (needs
## /usr/bin/chromium). SCREENSHOTS_ARGS='--out DIR' writes them elsewhere.
screenshots: install
	$(BIN)/python -m tests.screenshots $(SCREENSHOTS_ARGS)

## One Celery worker for development, consuming every queue (needs CELERY_BROKER_URL); at
## scale each queue has its own workers (docker-compose.yml).
worker: install
	$(BIN)/celery -A hitrecord worker -Q media,payouts,email,celery -n dev@%h --loglevel=INFO \
	  --concurrency=2

clean:
	rm -rf $(VENV) staticfiles
