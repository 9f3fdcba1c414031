# Kuzushiji pipeline. On a fresh machine: `make submission` (sets up, then runs everything) and `make test`.
#
#   make submission                     the embedded default data set, the cpu profile (gpu on a CUDA GPU)
#   make submission FAST=1              the fast profile: a small preset, a few minutes
#   make submission DATA=path/to/kuzushiji-recognition     the Kaggle download (DEVICE=cuda: a GPU)
#   make submission DATA=path/to/book EXTRA=default        real pages plus the embedded stand-in
#   make settings                       every setting, resolved, and where it came from
#   make plan                           which stages `make submission` would run, and why
#   make read IMAGES=folder/            transcriptions of book pages in reading order, and a viewer
#   make corrections CSV=train.csv IMAGES=folder/ BOOK=dir   the viewer's corrections as a book to train on
#   make realcheck                      leave one real book out: the stand-in, the real pages, both
#   make ablation                       what each change for the competition F1 is worth
#
# The recipe is submit/recipe.py; every setting is stated once, in profiles/*.toml. A stage reruns
# exactly when a setting or an input it depends on changed. Change a setting with one of the
# variables (RECOGNIZER_EPOCHS=12, TTA=0, ...: data/infra/settings.py) or SET="name=value ...".
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# torch + torchvision must be a matching pair; these are the smallest pairs that import
# together here (docs/development.md, "The torch pair").
ifeq ($(shell uname -m),aarch64)
TORCH_PAIR := torch==2.9.1 torchvision==0.24.1
else
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
endif

# Brush-written Japanese faces from Debian's packages (public domain / BSD-3-Clause), unpacked
# without root. Where apt is missing the generator falls back to the printed faces, with a notice.
FONTS := build/fonts
FONT_PACKAGES := fonts-kouzan-mouhitsu fonts-aoyagi-soseki fonts-aoyagi-kouzan-t fonts-kiloji

.PHONY: help setup fonts
help:
	@sed -n '1,16p' Makefile | sed 's/^# \{0,1\}//'

setup: $(STAMP) fonts

fonts: $(FONTS)/.unpacked

$(FONTS)/.unpacked:
	@printf '\n\033[1m==> fetching brush fonts into $(FONTS)\033[0m\n'
	@mkdir -p $(FONTS)/debs
	@if ! command -v apt-get >/dev/null; then \
		echo "notice: apt-get not found; generated pages use the printed faces"; \
	elif (cd $(FONTS)/debs && { apt-get download $(FONT_PACKAGES) >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && apt-get download $(FONT_PACKAGES) >/dev/null; }; }); then \
		for deb in $(FONTS)/debs/*.deb; do dpkg-deb -x "$$deb" $(FONTS); done && touch $@; \
	else \
		echo "notice: could not fetch $(FONT_PACKAGES); generated pages use the printed faces"; \
	fi

$(STAMP): pyproject.toml
	@printf '\n\033[1m==> setting up $(VENV)\033[0m\n'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PAIR)
	$(PY) -m pip install -q -e '.[dev,kaggle]'
	# ultralytics pulls the GUI build of OpenCV; make the headless build own cv2/ so no libGL is needed.
	$(PY) -m pip install -q --no-deps --force-reinstall "$$($(PY) -m pip show opencv-python-headless | sed -n 's/^Version: /opencv-python-headless==/p')"
	touch $@

# --- the recipe (python -m submit TARGET) --------------------------------------------------------

RECIPE_TARGETS := submission data detector crops recognizer thresholds evaluate final plan settings read realpages lr-find upload
.PHONY: $(RECIPE_TARGETS) realcheck ablation corrections
$(RECIPE_TARGETS): setup
	@$(PY) -m submit $@

corrections: setup
	@$(PY) -m data.corrections --csv $(CSV) --images $(IMAGES) --out $(BOOK)

realcheck: setup
	@$(PY) -m bench.experiments.realcheck

ablation: setup
	@$(PY) -m bench.experiments.ablation

# --- checks -------------------------------------------------------------------------------------

.PHONY: bench scale test quick lint mutants clean chromium
bench: setup
	$(PY) -m bench.recognizer
	$(PY) -m bench.detector
	$(PY) -m bench.pipeline
	$(PY) -m bench.order

# Every stage on 50, 100 and 200 pages of the `full` preset, extrapolated to the competition's size.
scale: setup
	$(PY) -m bench.scale --out build/scale

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Debian's chromium for the browser tests of the viewer (CI runs as root); elsewhere they skip.
chromium:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "notice: no chromium, and no root apt-get to install it: the browser tests skip"; \
	elif ! { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }; then \
		echo "notice: could not install chromium with apt-get: the browser tests skip"; \
	fi

# Everything: ruff, then every test (a few minutes on 2 cores); `make quick` leaves out the slow ones.
test: lint fonts chromium
	$(PY) -m pytest -q

quick: lint fonts
	$(PY) -m pytest -q -m "not slow"

# Break one stage at a time (a scale factor, an index, x and y, a crop offset) in a copy of the
# tree and report the test that catches each; not part of `make test` (several minutes).
mutants: $(STAMP)
	nice -n 10 $(PY) tests/mutants.py

clean:
	find build -mindepth 1 -maxdepth 1 ! -name fonts -exec rm -rf {} +
