# kwh-workbench: one command for the demo close, one for the tests (set-up included).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
YEAR   ?= 2025
DEMO   ?= data/demo
REPORTS ?= reports
# Corporations rendered by `make demo` (the national data behind comparisons stays whole):
# six demo scenarios (kwh_calc.intake.demo.demo_scenarios, default seed): a normal extension (C001),
# low response where the CKV decides (C232), a borderline score (C067), a label that expires
# after two failing years (C117), a merger (C137), a new member not yet assessable (C024) and
# removed questionnaires that change the advice (C043; C001 has removals that change nothing).
# `make demo DEMO_SELECTION=` renders every corporation (the full close).
DEMO_SELECTION ?= --corporation C001 --corporation C232 --corporation C067 --corporation C117 --corporation C137 --corporation C024 --corporation C043
JOBS   ?= 2
# Quarto for the Quarto engine and its tests: built from ../shared/quarto (build and CI machines)
# into a git-ignored folder; on a workstation it comes from conda-forge or quarto.org.
QUARTO_KIT ?= ../shared/quarto
QUARTO_DIR ?= .quarto-cli

.PHONY: help setup quarto browser demo demo-data lint test lab bench lock clean

help:
	@echo "make demo   set up, generate the demo dataset and run the annual close on it"
	@echo "make lint   set up and run the gates: ruff check, ruff format --check, mypy"
	@echo "make test   set up (Quarto too, when ../shared/quarto is there), run the gates and the whole test suite"
	@echo "make quarto build Quarto from ../shared/quarto into $(QUARTO_DIR)/ (or say how to get it)"
	@echo "make lab    set up and open JupyterLab with the project kernel"
	@echo "make bench  run the benchmarks (scores vs DuckDB, close vs floor)"

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name kwh-workbench --display-name "kwh-workbench (Python)" >/dev/null
	touch $@

$(DEMO)/corporations.parquet: | setup
	$(BIN)/kwh demo-data $(DEMO) --year $(YEAR)

demo-data: $(DEMO)/corporations.parquet

demo: setup demo-data
	$(BIN)/kwh close $(DEMO) --year $(YEAR) --out $(REPORTS) --jobs $(JOBS) $(DEMO_SELECTION)
	@echo "Documents: $(REPORTS)/$(YEAR)/<corporation_id>/*.pdf; national: $(REPORTS)/$(YEAR)/ckv-overzicht.pdf, aedes-aanlevering.xlsx"

quarto: setup
	@tools/quarto.sh $(QUARTO_DIR) $(QUARTO_KIT) $(BIN)/python

# The gates (also in .pre-commit-config.yaml): lint and format with ruff, types with mypy (pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The built Quarto goes first on PATH; in CI (CI=true) the Quarto tests fail instead of skipping
# when there is no quarto.
test: setup quarto browser lint
	PATH="$(abspath $(QUARTO_DIR))/bin:$$PATH" $(BIN)/python -m pytest -q -n 2 --dist loadfile

# The monitor's browser tests (issue 14) drive Debian's chromium; installed only when missing,
# and only as root (CI); elsewhere those tests skip with the reason.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium not installed: the browser tests will skip (apt-get install chromium chromium-driver)"; fi; \
	fi

# Jupyter refuses root unless told; containers and shared build machines often run as root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

bench: setup
	$(BIN)/kwh bench scores
	$(BIN)/kwh bench close --sample 20

# Refresh the lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^kwh-workbench' > requirements.lock

clean:
	rm -rf $(VENV) $(DEMO) $(REPORTS)/$(YEAR)
