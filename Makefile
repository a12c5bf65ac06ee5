# pain_finder: `make demo` and `make test` set themselves up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PF     := $(BIN)/pain-finder
DEMO_OUT ?= demo_out

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast lint fix bench bench-quick golden readme clean browser

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

browser: ## Install Debian's headless Chromium for the report test (skipped quietly where apt is unavailable)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium not installed and apt-get unavailable; the browser test will be skipped"; fi; }

demo: $(STAMP) ## Validate and search the bundled sample practices, merge their counts, then run them as a batch
	$(PF) validate sample_data/practice_a
	$(PF) validate sample_data/practice_b
	$(PF) validate sample_data/practice_c
	$(PF) search sample_data/practice_a --out $(DEMO_OUT)/practice_a
	$(PF) search sample_data/practice_b --out $(DEMO_OUT)/practice_b
	$(PF) search sample_data/practice_c --out $(DEMO_OUT)/practice_c
	$(PF) merge $(DEMO_OUT)/practice_a/summary.json $(DEMO_OUT)/practice_b/summary.json \
	  $(DEMO_OUT)/practice_c/summary.json --out $(DEMO_OUT)/network
	$(PF) batch sample_data/batch.toml --force
	@echo
	@echo "Hand-check lists (patient-identifiable: they stay in the practice): $(DEMO_OUT)/practice_*/invitations.xlsx"
	@echo "Network counts merged from the shared summaries: $(DEMO_OUT)/network/report.html"
	@echo "The same practices as an unattended batch: $(DEMO_OUT)/batch/ (batch_status.json, network/report.html)"

test: $(STAMP) browser ## Run the whole test suite
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP) ## Run the tests without the slow ones
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fix: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP) ## Measure speed and memory; figures go to bench/results.md
	$(BIN)/python bench/run.py --out bench/results.md

bench-quick: $(STAMP) ## Run the benchmark at toy sizes (checks it works; figures to bench/out/quick.md)
	$(BIN)/python bench/run.py --quick --out bench/out/quick.md --work bench/work/quick

readme: $(STAMP) ## Rebuild README.md from the sections in docs/
	$(BIN)/python tools/build_readme.py

golden: $(STAMP) ## Regenerate the golden outputs for sample_data (review the diff before committing)
	$(BIN)/python -m tests.golden.regenerate

clean: ## Remove the venv, caches and demo outputs
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis dist build $(DEMO_OUT) bench/out bench/work
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
