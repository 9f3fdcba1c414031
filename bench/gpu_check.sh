#!/usr/bin/env bash
# The GPU check: on a machine with one CUDA GPU, from a fresh clone, in about 8 minutes:
#
#   bash bench/gpu_check.sh            (OUT=dir: everything also goes to dir/gpu_check.log)
#
# 1. `make setup` (the virtual environment, from the package registries only);
# 2. the data: PAGES=100 generated pages of the `full` preset; or, with GPU_CHECK_REAL=folder,
#    those real pages joined with the stand-in (realcheck.standin, EXTRA=: longer than 8 minutes);
# 3. both models trained with the gpu profile (`python -m submit detector`, `... recognizer`), their
#    epochs cut to fit the budget (SET=), the GPU's utilisation sampled every 0.5 s during each;
# 4. the held-out pages read (`python -m submit evaluate`: the thresholds on the tune pages, then
#    the held-out books end to end), and bench.recognizer on the GPU;
# 5. a summary: the card, utilisation (mean, max) while each model trained, images/s of both
#    trainings (the detector's from its results.csv: epochs x tiles / seconds, validation
#    included; the recognizer's from bench.recognizer, and from its metrics.csv), the share of the
#    recognizer's step time spent waiting for data, and the held-out F1 (evaluate.json).
#
# Variables: GPU_CHECK_SECONDS (the whole budget, default 470), DETECTOR_EPOCHS (default 12),
# RECOGNIZER_EPOCHS (default 10), PAGES (default 100, generated pages), GPU_CHECK_REAL (a folder of
# real pages; default none: generated pages only), GPU_CHECK_WORK (default build/gpu_check).
# Each step runs under `timeout`, at most what is left of the budget; a step that fails or runs out
# of time ends the chain of the steps that need it, and the summary reports what there is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUDGET=${GPU_CHECK_SECONDS:-470}
DETECTOR_EPOCHS=${DETECTOR_EPOCHS:-12}
RECOGNIZER_EPOCHS=${RECOGNIZER_EPOCHS:-10}
GENERATED_PAGES=${PAGES:-100}
REAL_PAGES=${GPU_CHECK_REAL:-none}
WORK_DIR=${GPU_CHECK_WORK:-build/gpu_check}
PY=.venv/bin/python
SAMPLES=$(mktemp -d)
SAMPLER=""

left() { echo $((BUDGET - SECONDS)); }

# step NAME SECONDS COMMAND...: COMMAND under timeout, at most SECONDS and what is left of the budget
step() {
    local name=$1 limit=$2 rest status=0 began=$SECONDS
    shift 2
    rest=$(left)
    if ((rest < limit)); then limit=$rest; fi
    if ((limit < 5)); then
        echo "== $name: not run, the budget of $BUDGET s is spent"
        return 1
    fi
    echo "== $name (at most $limit s, $(left) s left): $*"
    timeout --kill-after=10 "$limit" "$@" || status=$?
    if ((status == 124 || status == 137)); then
        echo "== $name: TIMED OUT after $((SECONDS - began)) s"
    else
        echo "== $name: exit status $status after $((SECONDS - began)) s"
    fi
    return "$status"
}

# sample NAME / unsample: GPU utilisation every 0.5 s into $SAMPLES/NAME.txt while a stage runs
sample() {
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 500 >"$SAMPLES/$1.txt" 2>/dev/null &
    SAMPLER=$!
}
unsample() {
    if [[ -n $SAMPLER ]]; then
        kill "$SAMPLER" 2>/dev/null || true
        wait "$SAMPLER" 2>/dev/null || true
        SAMPLER=""
    fi
}
utilisation() {
    local file=$SAMPLES/$1.txt
    [[ -s $file ]] || { echo "no samples"; return 0; }
    awk '$1 ~ /^[0-9]+$/ { s += $1; n++; if ($1 > m) m = $1 }
        END { if (n) printf "mean %.0f %%, max %d %% (%d samples over %.0f s)\n", s / n, m, n, n / 2;
              else print "no samples" }' "$file"
}

# target NAME SECONDS [sampled]: `python -m submit NAME` unless a step before it failed; "sampled"
# records the GPU's utilisation while it runs
target() {
    if [[ -n $FAILED ]]; then return 0; fi
    if [[ ${3:-} == sampled ]]; then sample "$1"; fi
    step "$1" "$2" "$PY" -m submit "$1" || FAILED="$1"
    if [[ ${3:-} == sampled ]]; then unsample; fi
    return 0
}

summary() {
    unsample
    local work=$WORK_DIR
    echo
    echo "================ GPU check summary ($SECONDS s in all) ================"
    nvidia-smi --query-gpu=name,memory.total --format=csv || true
    echo "data: $DATA_NOTE; settings: profile gpu, SET=\"$SET\""
    echo "GPU utilisation, detector training:   $(utilisation detector)"
    echo "GPU utilisation, recognizer training: $(utilisation recognizer)"
    if [[ -x $PY ]]; then
        "$PY" - "$work" "$SAMPLES/bench_recognizer.txt" <<'EOF' || true
import csv, json, sys
from pathlib import Path

work, bench = Path(sys.argv[1]), Path(sys.argv[2])
results = work / "detector" / "results.csv"
if results.is_file():
    rows = [{k.strip(): v.strip() for k, v in r.items()} for r in csv.DictReader(results.open())]
    tiles = len(list((work / "detector" / "dataset" / "images" / "train").glob("*.jpg")))
    if rows and tiles:
        epochs, seconds = int(float(rows[-1]["epoch"])), float(rows[-1]["time"])
        print(f"detector training: {epochs * tiles / seconds:.1f} tiles/s ({epochs} epochs of {tiles} "
              f"tiles in {seconds:.0f} s, validation included)")
else:
    print(f"detector training: no {results}")
metrics = work / "recognizer" / "metrics.csv"
if metrics.is_file():
    import numpy as np

    rows = list(csv.DictReader(metrics.open()))
    train = len(np.load(work / "recognizer" / "split.npz")["train"])
    seconds = sum(float(r["seconds"]) for r in rows)
    print(f"recognizer training: {train * len(rows) / max(seconds, 0.1):.0f} images/s ({len(rows)} epochs "
          f"of {train} crops in {seconds:.1f} s, validation included)")
else:
    print(f"recognizer training: no {metrics}")
if bench.is_file():
    lines = [line for line in bench.read_text().splitlines() if "images/s" in line]
    for line in lines:
        print(f"bench.recognizer: {line}")
    if not lines:
        print(f"bench.recognizer: no result (see the log above)")
result = work / "evaluate" / "evaluate.json"
if result.is_file():
    e = json.loads(result.read_text())
    f = e["end_to_end"]
    print(f"held-out F1 {f['f1']:.4f} (precision {f['precision']:.4f}, recall {f['recall']:.4f}) on "
          f"{e['pages']} pages, {e['characters']} characters")
else:
    print(f"held-out F1: no {result}")
EOF
    fi
    echo "failed or timed out: ${FAILED:-nothing}"
    rm -rf "$SAMPLES"
}

main() {
    FAILED=""
    DATA_NOTE="(not chosen yet)"
    export PROFILE=gpu DEVICE=cuda WORK=$WORK_DIR
    export SET="detector.epochs=$DETECTOR_EPOCHS recognizer.epochs=$RECOGNIZER_EPOCHS"
    trap summary EXIT
    echo "GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, budget $BUDGET s"
    if ! nvidia-smi --query-gpu=name,memory.total --format=csv; then
        echo "no NVIDIA GPU here (nvidia-smi failed)"
        FAILED="nvidia-smi"
        return 1
    fi
    step setup 270 make setup || { FAILED="setup"; return 1; }

    if [[ $REAL_PAGES != none && -f $REAL_PAGES/train.csv ]]; then
        local standin
        standin=$("$PY" -c 'from data.infra.settings import load; print(load("gpu")["realcheck.standin"])')
        export DATA=$REAL_PAGES EXTRA=$standin
        DATA_NOTE="$REAL_PAGES joined with the stand-in $standin (EXTRA)"
        # the stand-in's own run first (the recognizer fine-tunes from its model): so that the
        # samples below cover the joined run's trainings only
        if [[ -f $standin/train.csv ]]; then
            step standin 150 env -u EXTRA -u WORK DATA="$standin" "$PY" -m submit recognizer || FAILED="standin"
        else
            step standin 150 env -u DATA -u EXTRA -u WORK PRESET="$standin" "$PY" -m submit recognizer ||
                FAILED="standin"
        fi
    else
        export PRESET=full PAGES=$GENERATED_PAGES
        DATA_NOTE="$GENERATED_PAGES generated pages of the full preset"
    fi
    echo "data: $DATA_NOTE; work folder $WORK; SET=\"$SET\""

    target data 90
    target detector 150 sampled
    target crops 60
    target recognizer 90 sampled
    target evaluate 90
    if [[ -x $PY ]]; then
        local crops=()
        for file in "$WORK/boxcrops.npz" "$WORK/crops.npz"; do
            if [[ -f $file ]]; then
                crops=(--crops "$file")
                break
            fi
        done
        step bench.recognizer 50 "$PY" -m bench.recognizer --device cuda --profile gpu --seconds 10 "${crops[@]}" |
            tee "$SAMPLES/bench_recognizer.txt" || FAILED="${FAILED:+$FAILED, }bench.recognizer"
    fi
    [[ -z $FAILED ]]
}

if [[ -n ${OUT:-} ]]; then
    mkdir -p "$OUT"
    main "$@" 2>&1 | tee "$OUT/gpu_check.log"
else
    main "$@"
fi
