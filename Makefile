# The two quick-start commands are `make run` and `make test`; each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STATIONS := data/stations/synthetic_stations.csv

.PHONY: run test lint data chromium fonts postgis clean

$(BIN)/locator: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/locator
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(STATIONS): | $(BIN)/locator
	$(BIN)/locator data build

data: $(STATIONS)

chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Chinese text on the print maps (locator/render.py) needs a CJK font; 1.6 MB download.
fonts:
	@{ command -v fc-list >/dev/null && [ -n "$$(fc-list :lang=zh)" ]; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y -qq fontconfig fonts-wqy-microhei; }

# PostGIS for the PostgreSQL tests, where a PostgreSQL 15 server is installed (CI, dev machines).
postgis:
	@if [ -d /usr/lib/postgresql/15 ] && [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y -qq postgresql-15-postgis-3; fi

run: $(BIN)/locator data fonts
	$(BIN)/locator run

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.test-deps chromium fonts postgis data lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .mypy_cache .pytest_cache .ruff_cache
