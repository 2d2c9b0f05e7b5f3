# Two commands do all the set-up: `make run` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app wsgi

.PHONY: install run test test-browser lint bench load crowd

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(FLASK) db upgrade
	$(FLASK) first-run
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The real-browser journeys alone (Debian's Chromium; screenshots in test-artifacts/browser/).
test-browser: install
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m benchmarks.tables
	$(BIN)/python -m benchmarks.designs
	$(BIN)/python -m benchmarks.rotations
	$(BIN)/python -m benchmarks.breakouts
	$(BIN)/python -m benchmarks.repair
	$(BIN)/python -m benchmarks.harvest
	$(BIN)/python -m benchmarks.series
	$(BIN)/python -m benchmarks.voting
	$(BIN)/python -m benchmarks.matching
	$(BIN)/python -m benchmarks.peer_challenge

load: install
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

crowd: install
	$(BIN)/python -m benchmarks.crowd
