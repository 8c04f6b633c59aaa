PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATROLI_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: venv demo test lint evaluate train bench bench-web screenshots soak clean

# The package is also byte-compiled, as a non-editable install is: Python reads the bytecode even where
# PYTHONDONTWRITEBYTECODE stops it writing any, so a command does not compile patroli's modules on every start.
$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,postgres,web]'
	$(BIN)/python -m compileall -q pipeline
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(BIN)/patroli claims import data/samples/claims.csv --db sqlite:///demo.db
	$(BIN)/patroli scan data/samples/posts.csv data/samples/posts.jsonl data/samples/posts.txt \
		--db sqlite:///demo.db --out demo-results.jsonl --show-flagged
	@echo; echo "review queue (highest priority first):"
	$(BIN)/patroli review list --db sqlite:///demo.db --limit 10

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks docs

train: $(STAMP)
	$(BIN)/patroli train --data-dir $(PATROLI_DATA_DIR) --out models/default

evaluate: $(STAMP)
	$(BIN)/patroli evaluate --data-dir $(PATROLI_DATA_DIR) --json benchmarks/results/evaluation.json

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --posts 300000
	$(BIN)/python benchmarks/bench_scan.py --posts 100000 --core-posts 20000 --claims 100000
	$(BIN)/python benchmarks/bench_claims.py --claims 100000 --posts 20000
	$(BIN)/python benchmarks/bench_dask.py --posts 2000000 --single-posts 100000
	$(BIN)/python benchmarks/bench_dask.py --posts 200000 --single-posts 20000 --to-queue \
		--json benchmarks/results/dask_queue.json

bench-web: $(STAMP)
	$(BIN)/python benchmarks/bench_web.py --items 100000 --json benchmarks/results/web.json

screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

SOAK_MINUTES ?= 10
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) demo.db demo-results.jsonl
