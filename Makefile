# Two commands do all set-up: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
# GPU users name their own CUDA build, e.g. make test TORCH_SPEC="torch==2.13.0 --index-url <CUDA wheel index>"
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m norton.cli demo --out runs/demo

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/loss_speed.py

# --- sweeps, offline HTML and browser tests (norton.sweep, norton.widget_assets, tests/test_browser.py) ---
.PHONY: widget-assets sweep-example browser-test

# require.js and the widget renderer from npm, cached in ~/.cache/norton (exported HTML embeds them)
widget-assets: install
	$(PY) -m norton.widget_assets

# the quickstart notebook over both variants and three bucket values: runs/sweeps/quickstart
sweep-example: install
	$(PY) -m norton.cli sweep configs/sweeps/quickstart.yaml

# JupyterLab + Debian's Chromium driven by Playwright; installs both if missing (never `playwright install`)
browser-test: install
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(PY) -c "import playwright" 2>/dev/null || $(PY) -m pip install -q "playwright>=1.50"
	BROWSER_ARTIFACTS=runs/browser-test $(PY) -m pytest -q -m browser tests/test_browser.py
