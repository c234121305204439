# Arjen pelastajat. Two commands on a fresh machine with Python 3.11 or newer and make:
#   make run    - set up, migrate, seed the demo if empty, start web + scheduler
#   make test   - set up (incl. Chromium for browser tests and wrk for the load-generator test) and run the whole suite
# The first of python3.13, python3.12, python3.11, python3 that is 3.11 or newer is used;
# `make PYTHON=/path/to/python3.x run` chooses another one.
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3
IS_PY311 := import sys; sys.exit(sys.version_info < (3, 11))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
	command -v $$p >/dev/null 2>&1 && $$p -c '$(IS_PY311)' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
export APP_ENV ?= development

.PHONY: run test fuzz install python chromium translations i18n-extract i18n-update i18n-missing \
	lint format bench wrk postgres-memory vendor clean

# Stops with a clear message when no Python 3.11 or newer is found (or PYTHON= names an older one).
python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.11 or newer is needed: none of $(PYTHON_CANDIDATES) is 3.11 or newer." \
	       "Install one, or run make PYTHON=/path/to/python3.x"; exit 1; fi
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 or newer is needed: $(PYTHON) not found."; exit 1; }
	@$(PYTHON) -c '$(IS_PY311)' >/dev/null 2>&1 || { \
	  echo "Python 3.11 or newer is needed: $(PYTHON) is $$($(PYTHON) --version 2>&1 | head -n 1)."; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version 2>&1))"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(MAKE) --no-print-directory python PYTHON="$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed translations

# Translations: translations/<lang>/LC_MESSAGES/messages.po are the source of truth (edit them
# in Poedit or Weblate); the .mo files Flask-Babel reads are compiled from them on every install.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
POT := translations/messages.pot

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations

# After adding or changing texts in the code: make i18n-extract i18n-update, translate, make translations.
i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file --sort-output --no-wrap \
	  --project=arjen-pelastajat --copyright-holder="Arjen pelastajat" -o $(POT) .

i18n-update: $(VENV)/.installed
	$(BIN)/pybabel update -i $(POT) -d translations --ignore-obsolete --no-wrap --ignore-pot-creation-date

# Lists the texts that lack a Finnish or Swedish translation (the test in tests/test_i18n.py fails on them).
i18n-missing: $(VENV)/.installed
	$(BIN)/pytest -q tests/test_i18n.py

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's Chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq chromium); \
	fi

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "Arjen pelastajat: http://$(HOST):$(PORT)"
	@echo "Demo logins (password: arjenpelastajat):"
	@echo "  admin        admin@demo.arjenpelastajat.fi"
	@echo "  coordinator  kaisa.koordinaattori@demo.arjenpelastajat.fi"
	@echo "  coordinator  pekka.koordinaattori@demo.arjenpelastajat.fi"
	@echo "  helper       aino.nuori@demo.arjenpelastajat.fi"
	@echo ""
	@trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(FLASK) scheduler & SCHED=$$!; \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: install chromium wrk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# The property-based fuzzer at full size: 10,000 generated inputs over every form, every
# route's ids, the query filters and both Twilio webhooks (make test runs a seed-fixed 300).
fuzz: install
	FUZZ_PROFILE=fuzz $(BIN)/pytest -q -s -p no:cacheprovider tests/fuzz

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# The page benchmarks load the server with wrk (a compiled generator, pinned to one core)
# when it is installed, else with the Python one in bench/load.py.
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo "Installing Debian's wrk for the page benchmarks"; \
	  (apt-get update -qq && apt-get install -y -qq wrk) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq wrk) || \
	  echo "wrk could not be installed: the pages are loaded by the Python generator"; \
	fi

bench: install wrk  ## every benchmark on SQLite and on PostgreSQL (BENCH_DATABASE_URL, default database bench)
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/10} $(BIN)/python -m bench --engines sqlite,postgresql

# PostgreSQL at national scale (README, "Performance"): shared_buffers about a quarter of the memory,
# so that a million helpers' tables and indexes (2.2 GB) stay in PostgreSQL's own memory. Changes the
# local server's configuration (ALTER SYSTEM) and restarts it: run it alone, not beside tests.
postgres-memory:  ## the local PostgreSQL's shared_buffers to a quarter of the memory, then a restart
	@mb=$$(awk '/^MemTotal/ {print int($$2 / 4096)}' /proc/meminfo); \
	echo "Setting the local PostgreSQL's shared_buffers to $${mb} MB and restarting it"; \
	psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER SYSTEM SET shared_buffers = '$${mb}MB'" && \
	(service postgresql restart || sudo service postgresql restart) && \
	for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; \
	psql -h 127.0.0.1 -U postgres -d postgres -Atc "SHOW shared_buffers"

vendor:  ## refresh app/static/vendor/ from npm (needs node; the files are committed)
	sh assets/vendor.sh

clean:
	rm -rf $(VENV) instance/*.db
