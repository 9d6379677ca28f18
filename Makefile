# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export FLASK_APP := wsgi.py

.PHONY: run test test-pg test-browser install migrate seed vendor lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when the pinned requirements change, so a second `make run` starts in seconds.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) -m flask db upgrade

seed: migrate
	$(PY) -m flask seed-demo

run: seed
	$(PY) -m flask run --host 127.0.0.1 --port 5000

test: install
	$(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

# The same suite against PostgreSQL: DATABASE_URL must name a database that may be emptied.
test-pg: install
	$(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest -q -m browser $(PYTEST_ARGS)

vendor:
	bash scripts/vendor.sh

lint: install
	$(VENV)/bin/ruff check app tests wsgi.py

clean:
	rm -rf $(VENV) .pytest_cache
