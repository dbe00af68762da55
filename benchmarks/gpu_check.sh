#!/usr/bin/env bash
# GPU check, one command of about 9 minutes on one GPU: first the InfoNCE loss against its matrix-multiply
# bound (benchmarks/infonce_bound.py --device cuda, about a minute, issue #15's GPU goal <= 1.3; results as
# benchmarks/results/infonce-gpu), then the InfoNCE baselines (GRACE, GCA) and BGRL at
# their published epoch budgets (no --max-epochs: the recipes' epochs) through the paper suite, cheapest
# cells first, in the suite's result format (cells/*.json, results.md/.csv/.json as `gclbt bench` writes
# them). Each cell is written when it finishes, so a cut-off run keeps what finished and a rerun continues.
#
# On the lent GPU machine (the `device` tool; nothing can be downloaded there, torch / torch-geometric /
# scikit-learn are installed): copy the mirror into the repository once, as an ignored folder,
#     cp -r ../shared/datasets .gpu-data && echo /.gpu-data/ >> .git/info/exclude
# then run, with carry [".gpu-data"]:   bash benchmarks/gpu_check.sh .gpu-data
# The results come back as $OUT/paper-gpu.tar.gz (the device returns at most 8 files); unpack it into
# benchmarks/results/paper-gpu and commit it with the device named (results.md names it per cell); the
# InfoNCE measurement comes back as $OUT/infonce-gpu/results.md|json (commit as benchmarks/results/infonce-gpu).
# Variables: BUDGET (seconds for the cells, default 450), INFONCE_BUDGET (default 90), OUT (set by the
# device tool), PYTHON.
set -u
cd "$(dirname "$0")/.."
mirror=${1:-${MIRROR:-../shared/datasets}}
budget=${BUDGET:-450}
infonce_budget=${INFONCE_BUDGET:-90}
python=${PYTHON:-python3}
# under the device tool, work outside $OUT (at most 8 files come back) and return one archive
work=benchmarks/results/paper-gpu
if [ -n "${OUT:-}" ]; then work=/tmp/paper-gpu; fi
export PYTHONUNBUFFERED=1
if ! "$python" -c "import gclbt_plugin.cli.main" 2>/dev/null; then  # the package, without fetching anything
    "$python" -m pip install -q --no-deps --no-index --no-build-isolation -e . || exit 1
fi
"$python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('device:', torch.cuda.get_device_name(0))" \
    || exit 1
# InfoNCE against its bound (Cora, Computers, CS full; Physics chunked), the previous formulation beside it
infonce_out=benchmarks/results/infonce-gpu
if [ -n "${OUT:-}" ]; then infonce_out=$OUT/infonce-gpu; fi
timeout "$infonce_budget" "$python" benchmarks/infonce_bound.py --repeats 3 --device cuda --out "$infonce_out" \
    || echo "infonce_bound: not finished within ${infonce_budget} s (exit $?)"
# cheapest first (Planetoid, then Computers, CS, Physics); BGRL's 10,000 epochs last on each dataset
cells="grace-Cora gca-Cora grace-CiteSeer gca-CiteSeer bgrl-Cora bgrl-CiteSeer grace-Computers gca-Computers
grace-CS gca-CS bgrl-Computers grace-Physics gca-Physics bgrl-CS bgrl-Physics"
only=()
for cell in $cells; do only+=(--only "$cell"); done
timeout "$budget" "$python" -m gclbt_plugin bench paper --out "$work" --device cuda --data-mirror "$mirror" \
    --data-cache /tmp/gclbt-data --no-progress --no-plots "${only[@]}"
echo "cells finished: $(ls "$work/cells" 2>/dev/null | wc -l)"
"$python" -m gclbt_plugin bench report "$work" --no-plots
if [ -n "${OUT:-}" ]; then
    tar czf "$OUT/paper-gpu.tar.gz" -C "$work" .
fi
