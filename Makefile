# The two commands a newcomer needs (see README.md):
#   make reproduce   check the articles and scheme, build the dataset from the gold, reproduce the baselines
#                    (the transformer ones too: about an hour more on 2 cores)
#   make test        lint and format check (ruff), then the whole test suite
# Both create .venv with the pinned versions in requirements/constraints.txt first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.frontline-installed

.PHONY: install system-deps reproduce test
install: $(STAMP)

# Chromium + ChromeDriver (Debian packages) for the browser test; a no-op when present.
system-deps:
	bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[studio,test,transformer]'
	touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/frontline reproduce

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/python -m pytest
