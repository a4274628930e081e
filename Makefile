# CSM Portal: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
# Independent tests run in parallel (pytest-xdist, one database per worker); PYTEST_ARGS= for one process.
PYTEST_ARGS ?= -n auto
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint format bench fuzz venv clean messages check-deploy

# The virtual environment with the locked dependencies (uv.lock); rebuilt when the lock changes.
# uv itself lives in a small venv of its own, so that `uv sync` (which removes anything not in
# the lock) never uninstalls it; only Python is needed to start.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced

## Serve the portal on http://127.0.0.1:8000 with demo data, a Celery worker and beat; prints the
## demo logins last (the demo's e-mails are files in var/mail/).
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data --no-logins
	scripts/run-dev.sh

## The whole suite on PostgreSQL and Redis (tests/bootstrap.py starts throwaway servers).
test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=csm_portal.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

## The API fuzz test for every role with more generated cases per operation (about 25 minutes).
fuzz: venv
	FUZZ_ROLES=provider_admin,cstm,agent,referent,end_user FUZZ_EXAMPLES=8 FUZZ_PINNED_EXAMPLES=3 \
		$(PY) -m pytest tests/test_api_fuzz.py

## Speed at scale (issue 15): fills a large provider, loads gunicorn (production settings) with wrk
## at 1 and 16 clients, runs the ingestion/jobs/scale-out parts; writes bench/results.json and the
## README's table. BENCH_SCALE=small for a quick run.
bench: venv
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 wrk || \
		 (apt-get -o DPkg::Lock::Timeout=900 update && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 wrk)); } \
		|| { echo "wrk is missing: run as root: apt-get install wrk"; exit 1; }
	$(PY) scripts/bench.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Recompile the translation catalogues after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: venv
	$(PY) manage.py makemessages -l it -l en -l fr -l es --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

check-deploy: venv
	DJANGO_SETTINGS_MODULE=csm_portal.settings.production DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		DJANGO_ALLOWED_HOSTS=portal.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) $(TOOLS) var/cache var/celery-queue var/celery-control var/celerybeat-schedule*
