# Two commands for a fresh machine:  `make run`  (demo city hall)  and  `make test`.
# Both install what they need first. PYTHON may point at any Python 3.11+.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji espeak-ng libespeak-ng1 festival festvox-us-slt-hts
HOST   ?= 127.0.0.1
PORT   ?= 8000
KIOSK_PORT ?= 8001

.PHONY: install install-system run test test-sqlite test-postgres lint check bench clean

install: install-system $(BIN)/.installed

# Debian packages: a Japanese font for tickets, espeak-ng for English speech, chromium for browser tests.
install-system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

# The demo city hall on SQLite: the server (display, status, staff, admin pages) and a kiosk
# agent printing to the ESC/POS printer simulator. Issuing is allowed at any hour here so the
# demo works in the evening; a real deployment keeps its opening hours.
run: install
	$(BIN)/python -m kiosk.demo --server http://$(HOST):$(PORT) --port $(KIOSK_PORT) & kiosk=$$!; \
	trap 'kill $$kiosk 2>/dev/null' EXIT INT TERM; \
	KIOSK_PORT=$(KIOSK_PORT) MADOGUCHI_IGNORE_HOURS=true $(BIN)/madoguchi demo --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when it answers at PG_URL (CI requires it: REQUIRE_POSTGRES=1).
# The two passes run at once: each waits most of its time on servers, browsers and simulated
# clocks (alone, a pass keeps about half a core busy), so together they take little longer than
# the SQLite pass alone. Each pass's output is printed whole when it ends.
test: install
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite:
	@echo "== SQLite"
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL: $(PG_URL)"; \
	  MADOGUCHI_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -p no:cacheprovider; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL is required but not reachable at $(PG_URL)"; exit 1; \
	else echo "== PostgreSQL not reachable at $(PG_URL): its run is skipped (set PG_URL=...)"; fi

# Python style and types, and the browser code (ESLint pinned in tools/js-lint, installed there by npm).
JS_LINT := tools/js-lint

lint: install $(JS_LINT)/node_modules/.installed
	$(BIN)/ruff check server kiosk display printer tests bench
	$(BIN)/mypy --strict server
	$(JS_LINT)/node_modules/.bin/eslint --config $(JS_LINT)/eslint.config.mjs server display kiosk/static

$(JS_LINT)/node_modules/.installed: $(JS_LINT)/package.json $(JS_LINT)/package-lock.json
	npm ci --prefix $(JS_LINT) --no-audit --no-fund --silent
	touch $@

check: lint test

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var tests/output
