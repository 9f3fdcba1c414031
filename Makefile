# Kuzushiji pipeline. Two commands on a fresh machine: `make submission` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# torch + torchvision must be a matching pair; these are the smallest pairs that import
# together on this kind of machine (see README, "Set-up").
ifeq ($(shell uname -m),aarch64)
TORCH_PAIR := torch==2.9.1 torchvision==0.24.1
else
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
endif

.PHONY: setup
setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PAIR)
	$(PY) -m pip install -q -e '.[dev,kaggle]'
	# ultralytics pulls the GUI build of OpenCV; make the headless build own cv2/ so no libGL is needed.
	$(PY) -m pip install -q --no-deps --force-reinstall "$$($(PY) -m pip show opencv-python-headless | sed -n 's/^Version: /opencv-python-headless==/p')"
	touch $@

.PHONY: test lint
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q
