# Träffpunkt: the two commands a newcomer needs.
#   make run   – install, create the SQLite database in instance/, load demo data, serve on
#                http://127.0.0.1:5000 with the reminder scheduler running in the process
#   make test  – install what the tests need and run the whole suite (SQLite and PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint fuzz bench clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(FLASK) compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	SCHEDULER_IN_PROCESS=1 SHOW_OUTBOX=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	bash scripts/test-tools.sh
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The property tests of every form with many more examples than CI runs (tests/fuzz).
FUZZ_EXAMPLES ?= 1000
fuzz: $(VENV)/.installed-test
	bash scripts/test-tools.sh
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(BIN)/python -m pytest -n 2 -q tests/fuzz

lint: $(VENV)/.installed-test
	$(BIN)/ruff check webapp tests bench
	$(BIN)/ruff format --check webapp tests bench

clean:
	rm -rf $(VENV) tests/node/node_modules
