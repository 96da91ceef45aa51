# One command each: `make run` serves the app, `make test` runs everything. Both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
TRANSLATIONS := surveys/translations
LANGUAGES := pcm ha yo ig
# The compiled catalogues (.mo) are built, not committed: one per language, from its .po.
MO_FILES := $(foreach lang,$(LANGUAGES),$(TRANSLATIONS)/$(lang)/LC_MESSAGES/messages.mo)

.PHONY: help install install-dev setup run serve test test-fast lint bench clean demo translations compile-translations

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed ## Create .venv and install the app

install-dev: $(VENV)/.installed-dev ## Install the app with test and lint tools

translations: install ## Re-extract every marked string into messages.pot and update the .po files
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -c TRANSLATORS: --no-wrap \
	  --sort-by-file --project=surveys --copyright-holder="Shop surveys" \
	  -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap \
	  --ignore-obsolete

compile-translations: $(MO_FILES) ## Compile the .po catalogues the app reads (done by run, serve, test)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -l $* --statistics

setup: install compile-translations ## Migrate both stores and load the default surveys
	$(FLASK) db upgrade
	$(FLASK) surveys load-defaults

run: setup ## Serve on http://127.0.0.1:5000 to try it out (HOST=, PORT=, RESPONSES= to change; DEMO=1)
	DEMO=1 $(FLASK) demo seed --responses $(or $(RESPONSES),20000) --seed 1 --if-empty
	$(FLASK) answers settle    # yesterday's answers into the clear tables; releases ended weeks
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop; another address: make run HOST=0.0.0.0 PORT=8000)"
	@echo "Open next:"
	@echo "  http://$(HOST):$(PORT)/           a survey, as a shopper"
	@echo "  http://$(HOST):$(PORT)/demo       sign in as a made-up customer (demo-customer-1001) and share answers"
	@echo "  http://$(HOST):$(PORT)/dashboard  the charts; make a staff account first (it asks for a password):"
	@echo "      $(FLASK) staff create you@example.com --role analyst"
	@echo "  http://$(HOST):$(PORT)/api/v1/profiles/demo-customer-1001  the profile API; make a token first:"
	@echo "      $(FLASK) clients create recommender   (then paste the export TOKEN=... line it prints; docs/api.md)"
	@echo ""
	DEMO=1 $(FLASK) run --host $(HOST) --port $(PORT)

serve: setup ## Serve with gunicorn (gunicorn.conf.py); set the *_DATABASE_URL and SECRET_KEY first
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install-dev compile-translations lint ## Lint, then the whole suite (SQLite, plus PostgreSQL if TEST_DATABASE_URL is set)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

test-fast: install-dev compile-translations ## The suite without browser tests
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

demo: setup ## Add 20,000 synthetic answers for the dashboard (RESPONSES=N to change)
	$(FLASK) demo seed --responses $(or $(RESPONSES),20000)

bench: install-dev ## Dashboard timings at 10k/100k responses, SQLite (+ PostgreSQL if BENCH_POSTGRES is set)
	$(BIN)/python bench/dashboard_bench.py --sizes $(or $(SIZES),10000 100000) $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

lint: install-dev ## ruff lint and format check, bandit security scan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive surveys

clean: ## Remove the virtualenv and local databases
	rm -rf $(VENV) instance/*.db .pytest_cache .coverage $(MO_FILES)
