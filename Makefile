# offhours: `make demo` runs a simulated week on the embedded clouds; `make test` runs
# every check CI runs. Both set up what they need on a fresh machine.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
# Test files run in parallel, each file whole on one worker (its module fixtures once).
PYTEST_WORKERS ?= 2
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit install clean bench tools coverage package package-aws package-gcp package-azure

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

node_modules/.installed-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(STAMP)
	$(BIN)/offhours demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# checkov pins an old boto3: it lives in a virtual environment of its own.
tools:
	bash .ci/install-tools.sh

unit: $(STAMP) node_modules/.installed-stamp tools
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# Each cloud's deployable artefact, with only that cloud's dependencies, in dist/.
package: package-aws package-gcp package-azure

package-aws: $(STAMP)
	$(BIN)/python infra/package.py aws --measure

package-gcp: $(STAMP)
	$(BIN)/python infra/package.py gcp

package-azure: $(STAMP)
	$(BIN)/python infra/package.py azure

test: lint typecheck unit

# Line and branch coverage of providers/ over the whole suite (not part of `make test`:
# measuring slows the run). COVERAGE_TESTS narrows it: COVERAGE_TESTS=tests/functional.
COVERAGE_TESTS ?=
coverage: $(STAMP) node_modules/.installed-stamp tools
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --cov=providers --cov-branch \
		--cov-report=term-missing:skip-covered $(COVERAGE_TESTS)

bench: $(STAMP)
	$(BIN)/python bench/bench_schedules.py
	$(BIN)/python bench/bench_ec2.py --instances 2000
	$(BIN)/python bench/bench_targets.py
	$(BIN)/python bench/bench_fanout.py
	$(BIN)/python bench/bench_digest.py

clean:
	rm -rf $(VENV) .venv-tools node_modules demo-out build dist *.egg-info
