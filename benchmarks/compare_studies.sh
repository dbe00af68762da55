#!/usr/bin/env bash
# Issue #13, step 1: Optuna studies of the Barlow Twins recipes at their real budget (1000 epochs), on
# validation only, with Hyperband over epochs (trials report validation accuracy every 100 epochs, so
# most of them stop early). GCL-BT and G-BT get the same trial budget and the same space
# (benchmarks/compare/space-*.yaml: four drop rates, lambda log-uniform in [0.1/d, 10/d], lr; GCL-BT
# also GCA's cap p_tau per adaptive augmenter).
#
# Two workers per study share one SQLite storage ($OUT/studies.db), one torch thread each. Every
# command resumes: a study holds N finished trials and a re-run continues up to N (Optuna
# load_if_exists); a worker that died leaves a RUNNING trial that the next run fails and retries.
#   bash benchmarks/compare_studies.sh                        # STUDIES="gbt:Cora gclbt:Cora gbt:CiteSeer gclbt:CiteSeer"
#   STUDIES="gclbt:Computers" TRIALS=30 bash benchmarks/compare_studies.sh
#   STUDIES="gclbt/pagerank:Cora gclbt/eigenvector:Cora" bash benchmarks/compare_studies.sh   # GCA-BT variants
# A method written METHOD/VARIANT trains METHOD with benchmarks/compare/variant-VARIANT.yaml merged over
# its recipe (--config; e.g. the adaptive augmenters' centrality) and searches METHOD's space; its
# study is METHOD-VARIANT-DATASET-eEPOCHS.
# TAG is appended to every study name: `gclbt tune` refuses to continue a study whose trials ran with
# other augmenter revisions (GCL-BT's and its variants' studies before the 2026-12-04 fit fix), so a
# search after the fix needs a new name, e.g. TAG=-r1 -> gclbt-pagerank-Computers-e1000-r1.
# Variables: STUDIES (method:dataset ...), TRIALS (default 30), EPOCHS (1000), EVAL_EVERY (100), TAG (''),
# WORKERS (2), MIRROR (../shared/datasets), OUT (benchmarks/results/compare-cpu), GCLBT (the command).
# Random-split datasets are probed on 3 splits per trial (2 for the intermediate reports); Planetoid on
# its public split. Reports: `gclbt tune report --study-name ... --storage sqlite:///$OUT/studies.db`.
set -u
cd "$(dirname "$0")/.."
studies=${STUDIES:-"gbt:Cora gclbt:Cora gbt:CiteSeer gclbt:CiteSeer"}
trials=${TRIALS:-30}
tag=${TAG:-}
epochs=${EPOCHS:-1000}
every=${EVAL_EVERY:-100}
workers=${WORKERS:-2}
mirror=${MIRROR:-../shared/datasets}
out=${OUT:-benchmarks/results/compare-cpu}
gclbt=${GCLBT:-gclbt}
storage="sqlite:///$out/studies.db"
mkdir -p "$out/logs"
export OMP_NUM_THREADS=1
status=0
for entry in $studies; do
    method=${entry%%:*}
    dataset=${entry#*:}
    variant_args=()
    if [[ $method == */* ]]; then
        variant=${method#*/}
        method=${method%%/*}
        variant_args=(--config "benchmarks/compare/variant-$variant.yaml")
        study="$method-$variant-$dataset-e$epochs$tag"
    else
        study="$method-$dataset-e$epochs$tag"
    fi
    echo "== $(date -u +%FT%TZ) study $study: $trials trials of up to $epochs epochs, $workers workers"
    pids=()
    for worker in $(seq 1 "$workers"); do
        "$gclbt" tune --method "$method" --dataset "$dataset" "${variant_args[@]}" --epochs "$epochs" --n-trials "$trials" \
            --search-space "benchmarks/compare/space-$method.yaml" --pruner hyperband \
            --eval-every "$every" --eval-splits 2 --num-splits 3 \
            --storage "$storage" --study-name "$study" --optuna-seed "$worker" \
            --data-mirror "$mirror" --no-progress >> "$out/logs/$study-worker$worker.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
done
exit "$status"
