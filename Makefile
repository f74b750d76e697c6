# spcncl — `make run` and `make test` do all the set-up from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEPS := setup.cfg pyproject.toml examples/spcncl-hue/setup.cfg examples/spcncl-national/setup.cfg

.PHONY: install run tour test bench clean

$(STAMP): $(DEPS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "spcncl needs Python 3.11 or newer (set PYTHON=python3.11 …)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[admin,test,postgresql]' -e ./examples/spcncl-hue -e ./examples/spcncl-national
	@touch $@

install: $(STAMP)

DATABASE_URL ?= sqlite:///spcncl.sqlite
PORT ?= 5000

# the back office on the demo database (built if missing): http://127.0.0.1:$(PORT)
run: install
	SPCNCL_DATABASE_URL=$(DATABASE_URL) PORT=$(PORT) $(BIN)/python -m spcncl_admin.serve

# the command-line tour: plugins, criteria sets, one evaluation, the demo round's report
tour: install
	$(BIN)/spcncl plugins
	@echo
	$(BIN)/spcncl criteria list
	@echo
	$(BIN)/spcncl evaluate examples/dossiers/hanoi-2023-vnsteel-council.json
	@echo
	$(BIN)/spcncl demo --if-missing --database-url $(DATABASE_URL)
	@echo
	$(BIN)/spcncl round report --year 2023 --database-url $(DATABASE_URL)
	$(BIN)/spcncl audit verify --database-url $(DATABASE_URL)

# SPCNCL_TEST_DATABASE_URL=postgresql://… runs the database tests on PostgreSQL instead of an SQLite file
test: install
	SPCNCL_TEST_DATABASE_URL="$(SPCNCL_TEST_DATABASE_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info examples/spcncl-hue/*.egg-info examples/spcncl-national/*.egg-info .pytest_cache
