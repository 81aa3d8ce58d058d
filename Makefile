# kms_jupyter — every command a fresh machine needs. `make demo` and `make test` install what
# they use themselves: the venv, Python packages, npm modules, and Chromium (apt) when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BUILD := $(abspath build)
HOME_ISO := $(BUILD)/home

# The real movies data lives outside the repo (never committed); CI points here.
export KMS_MOVIES_CSV ?= $(abspath ../shared/data/movies.csv)
# TensorFlow's C++ log spam off; oneDNN's rounding notes off (and results reproducible).
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
# Keep Jupyter/Keras/matplotlib state out of the user's home folder.
export KERAS_HOME := $(HOME_ISO)/keras
export IPYTHONDIR := $(HOME_ISO)/ipython
export JUPYTER_CONFIG_DIR := $(HOME_ISO)/jupyter-config
export JUPYTER_DATA_DIR := $(HOME_ISO)/jupyter-data
export JUPYTER_RUNTIME_DIR := $(HOME_ISO)/jupyter-runtime
export XDG_CONFIG_HOME := $(HOME_ISO)/xdg-config
export XDG_CACHE_HOME := $(HOME_ISO)/xdg-cache
export MPLCONFIGDIR := $(HOME_ISO)/matplotlib
export PYTHONDONTWRITEBYTECODE := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-py test-js js venv chromium benchmarks clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

js/node_modules/.package-lock.json: js/package-lock.json
	cd js && npm ci --no-audit --no-fund --loglevel=error

# Rebuild the shipped bundle (kms_jupyter/static/formula_editor.js) after changing js/src.
js: js/node_modules/.package-lock.json
	cd js && npm run build

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The main job: train on the embedded movies-like data, stream epochs, render charts and the
# example notebook into build/demo/ (offline).
demo: $(STAMP)
	mkdir -p $(HOME_ISO)
	$(PY) -m kms_jupyter.demo --out $(BUILD)/demo

test-js: js/node_modules/.package-lock.json
	cd js && npm test

# Every test: JS unit tests, then Python (core, magic, notebooks, real-browser UI tests).
test: $(STAMP) chromium test-js
	mkdir -p $(HOME_ISO)
	$(PY) -m pytest tests -p no:cacheprovider

test-py: $(STAMP)
	mkdir -p $(HOME_ISO)
	$(PY) -m pytest tests -p no:cacheprovider

benchmarks: $(STAMP)
	$(PY) benchmarks/overhead.py
	$(PY) benchmarks/live_overhead.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/scale.py

clean:
	rm -rf build $(VENV) js/node_modules
