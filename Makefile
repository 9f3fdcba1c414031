# Kuzushiji pipeline. On a fresh machine: `make submission` (sets up, then runs everything) and `make test`.
#
#   make submission                       embedded default data set (generated), ~25 min on 2 CPU cores
#   make submission FAST=1                small preset, ~6 min
#   make submission DATA=path/to/kuzushiji-recognition DEVICE=cuda    the real Kaggle download
#   make submission DATA=... DEVICE=0,1,2,3 NPROC=4                     four GPUs (torchrun + DDP)
#   make read IMAGES=folder/              transcriptions of book pages in reading order, and a viewer
#   make submission DATA=path/to/real EXTRA=default    real pages plus the embedded stand-in
#   make realcheck                        leave one real book out: stand-in, real pages, both
#   make ablation                         what each change for the competition F1 is worth
#
# Stages skip when their outputs are up to date; interrupted training resumes if its inputs are unchanged.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEVICE ?= auto
SEED ?= 0
# Recognizer training processes (torchrun + DistributedDataParallel, one per GPU of DEVICE=0,1,...);
# the detector trains on every GPU of DEVICE through ultralytics' own multi-GPU support.
NPROC ?= 1
RECOGNIZER_TRAIN := $(if $(filter-out 1,$(NPROC)),$(VENV)/bin/torchrun --standalone --nproc_per_node $(NPROC),$(PY)) -m recognize.train

# torch + torchvision must be a matching pair; these are the smallest pairs that import
# together here (see README, "Set-up").
ifeq ($(shell uname -m),aarch64)
TORCH_PAIR := torch==2.9.1 torchvision==0.24.1
else
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
endif

ifeq ($(strip $(DATA)),)
PRESET ?= $(if $(FAST),fast,default)
SOURCE := build/data/$(PRESET)
NAME := $(PRESET)
else
SOURCE := $(patsubst %/,%,$(DATA))
NAME := $(notdir $(abspath $(DATA)))
endif

# Real pages and a stand-in in one run: DATA=path/to/real EXTRA=default (a preset of the embedded
# data, or another Kaggle-layout folder). data.sources joins them in build/<name>+<extra>/union;
# held-out books and test pages are DATA's only. Each real page and crop counts DATA_WEIGHT times
# an epoch, each of EXTRA's EXTRA_WEIGHT times. How each model uses the two, as `make realcheck`
# measured (README, "Real pages and the stand-in"): the detector trains once on both; the
# recognizer starts from EXTRA's own recognizer and fine-tunes on the real crops, with RENDERS
# font renders of every class that has fewer than RARE_BELOW real crops.
EXTRA ?=
DATA_WEIGHT ?= 10
EXTRA_WEIGHT ?= 1
RARE_BELOW ?= 10
RENDERS ?= 20
ifeq ($(strip $(EXTRA)),)
DATASET := $(SOURCE)
else
EXTRA_DATA := $(if $(wildcard $(EXTRA)/train.csv),$(patsubst %/,%,$(EXTRA)),build/data/$(EXTRA))
EXTRA_WORK := build/$(notdir $(abspath $(EXTRA_DATA)))
NAME := $(NAME)+$(notdir $(abspath $(EXTRA_DATA)))
DATASET := build/$(NAME)/union
CROPS_ARGS := --real-only --rare-below $(RARE_BELOW) --renders $(RENDERS)
RECOGNIZER_INIT := $(EXTRA_WORK)/recognizer/model.pt
endif
WORK := build/$(NAME)

# Stage settings: one set for the embedded data and real data. The detector scales pages so the
# median character of train.csv is --char-px tall and derives its tiles from that (run folder:
# tiling.json). FAST=1 trains fewer epochs; on a GPU, raise the epochs (DETECTOR_EPOCHS=...).
DETECTOR_EPOCHS ?= $(if $(FAST),4,6)
RECOGNIZER_EPOCHS ?= $(if $(FAST),3,7)
DETECTOR_ARGS ?= --imgsz 320 --char-px 20 --batch 8 --epochs $(DETECTOR_EPOCHS) --mosaic 0 --close-mosaic 0
# PRIOR: classes drawn in proportion to count ** (1 - PRIOR) (0: capped at --cap, copied up to --floor).
PRIOR ?= 0.5
RECOGNIZER_ARGS ?= --width 32 --depth 0 --batch 64 --cap 100 --floor 20 --prior $(PRIOR) --epochs $(RECOGNIZER_EPOCHS) --lr 3e-3

# Brush-written Japanese faces from Debian's packages (public domain / BSD-3-Clause), unpacked
# without root. Where apt is missing the generator falls back to the printed faces, with a notice.
FONTS := build/fonts
FONT_PACKAGES := fonts-kouzan-mouhitsu fonts-aoyagi-soseki fonts-aoyagi-kouzan-t fonts-kiloji

stage = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

.PHONY: help
help:
	@sed -n '1,12p' Makefile | sed 's/^# \{0,1\}//'
	@echo "targets: setup fonts data detector recognizer evaluate submission read realpages realcheck ablation upload lr-find bench scale test mutants lint clean"

# --- set-up ------------------------------------------------------------------------------------

.PHONY: setup fonts
setup: $(STAMP) fonts

fonts: $(FONTS)/.unpacked

$(FONTS)/.unpacked:
	$(call stage,fetching brush fonts into $(FONTS))
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
	$(call stage,setting up $(VENV))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PAIR)
	$(PY) -m pip install -q -e '.[dev,kaggle]'
	# ultralytics pulls the GUI build of OpenCV; make the headless build own cv2/ so no libGL is needed.
	$(PY) -m pip install -q --no-deps --force-reinstall "$$($(PY) -m pip show opencv-python-headless | sed -n 's/^Version: /opencv-python-headless==/p')"
	touch $@

# --- data ---------------------------------------------------------------------------------------

build/data/%/train.csv: | $(STAMP) $(FONTS)/.unpacked
	$(call stage,[1/9] generating the embedded $* data set in build/data/$*)
	$(PY) -m data.synth.generate --out build/data/$* --preset $* --seed $(SEED)

ifneq ($(strip $(DATA)),)
$(SOURCE)/train.csv:
	@echo "error: $(SOURCE)/train.csv not found: point DATA at the unzipped Kaggle download" >&2; exit 2
endif

ifneq ($(strip $(EXTRA)),)
$(DATASET)/train.csv: $(SOURCE)/train.csv $(EXTRA_DATA)/train.csv $(WORK)/weights-$(DATA_WEIGHT)-$(EXTRA_WEIGHT) | $(STAMP)
	$(call stage,[1/9] joining $(SOURCE) (weight $(DATA_WEIGHT)) and $(EXTRA_DATA) (weight $(EXTRA_WEIGHT)))
	$(PY) -m data.sources --out $(DATASET) --source $(SOURCE):$(DATA_WEIGHT) --source $(EXTRA_DATA):$(EXTRA_WEIGHT)

# Changed weights rebuild the union (and so retrain); unchanged ones leave it, and every run, alone.
$(WORK)/weights-%:
	@mkdir -p $(WORK) && rm -f $(WORK)/weights-* && touch $@

# EXTRA's own recognizer, the one the real crops fine-tune: `make recognizer` on EXTRA alone, on
# its true boxes (EXTRA's detector is never trained; the fine-tuning adds the detector's boxes).
$(RECOGNIZER_INIT):
	$(MAKE) recognizer EXTRA= BOX_CROPS=0 $(if $(wildcard $(EXTRA)/train.csv),DATA=$(EXTRA_DATA),DATA= PRESET=$(EXTRA))
endif

$(WORK)/split.json: $(DATASET)/train.csv | $(STAMP)
	$(call stage,[2/9] checking $(DATASET) and holding out whole books)
	$(PY) -m data.split --data $(DATASET) --out $@ --seed $(SEED)

.PHONY: data
data: $(WORK)/split.json

# --- models -------------------------------------------------------------------------------------

# The detector, the crops and the detector-box crops of a run folder: $(WORK) for the split's
# models, $(WORK)/final for the final ones (below). The recognizer also learns from the detector's
# own boxes on the same pages, and from the boxes that hold no character: the background class the
# pipeline drops. BOX_CROPS=0: true boxes only.
BOX_CROPS ?= 1
JITTER ?= 1
CROPS := $(if $(filter 1,$(BOX_CROPS)),boxcrops,crops).npz
BOX_ERRORS := $(if $(filter 1,$(JITTER)),$(WORK)/box_errors.npy)
step = $(if $(filter %/final,$*),[final] ,[$(1)/9] )

%/detector/model.pt: %/split.json | $(STAMP)
	$(call stage,$(call step,3)training the detector in $*/detector)
	$(PY) -m detect.train --data $(DATASET) --split $< --run $*/detector --device $(DEVICE) --resume $(DETECTOR_ARGS) \
		$(if $(filter %/final,$*),--init $(WORK)/detector/model.pt --epochs $(REFIT_EPOCHS))

%/crops.npz: %/split.json | $(STAMP)
	$(call stage,$(call step,4)cropping and binarizing the training characters into $@)
	$(PY) -m data.crops --data $(DATASET) --split $< --out $@ $(CROPS_ARGS)

%/boxcrops.npz: %/crops.npz %/detector/model.pt $(BOX_ERRORS) | $(STAMP)
	$(call stage,$(call step,5)cropping the detector's boxes on the same pages into $@)
	$(PY) -m detect.boxcrops --data $(DATASET) --crops $< --detector $*/detector/model.pt --out $@ --device $(DEVICE) \
		$(if $(BOX_ERRORS),--jitter $(BOX_ERRORS))

# The split detector's box errors on the tune pages (detect.boxerrors): both runs' box crops also
# cut every true box once more, moved by one of them. JITTER=0: no such crops.
$(WORK)/box_errors.npy: $(WORK)/detector/model.pt $(WORK)/split.json | $(STAMP)
	$(call stage,[5/9] measuring the detector's box errors on the tune pages)
	$(PY) -m detect.boxerrors --data $(DATASET) --split $(WORK)/split.json --detector $< --out $@ --device $(DEVICE)

.SECONDARY:  # keep every stage's file, even those only a pattern rule names

# The tune pages of split.json (the detector's validation pages) validate the recognizer too and
# never train it: they are left for choosing the thresholds.
$(WORK)/recognizer/model.pt: $(WORK)/$(CROPS) $(WORK)/split.json $(RECOGNIZER_INIT) | $(STAMP)
	$(call stage,[6/9] training the recognizer in $(WORK)/recognizer)
	$(RECOGNIZER_TRAIN) --crops $< --split $(WORK)/split.json --run-dir $(WORK)/recognizer --device $(DEVICE) \
		--resume $(RECOGNIZER_ARGS) $(if $(RECOGNIZER_INIT),--init $(RECOGNIZER_INIT))

# The final models write the submission: the split's models, each trained REFIT_EPOCHS more epochs
# on every train page, held-out books and tune pages included, with the same settings (a warm
# start: a refit from scratch cost three times as long for 0.4 test-F1 points, and 1 epoch lost 4,
# README "Training for the competition F1"). Held-out evaluation and the thresholds stay the split's.
# REFIT=0 (the default with FAST=1) writes the CSV with the split's models.
REFIT ?= $(if $(FAST),0,1)
REFIT_EPOCHS ?= 2
FINAL := $(if $(filter 1,$(REFIT)),$(WORK)/final,$(WORK))
FINAL_MODELS := $(FINAL)/detector/model.pt $(FINAL)/recognizer/model.pt

$(WORK)/final/split.json: $(WORK)/split.json | $(STAMP)
	$(PY) -m data.split --refit $< --out $@

$(WORK)/final/detector/model.pt: $(WORK)/detector/model.pt

$(WORK)/final/recognizer/model.pt: $(WORK)/final/$(CROPS) $(WORK)/recognizer/model.pt | $(STAMP)
	$(call stage,[final] training the recognizer on every page in $(WORK)/final/recognizer)
	$(RECOGNIZER_TRAIN) --crops $< --run-dir $(WORK)/final/recognizer --device $(DEVICE) --resume $(RECOGNIZER_ARGS) \
		--valid 0 --epochs $(REFIT_EPOCHS) --init $(WORK)/recognizer/model.pt --no-interpret

.PHONY: detector recognizer
detector: $(WORK)/detector/model.pt
recognizer: $(WORK)/recognizer/model.pt

MODELS := $(WORK)/detector/model.pt $(WORK)/recognizer/model.pt
THRESHOLDS := $(WORK)/tune/thresholds.json

# The detector confidence and recognizer probability with the best F1 on the tune pages. With TTA=1
# (not with FAST=1) the recognizer reads each box as found, 5 % larger and smaller, and moved 5 %
# four ways, and averages (submit/views.py); thresholds.json records it for every later reading.
TTA ?= $(if $(FAST),0,1)
$(THRESHOLDS): $(MODELS) $(WORK)/split.json | $(STAMP)
	$(call stage,[7/9] choosing the thresholds on the tune pages)
	$(PY) -m submit.evaluation.tune --data $(DATASET) --split $(WORK)/split.json --detector $(WORK)/detector/model.pt \
		--recognizer $(WORK)/recognizer/model.pt --out $(WORK)/tune --device $(DEVICE) $(if $(filter 1,$(TTA)),--tta)

# --- results ------------------------------------------------------------------------------------

$(WORK)/evaluate/evaluate.json: $(MODELS) $(THRESHOLDS) $(WORK)/split.json | $(STAMP)
	$(call stage,[8/9] reading the held-out books end to end)
	$(PY) -m submit.evaluation.evaluate --data $(DATASET) --split $(WORK)/split.json --detector $(WORK)/detector/model.pt \
		--recognizer $(WORK)/recognizer/model.pt --thresholds $(THRESHOLDS) --out $(WORK)/evaluate --device $(DEVICE)

$(WORK)/submission.csv: $(FINAL_MODELS) $(THRESHOLDS) | $(STAMP)
	$(call stage,[9/9] reading the test pages into $@ with the models in $(FINAL))
	$(PY) -m submit.predict --data $(DATASET) --detector $(FINAL)/detector/model.pt \
		--recognizer $(FINAL)/recognizer/model.pt --thresholds $(THRESHOLDS) --out $@ --device $(DEVICE)

.PHONY: evaluate submission upload
evaluate: $(WORK)/evaluate/evaluate.json
	@$(PY) -c "import json, submit.evaluation.evaluate as e; print(e.table(json.load(open('$<'))))"

# A folder of annotated pages with no test pages (a book of your own) has no submission to write:
# `make submission` stops after the held-out evaluation and says so.
TEST_PAGES := $(if $(strip $(DATA)),$(wildcard $(SOURCE)/sample_submission.csv $(SOURCE)/test_images),yes)
submission: $(WORK)/evaluate/evaluate.json $(if $(TEST_PAGES),$(WORK)/submission.csv)
	@$(PY) -m submit.report --work $(WORK) $(if $(TEST_PAGES),,--no-test)

upload: $(WORK)/submission.csv
	$(PY) -m submit.upload --submission $< --data $(DATASET)

# Models trained on generated pages, read on real annotated pages no model saw (the stand-in's
# honest measure): F1, detector recall and recognizer accuracy in $(WORK)/realpages/.
REAL ?= ../shared/realpages
.PHONY: realpages
realpages: $(MODELS) $(THRESHOLDS) | $(STAMP)
	$(call stage,reading the real pages in $(REAL) with the models in $(WORK))
	$(PY) -m submit.evaluation.evaluate --data $(REAL) --detector $(WORK)/detector/model.pt \
		--recognizer $(WORK)/recognizer/model.pt --thresholds $(THRESHOLDS) --out $(WORK)/realpages --device $(DEVICE)

# Transcriptions in reading order of page images (files or folders), with the run's models:
# per page .txt, .json and .png in $(READ_OUT), and one viewer.html for them all.
IMAGES ?=
READ_OUT ?= $(WORK)/read
.PHONY: read
read: $(FINAL_MODELS) $(THRESHOLDS) | $(STAMP)
	@if [ -z "$(IMAGES)" ]; then echo "usage: make read IMAGES=folder/ [FAST=1] [READ_OUT=dir]" >&2; exit 2; fi
	$(call stage,reading $(IMAGES) into $(READ_OUT))
	$(PY) -m submit.reading.read $(IMAGES) --detector $(FINAL)/detector/model.pt \
		--recognizer $(FINAL)/recognizer/model.pt --thresholds $(THRESHOLDS) --out $(READ_OUT) --device $(DEVICE)

# Leave one real book out (bench/experiments/realcheck.py): models from the FAST stand-in only, from the other
# real books only, and from both (trained jointly: mix; pretrained and fine-tuned: finetune; the
# detector mixed and the recognizer fine-tuned: both; and both-tuned, as `make submission EXTRA=` does,
# with the detector's boxes, thresholds chosen on the tune page, and final models trained REFIT_EPOCHS
# more epochs with the tune page (none with REFIT=0); both-plain
# without rare-class renders), each read on every book of $(REAL); the tables are printed and
# written to build/realcheck/realcheck.{json,csv}. REALCHECK_ARMS=... picks arms (bench/experiments/realfold.py);
# REALCHECK_JOBS=N reads N books at once, each in its own process (a GPU, or many cores). The
# recognizer trains as `make submission`'s (RECOGNIZER_EPOCHS); the detector FAST=1's 4 epochs.
REALCHECK_ARMS ?= standin real mix finetune both both-plain both-tuned
REALCHECK_JOBS ?= 1
REALCHECK_DETECTOR ?= --imgsz 320 --char-px 20 --batch 8 --epochs 4 --mosaic 0 --close-mosaic 0
REALCHECK_RECOGNIZER ?= --width 32 --depth 0 --batch 64 --cap 100 --floor 20 --epochs $(RECOGNIZER_EPOCHS) --lr 3e-3 --valid 0.1
.PHONY: realcheck
realcheck: build/data/fast/train.csv | $(STAMP)
	$(call stage,leaving one book of $(REAL) out at a time: $(REALCHECK_ARMS))
	$(PY) -m bench.experiments.realcheck --real $(REAL) --standin build/data/fast --out build/realcheck --device $(DEVICE) \
		--jobs $(REALCHECK_JOBS) --arms $(REALCHECK_ARMS) --real-weight $(DATA_WEIGHT) --rare-below $(RARE_BELOW) --renders $(RENDERS) --prior $(PRIOR) --tta $(TTA) \
		--refit $(if $(filter 1,$(REFIT)),$(REFIT_EPOCHS),0) --detector-args="$(REALCHECK_DETECTOR)" --recognizer-args="$(REALCHECK_RECOGNIZER)"

# What each change for the competition F1 is worth, on the same held-out books with the same
# detector (bench/experiments/ablation.py): the table in README, "What each change is worth".
.PHONY: ablation
ablation: $(WORK)/split.json $(WORK)/detector/model.pt $(WORK)/crops.npz | $(STAMP)
	$(call stage,one change at a time on the held-out books of $(WORK))
	$(PY) -m bench.experiments.ablation --data $(DATASET) --work $(WORK) --device $(DEVICE) --recognizer-args="$(RECOGNIZER_ARGS)"

.PHONY: lr-find
lr-find: $(WORK)/crops.npz | $(STAMP)
	$(PY) -m recognize.lr_find --crops $< --run $(WORK)/lr_find --device $(DEVICE) $(RECOGNIZER_ARGS)

# --- checks -------------------------------------------------------------------------------------

.PHONY: bench scale test lint clean
bench: $(WORK)/detector/model.pt $(WORK)/recognizer/model.pt $(WORK)/crops.npz
	$(PY) bench/recognizer.py --crops $(WORK)/crops.npz --device $(DEVICE)
	$(PY) bench/detector.py --data $(DATASET) --run $(WORK)/detector --device $(DEVICE)
	$(PY) bench/pipeline.py --data $(DATASET) --work $(WORK) --device $(DEVICE)
	$(PY) bench/order.py $(if $(wildcard $(REAL)/train.csv),--real $(REAL))

# Every stage on 50, 100 and 200 pages of the `full` preset, extrapolated to the competition's size.
scale: | $(STAMP) $(FONTS)/.unpacked
	$(PY) bench/scale.py --out build/scale

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint fonts
	$(PY) -m pytest -q

# Break one stage at a time (a scale factor, an index, x and y, a crop offset) in a copy of the
# tree and report the test that catches each; not part of `make test` (a few minutes).
.PHONY: mutants
mutants: $(STAMP)
	nice -n 10 $(PY) tests/mutants.py

clean:
	rm -rf $(WORK)
