#!/usr/bin/env bash
# The committed CPU results (benchmarks/results/{paper,ablation,tuned,scaling}-cpu): the paper, ablation
# and tuned suites and the scaling benchmark with per-dataset epoch caps sized to one 2-core session
# (a Computers InfoNCE epoch costs 20-30 s on one CPU thread, a Barlow Twins epoch about 0.5 s). The
# scaling benchmark has no accuracies: set SCALING=0 to skip it.
# --max-epochs caps a cell and is recorded in it (epochs run, epochs requested, published epochs); the
# warm-up is scaled by the same factor. Every cell uses the default probe (bgrl) and the recipes' feature
# row normalisation. Jobs run JOBS at a time (default 2, one thread each), all writing
# into the same folders; every command resumes (finished cells are skipped). The scaling benchmark runs
# last, alone, so that its timings are not taken beside another job. GCLBT overrides the gclbt command.
#   bash benchmarks/cpu_suites.sh [MIRROR]      (default mirror: ../shared/datasets)
# On a GPU run the suites uncapped instead:  gclbt bench paper --out benchmarks/results/paper-gpu ...
set -eu
cd "$(dirname "$0")/.."
mirror=${1:-../shared/datasets}
export OMP_NUM_THREADS=1
common="--data-mirror $mirror --threads 1 --no-progress --no-plots --cell-timeout 3600"
gclbt=${GCLBT:-gclbt}
paper="$gclbt bench paper --out benchmarks/results/paper-cpu $common"
ablation="$gclbt bench ablation --out benchmarks/results/ablation-cpu $common"
barlow_bootstrap() {  # the 8 ablation cells of dataset $1 without InfoNCE (too slow on CPU beyond Computers)
    for a in uniform degree pagerank eigenvector; do printf -- " --only %s-%s+barlow --only %s-%s+bootstrap" "$1" "$a" "$1" "$a"; done
}
commands=(  # cheapest first, so that an interrupted session keeps the most cells; every command resumes
    "$paper --max-epochs 300 --only Cora --only CiteSeer"        # GRACE/GCA: their published 200 epochs
    "$paper --max-epochs 500 --only gbt-Computers --only gclbt-Computers"
    "$paper --max-epochs 300 --only bgrl-Computers"
    "$paper --max-epochs 150 --only gbt-CS --only gclbt-CS --only bgrl-CS"
    "$paper --max-epochs 150 --only gbt-Physics --only gclbt-Physics --only bgrl-Physics"
    "$gclbt bench tuned --out benchmarks/results/tuned-cpu $common --max-epochs 500 --only gclbt-Computers"
    "$paper --max-epochs 20 --only grace-Computers --only gca-Computers"
    "$paper --max-epochs 10 --only grace-CS --only gca-CS"
    "$ablation --max-epochs 50 --only Cora- --only CiteSeer-"
    "$ablation --max-epochs 20 --only Computers-uniform+infonce $(barlow_bootstrap Computers)"
    "$ablation --max-epochs 20 $(barlow_bootstrap CS)"
    "$ablation --max-epochs 20 $(barlow_bootstrap Physics)"
    "$paper --max-epochs 3 --only grace-Physics"                  # ~200 s per InfoNCE epoch here
    "$paper --max-epochs 3 --only gca-Physics"
)
status=0
# A failed or timed-out cell makes its command exit 1; the other commands and the reports still run.
printf '%s\n' "${commands[@]}" | xargs -P "${JOBS:-2}" -I{} bash -c '{}' || status=$?
if [ "${SCALING:-1}" != 0 ]; then
    $gclbt bench scaling --out benchmarks/results/scaling-cpu --threads 1 --max-epoch-seconds 70 --memory-limit-mb 16000 \
        || status=$?
fi
for folder in paper-cpu ablation-cpu tuned-cpu; do $gclbt bench report "benchmarks/results/$folder" || status=$?; done
exit "$status"
