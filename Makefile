# TimeCommons: `make run` to try it, `make test` to test it. Needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench install migrate demo check clean

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

bench: install
	$(BIN)/python bench/run_all.py

check: install
	$(BIN)/python manage.py check
	DEBUG=false SECRET_KEY=$$(python3 -c "print('x'*60)") TIMECOMMONS_TESTING= $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .test-db-*.sqlite3*
