#!/usr/bin/env bash
# GPU check of `gclbt tune` (under 10 minutes): a short study with --device cuda in a temporary SQLite
# storage, then the CUDA device name, the device every trial ran on, and trials per minute.
# Usage: bash benchmarks/gpu_check.sh [MIRROR]   (default ../shared/datasets; DATASET=Computers,
#        TRIALS=8, EPOCHS=100 can be overridden; falls back to Cora when the dataset is not in the mirror)
set -eu
cd "$(dirname "$0")/.."
mirror=${1:-${MIRROR:-../shared/datasets}}
dataset=${DATASET:-Computers}
trials=${TRIALS:-8}
epochs=${EPOCHS:-100}
gclbt=${GCLBT:-gclbt}
python=${PYTHON:-python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$dataset" = Computers ] && [ ! -d "$mirror/Amazon/Computers" ] && [ ! -d "$mirror/Amazon/computers" ]; then
    echo "Computers not in $mirror; using Cora"; dataset=Cora
fi
"$python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('device:', torch.cuda.get_device_name(0))"
start=$(date +%s.%N)
"$gclbt" tune --method gclbt --dataset "$dataset" --n-trials "$trials" --epochs "$epochs" \
    --set scheduler.warmup_epochs=$(( epochs / 10 )) --num-splits 3 --device cuda \
    --storage "sqlite:///$work/studies.db" --data-mirror "$mirror" --data-cache "$work/data" --no-progress
end=$(date +%s.%N)
STORAGE="sqlite:///$work/studies.db" STUDY="gclbt-$dataset" START="$start" END="$end" "$python" - <<'PY'
import os

import optuna
import torch

study = optuna.load_study(study_name=os.environ["STUDY"], storage=os.environ["STORAGE"])
minutes = (float(os.environ["END"]) - float(os.environ["START"])) / 60
finished = [t for t in study.trials if t.state.is_finished()]
devices = sorted({t.user_attrs.get("device", "?") for t in finished})
states = {s: sum(t.state.name == s for t in study.trials) for s in ("COMPLETE", "PRUNED", "FAIL")}
print(f"gpu_check: {torch.cuda.get_device_name(0)}; trial devices {devices}; trials {states}; "
      f"{len(finished)} trials in {minutes:.2f} min = {len(finished) / minutes:.2f} trials/minute "
      f"(including start-up and data loading); best val {study.best_value:.2f} %")
PY
