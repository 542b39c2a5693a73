# dockscap: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RELEASE ?=
RELEASE_OPT := $(if $(RELEASE),--release $(RELEASE),)

.PHONY: install run test lint clean bench

$(BIN)/dockscap: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

tests/node/node_modules: tests/node/package.json
	cd tests/node && npm ci --no-audit --no-fund --silent
	touch $@

install: $(BIN)/dockscap tests/node/node_modules

run: $(BIN)/dockscap
	$(BIN)/dockscap generate $(RELEASE_OPT) --out build
	$(BIN)/python scripts/run_demo.py $(RELEASE_OPT)

test: install
	$(BIN)/pytest

# The benchmark of issue 6 (README, Benchmark): make bench BENCH_ARGS='--sizes 1000'
bench: $(BIN)/dockscap
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(BIN)/dockscap
	$(BIN)/ruff check dockscap generator evaluator schemas tests scripts bench
	$(BIN)/python scripts/typecheck_tree.py build/typecheck
	cd build/typecheck && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p dockscap

clean:
	rm -rf build out $(VENV) tests/node/node_modules
