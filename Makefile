# Arjen pelastajat. Two commands on a fresh machine with Python 3.11 and make:
#   make run    - set up, migrate, seed the demo if empty, start web + scheduler
#   make test   - set up (incl. Chromium for browser tests) and run the whole suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
export APP_ENV ?= development

.PHONY: run test fuzz install chromium translations lint format bench i18n-missing vendor clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed translations

# Catalogs are built from translations/src/*.json (the source of truth) on every install.
translations: $(VENV)/.installed
	$(BIN)/python tools/i18n.py build

i18n-missing: $(VENV)/.installed
	$(BIN)/python tools/i18n.py missing

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

test: install chromium
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

bench: install
	$(BIN)/python -m bench

vendor:  ## refresh app/static/vendor/ from npm (needs node; the files are committed)
	sh assets/vendor.sh

clean:
	rm -rf $(VENV) instance/*.db
