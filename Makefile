# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint format migrate superuser clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

run: $(VENV)/.installed  ## migrate and start daphne (WEB_CONCURRENCY processes), celery worker and beat, the FTP server (and embedded Redis if REDIS_URL is unset)
	$(PY) -m portal.launcher run

test: $(VENV)/.installed  ## the whole suite (embedded Redis/SQLite unless REDIS_URL/DATABASE_URL are set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m portal.launcher test

lint: $(VENV)/.installed  ## ruff lint (complexity included), format check, and the layering (import-linter, .importlinter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed  ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(VENV)/.installed  ## apply database migrations
	$(PY) manage.py migrate

superuser: $(VENV)/.installed  ## create an operator account interactively
	$(PY) manage.py createsuperuser

.PHONY: bench
bench: $(VENV)/.installed  ## quick load benchmark of one portal node (PostgreSQL, Redis on 127.0.0.1; benchmarks/README.md)
	$(PY) -m benchmarks.ocpp_load all --chargers 500 --duration 10

clean:  ## remove the virtualenv and local databases
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3
