# The study's entry points. `make study` and `make test` work on a fresh Debian machine.
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
SNAKEMAKE := $(BIN)/snakemake

.PHONY: bench-peers md bench-md setup study paper test test-fast test-slurm lint report bench bench-restart clean experiment publish

setup:
	bash scripts/setup.sh

## set up, then run the default study end to end (config/config.yaml)
study: setup
	$(BIN)/mdcv check-config > /dev/null
	$(SNAKEMAKE) --cores $(CORES)

## the molecular-dynamics stage only (both alanine systems)
md: setup
	$(SNAKEMAKE) --cores $(CORES) md_all

## a named experiment: config/config.yaml + config/experiments/$(NAME).yaml, run in
## results/experiments/$(NAME)/ (its own results and .snakemake, never the default run's)
EXPERIMENTS := $(basename $(notdir $(wildcard config/experiments/*.yaml)))
experiment: setup
	@test -n "$(NAME)" -a -f "config/experiments/$(NAME).yaml" || \
		{ echo "usage: make experiment NAME=<name>, one of: $(EXPERIMENTS)"; exit 2; }
	$(BIN)/mdcv check-config config/experiments/$(NAME).yaml > /dev/null
	mkdir -p results/experiments/$(NAME)
	$(SNAKEMAKE) --cores $(CORES) --directory results/experiments/$(NAME) \
		--configfile $(CURDIR)/config/experiments/$(NAME).yaml

## copy a finished run's summary and key figures to docs/results/$(RUN)/ (RUN=default or an experiment)
publish:
	@test -n "$(RUN)" || { echo "usage: make publish RUN=default|<experiment>"; exit 2; }
	$(BIN)/python scripts/publish.py $(RUN)

## the paper-scale study (meant for a cluster: add --profile profiles/slurm)
paper: setup
	$(BIN)/mdcv check-config config/paper.yaml > /dev/null
	$(SNAKEMAKE) --cores $(CORES) --configfile config/paper.yaml

## set up, then run every test (unit, workflow lint and dry runs, tiny real runs)
test: setup
	$(BIN)/ruff check src tests workflow/scripts benchmarks
	$(BIN)/pytest -v

## unit tests only, no Snakemake subprocess (under a minute on 2 cores)
test-fast: setup
	OMP_NUM_THREADS=1 $(BIN)/pytest -m "not slow and not snakemake" -q

## real single-node SLURM run of part of the workflow (root; ~1 min, +20 s to apt-install slurm)
test-slurm: setup
	bash tests/slurm/run.sh

lint: setup
	$(BIN)/ruff check src tests workflow/scripts benchmarks
	$(SNAKEMAKE) --lint

## the HTML report of the default run: every figure and table, and the summary page
report: setup
	$(SNAKEMAKE) --report results/report.html
	@echo "summary: results/summary/index.md (also in results/report.html)"

## benchmarks (outside the test suite), CSV files in results/benchmarks/
bench: setup
	$(BIN)/python benchmarks/train_speed.py --out results/benchmarks/train_speed.csv
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/train_cost.py --configfile config/paper.yaml --out results/benchmarks/train_cost.csv
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/step_modes.py --out results/benchmarks/step_modes.csv

## workflow vs by-hand gmx mdrun throughput (after `make md`)
bench-md: setup
	$(BIN)/python benchmarks/md_throughput.py

## MD killed at 50 % and resumed vs a full run: results/benchmarks/restart.csv (~3 min)
bench-restart: setup
	$(BIN)/python benchmarks/restart.py --out results/benchmarks/restart.csv

## mdcv vs its peers (own venv: benchmarks/peers/.venv); run on an idle machine, ~12 min
bench-peers:
	bash benchmarks/peers/setup.sh
	OMP_NUM_THREADS=1 benchmarks/peers/.venv/bin/python benchmarks/peers/run.py --case all --steps 10000 --transfer-steps 2000
	OMP_NUM_THREADS=1 benchmarks/peers/.venv/bin/python benchmarks/peers/pipeline.py

clean:
	rm -rf results .snakemake
