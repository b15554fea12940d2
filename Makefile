# Two entry points for a fresh machine (Python 3.11 + make):
#   make demo   install everything, then run the main job on the embedded sample market
#   make test   install everything, then run ruff, sqlfluff and the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test test-slow lint bench bench-w2 clean

$(BIN)/alvh: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(BIN)/alvh

demo: install
	$(BIN)/alvh demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models

# one test file per xdist worker at a time (its module fixtures built once: tests/conftest.py)
test: lint
	$(BIN)/pytest -m "not slow_cli" -n 2 --dist loadfile

# one real CLI process per case: the bad-input corpus, crash and rerun at three points;
# the files run side by side, the corpus's cases on both workers
test-slow: install
	$(BIN)/pytest -m slow_cli -n 2 --dist loadfile

bench: install
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python bench/bench_iv.py --n 1000000
	$(BIN)/python bench/bench_sample.py
	$(BIN)/python bench/bench_indicators.py
	$(BIN)/python bench/bench_condor_optopsy.py
	$(BIN)/python bench/bench_pipeline.py

# W2: 1999-01-04 … 2018-12-28 as one backfill, then W3 on it (~20 min, ~11 GB of /tmp)
bench-w2: install
	$(BIN)/python bench/bench_pipeline.py --full

clean:
	rm -rf $(VENV) warehouse landing reports .dagster_home
