# TimeCommons: `make run` to try it, `make test` to test it. Needs only python3.
#
# Development is chosen here, never by default: the targets that serve or
# build a local database pass DEBUG=true; manage.py alone runs with production
# settings (and so needs SECRET_KEY) unless DEBUG or DJANGO_SETTINGS_MODULE says otherwise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the lock changes (every version, direct or transitive).
STAMP := $(VENV)/.installed-$(shell cksum < requirements-dev.lock | cut -d' ' -f1)
DEV := DEBUG=true
# Production settings for `check --deploy`: a random throwaway secret (a weak
# one fails the check), no test switches.
PROD := DEBUG=false SECRET_KEY=$$(python3 -c "import secrets; print(secrets.token_urlsafe(50))") TIMECOMMONS_TESTING=
PACKAGES := config core timebank assets referrals coproduction brokering privacy api

.PHONY: run dev serve test bench bench-quick fuzz install migrate demo check lock clean messages compilemessages

# An edited requirements*.txt is refused until `make lock` has put it in the lock.
$(STAMP): requirements-dev.lock requirements.txt requirements-dev.txt
	@sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' -e 's/[[:space:]]//g' -e '/==/!d' requirements.txt requirements-dev.txt \
	  | awk -F'==' '{ name = tolower($$1); gsub(/[_.]+/, "-", name); print name "==" $$2 }' \
	  | while read -r pin; do grep -qxF "$$pin" requirements-dev.lock \
	      || { echo "$$pin (requirements*.txt) is not in requirements-dev.lock: run make lock"; exit 1; }; done
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Regenerate the locks from requirements.txt and requirements-dev.txt, keeping
# every pin that still fits; `make lock UPGRADE=1` moves them all to the newest.
# The runtime lock is resolved first and constrains the dev lock, so the two agree.
LOCK_HEADER := make lock   (edit requirements*.txt, not this file; make lock UPGRADE=1 for the newest versions)
LOCK_FLAGS := --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/pip-compile || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet "$$(grep -i '^pip-tools==' requirements-dev.txt)"; }
	CUSTOM_COMPILE_COMMAND="$(LOCK_HEADER)" $(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements.lock requirements.txt
	CUSTOM_COMPILE_COMMAND="$(LOCK_HEADER)" $(BIN)/pip-compile $(LOCK_FLAGS) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

migrate: compilemessages
	$(DEV) $(BIN)/python manage.py migrate --noinput

# The Welsh catalogue (docs/translating.md). `make messages` refreshes
# locale/cy/LC_MESSAGES/django.po from the code (needs gettext: Debian's
# package `gettext`); `make compilemessages` builds the .mo in Python alone.
messages: install
	$(DEV) $(BIN)/python manage.py makemessages -l cy --add-location=file --no-obsolete \
	  -i ".venv/*" -i "tests/*" -i "bench/*" -i "tools/*" -i "docs/*"
	$(DEV) $(BIN)/python manage.py translations compile

compilemessages: install
	$(DEV) $(BIN)/python manage.py translations compile

demo: migrate
	$(DEV) $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving TimeCommons at http://127.0.0.1:8000 (Ctrl+C to stop)"
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# As `make run`, without loading the demo data again (development server, DEBUG=true).
dev: migrate
	@echo "Serving TimeCommons at http://127.0.0.1:8000 (Ctrl+C to stop)"
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Serve as production does: DEBUG=false, static files collected, migrations run,
# gunicorn with gunicorn.conf.py. Everything else comes from the environment
# (README "Serving in production"): SECRET_KEY is required, and ALLOWED_HOSTS,
# DATABASE_URL, REDIS_URL and the rest as needed; PORT and BIND_ADDRESS say where to listen.
serve: compilemessages
	@test -n "$$SECRET_KEY" || { echo "make serve needs SECRET_KEY (50 or more random characters): see README, Serving in production."; exit 1; }
	DEBUG=false $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DEBUG=false $(BIN)/python manage.py migrate --noinput
	DEBUG=false exec $(BIN)/gunicorn --config gunicorn.conf.py config.wsgi

test: compilemessages
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

# schemathesis against the running app (docs/quality.md F1): 50 examples per operation,
# with and without a token; fails on any 5xx. Add DATABASE_URL=... for PostgreSQL.
fuzz: install
	$(BIN)/python tools/fuzz_api.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

# Lint, format, types, layers, migrations, Django's checks (development, then
# production settings). .pre-commit-config.yaml runs the same before a commit.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(PACKAGES)
	$(BIN)/lint-imports
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV) $(BIN)/python manage.py check
	$(PROD) $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .test-db-*.sqlite3*
