# TimeCommons: `make run` to try it, `make test` to test it. Needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench bench-quick fuzz install migrate demo check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=true $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving TimeCommons at http://127.0.0.1:8000 (Ctrl+C to stop)"
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Full-size benchmarks (tens of minutes; figures go in bench/RESULTS.md).
# bench/api.py drives gunicorn with wrk (Debian package `wrk`).
bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/api.py

# A few minutes: the same scripts on small data, to check they run.
bench-quick: install
	$(BIN)/python bench/ledger.py --entries 20000 --transfers 200 --exchanges 50
	$(BIN)/python bench/search.py --quick
	$(BIN)/python bench/import.py --quick
	$(BIN)/python bench/matching.py --quick

# schemathesis against the running app (QUALITY F1): 50 examples per operation,
# with and without a token; fails on any 5xx. Add DATABASE_URL=... for PostgreSQL.
fuzz: install
	$(BIN)/python tools/fuzz_api.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

check: install
	$(BIN)/python manage.py check
	DEBUG=false SECRET_KEY=$$(python3 -c "print('x'*60)") TIMECOMMONS_TESTING= $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .test-db-*.sqlite3*
