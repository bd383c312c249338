# Sportello: `make run` runs everything, `make test` tests everything. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SPORTELLO := $(VENV)/bin/sportello

.PHONY: run test setup venv services stop status topics migrate lint check clean-state \
	bench bench-soak faults

run: setup
	$(SPORTELLO) run

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

setup: venv services topics migrate

# The environment is rebuilt when the lock or the project's metadata change.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

services:
	deploy/local/system-packages.sh
	deploy/local/kafka.sh start
	deploy/local/postgres.sh start

topics:
	$(SPORTELLO) topics

migrate:
	$(SPORTELLO) migrate

stop:
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

status:
	-deploy/local/kafka.sh status
	-deploy/local/postgres.sh status

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy runtime schemas ingestors processors sinks

check: lint test

# Forget local broker and database state (they are recreated on the next run).
clean-state: stop
	rm -rf var/kafka var/postgres var/worker

# Proof under load and faults, on a private broker and PostgreSQL cluster of their own (never
# the shared ones; see bench/run_all.py and bench/faults/). Not part of `make test`.
bench: venv
	deploy/local/system-packages.sh
	$(PY) -m bench.run_all

bench-soak: venv
	deploy/local/system-packages.sh
	SOAK=1 $(PY) -m bench.run_all

faults: venv
	deploy/local/system-packages.sh
	$(PY) -m bench.faults
