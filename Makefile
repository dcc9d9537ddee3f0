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
