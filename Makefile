# Kuzushiji pipeline. On a fresh machine: `make submission` (sets up, then runs everything) and `make test`.
#
#   make submission                       embedded default data set (generated), ~21 min on 2 CPU cores
#   make submission FAST=1                small preset, ~5 min
#   make submission DATA=path/to/kuzushiji-recognition DEVICE=cuda    the real Kaggle download
#
# Stages skip when their outputs are up to date; interrupted training resumes from its last checkpoint.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEVICE ?= auto
SEED ?= 0

# torch + torchvision must be a matching pair; these are the smallest pairs that import
# together here (see README, "Set-up").
ifeq ($(shell uname -m),aarch64)
TORCH_PAIR := torch==2.9.1 torchvision==0.24.1
else
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
endif

ifeq ($(strip $(DATA)),)
PRESET := $(if $(FAST),fast,default)
DATASET := build/data/$(PRESET)
NAME := $(PRESET)
else
DATASET := $(patsubst %/,%,$(DATA))
NAME := $(notdir $(abspath $(DATA)))
endif
WORK := build/$(NAME)

# Stage settings. The embedded presets are sized for 2 CPU cores; the real data wants a GPU.
ifeq ($(NAME),default)
DETECTOR_ARGS ?= --imgsz 320 --page-scale 0.5 --overlap 48 --batch 8 --epochs 6 --mosaic 0 --close-mosaic 0
RECOGNIZER_ARGS ?= --width 32 --depth 0 --batch 64 --cap 100 --floor 20 --epochs 7 --lr 3e-3
else ifeq ($(NAME),fast)
DETECTOR_ARGS ?= --imgsz 320 --page-scale 0.5 --overlap 48 --batch 8 --epochs 4 --mosaic 0 --close-mosaic 0
RECOGNIZER_ARGS ?= --width 32 --depth 0 --batch 64 --cap 100 --floor 20 --epochs 3 --lr 3e-3
else
DETECTOR_ARGS ?= --imgsz 640 --page-scale 0.4 --overlap 128 --epochs 30
RECOGNIZER_ARGS ?=
endif

stage = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

.PHONY: help
help:
	@sed -n '1,8p' Makefile | sed 's/^# \{0,1\}//'
	@echo "targets: setup data detector recognizer evaluate submission upload lr-find bench test lint clean"

# --- set-up ------------------------------------------------------------------------------------

.PHONY: setup
setup: $(STAMP)

$(STAMP): pyproject.toml
	$(call stage,setting up $(VENV))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PAIR)
	$(PY) -m pip install -q -e '.[dev,kaggle]'
	# ultralytics pulls the GUI build of OpenCV; make the headless build own cv2/ so no libGL is needed.
	$(PY) -m pip install -q --no-deps --force-reinstall "$$($(PY) -m pip show opencv-python-headless | sed -n 's/^Version: /opencv-python-headless==/p')"
	touch $@

# --- data ---------------------------------------------------------------------------------------

$(DATASET)/train.csv: | $(STAMP)
ifeq ($(strip $(DATA)),)
	$(call stage,[1/7] generating the embedded $(PRESET) data set in $(DATASET))
	$(PY) -m data.synth --out $(DATASET) --preset $(PRESET) --seed $(SEED)
else
	@echo "error: $(DATASET)/train.csv not found: point DATA at the unzipped Kaggle download" >&2; exit 2
endif

$(WORK)/split.json: $(DATASET)/train.csv | $(STAMP)
	$(call stage,[2/7] checking $(DATASET) and holding out whole books)
	$(PY) -m data.split --data $(DATASET) --out $@ --seed $(SEED)

.PHONY: data
data: $(WORK)/split.json

# --- models -------------------------------------------------------------------------------------

$(WORK)/detector/model.pt: $(WORK)/split.json | $(STAMP)
	$(call stage,[3/7] training the detector in $(WORK)/detector)
	$(PY) -m detect.train --data $(DATASET) --split $< --run $(WORK)/detector --device $(DEVICE) --resume $(DETECTOR_ARGS)

$(WORK)/crops.npz: $(WORK)/split.json | $(STAMP)
	$(call stage,[4/7] cropping and binarizing the training characters)
	$(PY) -m data.crops --data $(DATASET) --split $< --out $@

$(WORK)/recognizer/model.pt: $(WORK)/crops.npz | $(STAMP)
	$(call stage,[5/7] training the recognizer in $(WORK)/recognizer)
	$(PY) -m recognize.train --crops $< --run $(WORK)/recognizer --device $(DEVICE) --resume $(RECOGNIZER_ARGS)

.PHONY: detector recognizer
detector: $(WORK)/detector/model.pt
recognizer: $(WORK)/recognizer/model.pt

MODELS := $(WORK)/detector/model.pt $(WORK)/recognizer/model.pt

# --- results ------------------------------------------------------------------------------------

$(WORK)/evaluate/evaluate.json: $(MODELS) $(WORK)/split.json | $(STAMP)
	$(call stage,[6/7] reading the held-out books end to end)
	$(PY) -m submit.evaluate --data $(DATASET) --split $(WORK)/split.json --detector $(WORK)/detector/model.pt \
		--recognizer $(WORK)/recognizer/model.pt --out $(WORK)/evaluate --device $(DEVICE)

$(WORK)/submission.csv: $(MODELS) | $(STAMP)
	$(call stage,[7/7] reading the test pages into $@)
	$(PY) -m submit.predict --data $(DATASET) --detector $(WORK)/detector/model.pt \
		--recognizer $(WORK)/recognizer/model.pt --out $@ --device $(DEVICE)

.PHONY: evaluate submission upload
evaluate: $(WORK)/evaluate/evaluate.json
	@$(PY) -c "import json, submit.evaluate as e; print(e.table(json.load(open('$<'))))"

submission: $(WORK)/evaluate/evaluate.json $(WORK)/submission.csv
	@$(PY) -m submit.report --work $(WORK)

upload: $(WORK)/submission.csv
	$(PY) -m submit.upload --submission $< --data $(DATASET)

.PHONY: lr-find
lr-find: $(WORK)/crops.npz | $(STAMP)
	$(PY) -m recognize.lr_find --crops $< --run $(WORK)/lr_find --device $(DEVICE) $(RECOGNIZER_ARGS)

# --- checks -------------------------------------------------------------------------------------

.PHONY: bench test lint clean
bench: $(WORK)/detector/model.pt $(WORK)/recognizer/model.pt $(WORK)/crops.npz
	$(PY) bench/recognizer.py --crops $(WORK)/crops.npz --device $(DEVICE)
	$(PY) bench/detector.py --data $(DATASET) --run $(WORK)/detector --device $(DEVICE)
	$(PY) bench/pipeline.py --data $(DATASET) --work $(WORK) --device $(DEVICE)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

clean:
	rm -rf $(WORK)
