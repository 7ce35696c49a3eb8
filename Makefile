# BiRNN Explainer: one-command setup, run, test and benchmarks.
#
#   make run    set up .venv (runtime deps + birnn_core) and serve the app on http://localhost:8501
#   make test   set up .venv (dev deps + packages + Debian chromium and nginx), run ruff, mypy and the whole test suite
#   make bench  set up .venv (dev deps) and run every benchmark script in bench/
#   make classroom  serve a class: one worker per CPU core behind nginx (installed if missing)
#
# Stamp files in .venv/ record what is installed, so a repeated run installs nothing unless
# requirements*.txt or pyproject.toml changed. `make clean-venv` removes the environment.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
# The core's per-step products are tiny: BLAS threads only add overhead (and fight on 2 cores).
export OPENBLAS_NUM_THREADS ?= 1
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP := $(VENV)/.stamp-dev

# apt-get as root, through sudo otherwise (a fresh Debian machine may lack python3-venv or chromium).
APT = $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help run classroom test bench venv install install-dev browser nginx clean clean-venv

help:
	@sed -n '3,5p' Makefile

# --- environment -----------------------------------------------------------------------------

$(BIN)/python:
	@if ! $(PYTHON) -m venv $(VENV); then \
	  echo "make: '$(PYTHON) -m venv' failed; installing Debian's python3-venv"; \
	  rm -rf $(VENV); \
	  $(APT) update && $(APT) install -y python3-venv; \
	  $(PYTHON) -m venv $(VENV); \
	fi

venv: $(BIN)/python

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install -e .
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt taggers/requirements-train.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	$(BIN)/python -m pip install -e .
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

# Debian's chromium for the real-browser tests (Playwright never downloads a browser here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "make: $(CHROMIUM) missing; installing Debian's chromium"; \
	  $(APT) update && $(APT) install -y chromium; \
	fi

# Debian's nginx for the classroom server (the reverse proxy in front of the workers).
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  echo "make: nginx missing; installing Debian's nginx"; \
	  $(APT) update && $(APT) install -y nginx; \
	fi

# --- targets ---------------------------------------------------------------------------------

run: $(RUNTIME_STAMP)
	$(BIN)/python -m streamlit run app/streamlit_app.py \
	  --server.headless=true --server.port=$(PORT) --browser.gatherUsageStats=false

# A class of 30: one worker per CPU core behind nginx with sticky sessions (classroom/run.py)
classroom: $(RUNTIME_STAMP) nginx
	$(BIN)/python classroom/run.py --port $(PORT)

test: $(DEV_STAMP) browser nginx
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy
	BIRNN_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q

bench: $(DEV_STAMP)
	@shopt -s nullglob; ran=0; \
	for script in bench/*.py bench/*.sh; do \
	  case "$$(basename "$$script")" in _*|conftest.py) continue ;; esac; \
	  echo "== $$script"; \
	  case "$$script" in \
	    *.py) $(BIN)/python "$$script" ;; \
	    *.sh) PATH="$(abspath $(BIN)):$$PATH" bash "$$script" ;; \
	  esac; \
	  ran=$$((ran + 1)); \
	done; \
	echo "make bench: ran $$ran script(s) from bench/"

clean:
	rm -rf .pytest_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

clean-venv:
	rm -rf $(VENV)
