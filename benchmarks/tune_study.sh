#!/usr/bin/env bash
# A real Optuna study of the seed method (gclbt) on Amazon Computers and Coauthor CS from the mirror,
# then the tuned configuration against the paper-default one on TEST over 20 random splits, compared
# with published numbers (benchmarks/published.yaml) in benchmarks/results/tuning/results.md.
#
# The default search space is searched: the four drop rates (view1/view2 edge/feature p) and the
# Barlow Twins lambda (log scale, [0.1/d, 10/d]). On a 2-core CPU each trial trains EPOCHS epochs
# (not the recipe's 1000; the warm-up is scaled to 10 %) and is probed on 3 splits; the median pruner
# stops poor trials at the intermediate probes (every EPOCHS/5 epochs, one split each). Measured on the
# shared 2-core CPU (busy): gclbt ~8.4 s/epoch on Computers, ~14 s/epoch on CS, ~30 s per probe split, so
# the defaults take about 4 h (Computers) + 6 h (CS) including reports; with a GPU, minutes.
#
# Resumable: the study lives in $OUT/studies.db (re-running continues it up to TRIALS trials), and the
# report / default runs are skipped when their JSON exists. Usage:
#   bash benchmarks/tune_study.sh                                  # TRIALS=20 EPOCHS=50 DATASETS="Computers CS"
#   TRIALS=2 EPOCHS=3 DATASETS=Cora OUT=/tmp/tune bash benchmarks/tune_study.sh   # a smoke test (~1 min)
# Variables: TRIALS, EPOCHS, DATASETS, MIRROR (default ../shared/datasets), OUT (default
# benchmarks/results/tuning), DEVICE (default auto), REPORT_SEEDS (default "0 1 2"), GCLBT (the command).
set -u
cd "$(dirname "$0")/.."
trials=${TRIALS:-20}
epochs=${EPOCHS:-50}
datasets=${DATASETS:-"Computers CS"}
mirror=${MIRROR:-../shared/datasets}
out=${OUT:-benchmarks/results/tuning}
device=${DEVICE:-auto}
report_seeds=${REPORT_SEEDS:-"0 1 2"}
gclbt=${GCLBT:-gclbt}
python=${PYTHON:-python}
warmup=$(( epochs / 10 ))
every=$(( epochs / 5 > 0 ? epochs / 5 : 1 ))
storage="sqlite:///$out/studies.db"
mkdir -p "$out"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

for dataset in $datasets; do
    study="gclbt-$dataset-e$epochs"
    echo "== $(date -u +%FT%TZ) study $study: $trials trials x $epochs epochs"
    "$gclbt" tune --method gclbt --dataset "$dataset" --n-trials "$trials" --epochs "$epochs" \
        --set scheduler.warmup_epochs="$warmup" --num-splits 3 --eval-every "$every" --eval-splits 1 \
        --storage "$storage" --study-name "$study" --device "$device" \
        --data-mirror "$mirror" --no-progress || exit 1
    if [ ! -s "$out/$study/report.json" ]; then
        echo "== $(date -u +%FT%TZ) report $study: tuned configuration, seeds $report_seeds x 20 splits"
        # shellcheck disable=SC2086
        "$gclbt" tune report --study-name "$study" --storage "$storage" --report-seeds $report_seeds \
            --report-splits 20 --output-dir "$out/$study" --device "$device" --data-mirror "$mirror" \
            --no-progress || exit 1
    fi
    default="$out/default-gclbt-$dataset-e$epochs.json"
    if [ ! -s "$default" ]; then
        echo "== $(date -u +%FT%TZ) paper-default gclbt on $dataset, same epochs, seeds $report_seeds x 20 splits"
        # shellcheck disable=SC2086
        "$gclbt" train --method gclbt --dataset "$dataset" --epochs "$epochs" \
            --set scheduler.warmup_epochs="$warmup" --seeds $report_seeds --num-splits 20 \
            --device "$device" --data-mirror "$mirror" --no-progress --output "$default" || exit 1
    fi
done

echo "== $(date -u +%FT%TZ) table $out/results.md"
OUT="$out" EPOCHS="$epochs" DATASETS="$datasets" STORAGE="$storage" DEVICE="$device" "$python" - <<'PY'
import json, os, platform
from pathlib import Path

import optuna
import torch
import yaml

out, epochs, datasets = Path(os.environ["OUT"]), os.environ["EPOCHS"], os.environ["DATASETS"].split()
published = yaml.safe_load(Path("benchmarks/published.yaml").read_text())


def cite(method, dataset):
    entry = (published.get(method) or {}).get(dataset)
    if not entry:
        return "not published (see benchmarks/published.yaml)"
    return f"{entry['mean']:.2f} ± {entry['std']:.2f} ({entry['protocol']})"


lines = [
    "# Optuna study of gclbt: tuned vs paper-default configuration",
    "",
    f"Test accuracy (%) of the linear probe, mean ± std over model seeds x 20 random 10/10/80 splits; every run",
    f"trains {epochs} epochs (warm-up 10 %), not the recipe's 1000. The study maximised validation accuracy only.",
    "Produced by `bash benchmarks/tune_study.sh`; plots: `<study>/param_importances.png`, ...",
    f"Machine: {platform.machine()} CPU, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
    f"device {os.environ['DEVICE']} ({'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'}).",
    "",
    "| dataset | trials (complete/pruned/failed) | study wall time | best val (study) | tuned: test | "
    "paper-default: test | G-BT published | GCA published | tuned parameters |",
    "|---|---|---|---|---|---|---|---|---|",
]
for dataset in datasets:
    study = f"gclbt-{dataset}-e{epochs}"
    report_path, default_path = out / study / "report.json", out / f"default-gclbt-{dataset}-e{epochs}.json"
    if not report_path.exists() or not default_path.exists():
        lines.append(f"| {dataset} | (not run yet) | | | | | | | |")
        continue
    report, default = json.loads(report_path.read_text()), json.loads(default_path.read_text())
    t = report["trials"]
    counts = f"{t.get('COMPLETE', 0)}/{t.get('PRUNED', 0)}/{t.get('FAIL', 0)}"
    trials = optuna.load_study(study_name=study, storage=os.environ["STORAGE"]).trials
    ends = [tr.datetime_complete for tr in trials if tr.datetime_complete]
    wall = f"{(max(ends) - min(tr.datetime_start for tr in trials if tr.datetime_start)).total_seconds() / 60:.1f} min"
    params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(report["best_params"].items()))
    lines.append(
        f"| {dataset} | {counts} | {wall} | {report['best_value']:.2f} | {report['test_mean']:.2f} ± {report['test_std']:.2f} | "
        f"{default['test_mean']:.2f} ± {default['test_std']:.2f} | {cite('G-BT', dataset)} | {cite('GCA', dataset)} | "
        f"{params} |"
    )
lines += ["", "Importance plots:", ""]
lines += [f"![{d}](gclbt-{d}-e{epochs}/param_importances.png)" for d in datasets
          if (out / f"gclbt-{d}-e{epochs}" / "param_importances.png").exists()]
(out / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "== $(date -u +%FT%TZ) done"
