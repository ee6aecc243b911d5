# safedesk — newcomer path: `make demo`, then `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAFEDESK := $(BIN)/safedesk
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: demo serve test test-sqlite test-postgres lint messages bench bench-tickets venv dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	$(SAFEDESK) compilemessages --ignore '.venv' -v 0
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock $(VENV)/.run-installed
	$(PIP) install -r requirements-dev.lock
	touch $@

venv: $(VENV)/.run-installed
dev: $(VENV)/.dev-installed

## make demo: set up, load the demo content, print the logins and serve on 127.0.0.1:8000
demo: venv
	$(SAFEDESK) demo
	$(SAFEDESK) serve

serve: venv
	$(SAFEDESK) serve

## make test: lint, type-check, layering, then the suite on SQLite (and on PostgreSQL when
## SAFEDESK_TEST_DATABASE_URL is set)
test: dev lint test-sqlite test-postgres

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy safedesk
	$(BIN)/lint-imports

test-sqlite: dev
	env -u DATABASE_URL SAFEDESK_MODE=embedded $(BIN)/pytest -p xdist -n 2

test-postgres: dev
	@if [ -n "$$SAFEDESK_TEST_DATABASE_URL" ]; then \
	  echo "== the suite again on PostgreSQL =="; \
	  DATABASE_URL="$$SAFEDESK_TEST_DATABASE_URL" SAFEDESK_MODE=embedded $(BIN)/pytest -p xdist -n 2; \
	else echo "SAFEDESK_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

## make messages: refresh the zh-Hans and en catalogues from the source, then compile them
messages: dev
	$(BIN)/python scripts/messages.py

## make bench: the search benchmark (10,000 articles) and the tickets benchmark (10,000 tickets),
## each on SQLite/embedded and PostgreSQL/scaleout, beside the peer (django-helpdesk)
bench: dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/search_bench.py --peer "$$(bash bench/peer.sh)"
	$(BIN)/python bench/tickets_bench.py --peer "$$(bash bench/peer.sh)"

## make bench-tickets: the tickets benchmark only (add ARGS="--rounds 1 --modes scaleout" to narrow it;
## ARGS="--tickets 1000000 --modes scaleout --rounds 1 --reads-only" for the million-ticket run)
bench-tickets: dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/tickets_bench.py $(ARGS)

clean:
	rm -rf $(VENV)
