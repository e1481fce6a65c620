# Tocsin: `make demo` starts it with demo data; `make test` runs lint and every test.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
# The suite runs against SQLite and against this PostgreSQL (trust auth, database `test`).
export TOCSIN_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install peers demo serve lint test bench clean

# setuptools too: the one a Python 3.11 venv starts with (65.5) has known vulnerabilities.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

# The real programs the suite talks to (Debian packages; tests that need one skip with the
# reason when it is missing, and fail under CI=true): Prometheus, Alertmanager (with amtool),
# and chromium for the web UI's end-to-end tests (driven by Playwright for Python).
PEERS = prometheus:prometheus prometheus-alertmanager:prometheus-alertmanager chromium:chromium
peers:
	@need=""; for p in $(PEERS); do command -v $${p%%:*} >/dev/null || need="$$need $${p##*:}"; done; \
	if [ -n "$$need" ]; then \
	  echo "installing$$need"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$need; \
	fi

demo: install
	$(BIN)/tocsin demo

serve: install
	$(BIN)/tocsin serve

# The last step audits every installed distribution against PyPI's advisories
# (docs/security.md#dependency-audit); it fails when it cannot check them all.
lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_clock.py
	$(BIN)/python scripts/audit_dependencies.py

# Every core, each test file on one worker (its fixtures stay shared); PYTEST_ARGS= for serial.
PYTEST_ARGS ?= -n auto --dist loadfile
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/notify_latency.py
	$(BIN)/python bench/schedules.py
	$(BIN)/python bench/escalation.py
	$(BIN)/python bench/web.py --postgres $(TOCSIN_TEST_POSTGRES_URL)
	$(BIN)/python bench/status_page.py --postgres $(TOCSIN_TEST_POSTGRES_URL)
	$(BIN)/python bench/slo.py
	$(BIN)/python bench/report.py --postgres $(TOCSIN_TEST_POSTGRES_URL)
	$(BIN)/python bench/cluster.py --postgres $(TOCSIN_TEST_POSTGRES_URL)

clean:
	rm -rf $(VENV) tocsin-data .pytest_cache .mypy_cache .ruff_cache
