# Everyday commands.  `make demo` and `make test` install everything they need first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell (cat pyproject.toml; $(PY) --version) | sha1sum | cut -c1-12)

.PHONY: install demo test test-fast contract contract-neo4j lint bench browser java clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@rm -f $(VENV)/.installed-* && touch $@

demo: install                      ## load the bundled sample into the embedded store and serve it
	$(BIN)/imvo demo

browser:                           ## Debian's chromium for the view tests (root or sudo)
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

java:                              ## Java 17+ and Maven assemble the local Neo4j (installed when missing)
	@command -v java >/dev/null && command -v mvn >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null; }

test: install browser java lint    ## the gates, then the whole suite; starts its own Neo4j (or uses NEO4J_URI)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install                 ## embedded backend only, no browser
	$(BIN)/python -m pytest -m "not neo4j and not browser" $(PYTEST_ARGS)

contract: install                  ## the shared contract check (embedded store)
	$(PY) ../shared/contract/check_contract.py

contract-neo4j: install            ## the shared contract check on a fresh local Neo4j
	@set -e; dir=$$(mktemp -d); trap '$(BIN)/python -c "from imvo.graph import neo4j_launcher as n; from pathlib import Path; n.stop_instance(Path(\"'$$dir'\"))"; rm -rf $$dir' EXIT; \
	uri=$$($(BIN)/python -c "from imvo.graph import neo4j_launcher as n; from pathlib import Path; print(n.start(Path('$$dir'), heap='1g', pagecache='256m').uri)"); \
	NEO4J_URI=$$uri $(PY) ../shared/contract/check_contract.py --store neo4j

lint: install                      ## ruff, mypy (strict on the core) and the import contract; any finding fails
	$(BIN)/python scripts/static_checks.py

bench: install                     ## ingest and query benchmarks (see BENCHMARKS.md)
	$(BIN)/python scripts/bench_ingest.py
	$(BIN)/python scripts/bench_leverage.py
	$(BIN)/python scripts/bench_load.py
	$(BIN)/python scripts/bench_limits.py

clean:
	rm -rf $(VENV) build *.egg-info bench-results
