# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/orientation.sqlite3

.PHONY: run test test-unit test-integration test-e2e lint typecheck imports diagram bench chat demo-reset clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.1"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# The console's browser tests drive Debian's chromium (Playwright downloads no browser);
	@# without it (no root, no network) they are skipped with the reason.
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
		|| echo "note: chromium could not be installed; the browser tests will be skipped"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m bot --db $(DB) run

chat: $(VENV)/.installed
	$(BIN)/python -m bot --db $(DB) chat

# ruff, mypy, the layers' import rules, then every scope (tests/README.md says what goes where).
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy flows storage bot
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/unit

test-integration: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/integration

test-e2e: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/e2e

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy flows storage bot

imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

# docs/dialogue.mmd, drawn from the dialogue's transition table (a unit test says when it is stale)
diagram: $(VENV)/.installed
	$(BIN)/python scripts/dialogue_diagram.py

bench: $(VENV)/.installed
	$(BIN)/python -m bench.bench_engine
	$(BIN)/python -m bench.bench_telegram
	$(BIN)/python -m bench.bench_sender
	$(BIN)/python -m bench.bench_reminders
	$(BIN)/python -m bench.bench_import

demo-reset:
	rm -f $(DB) $(DB)-wal $(DB)-shm

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache .import_linter_cache
