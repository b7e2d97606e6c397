#!/usr/bin/env bash
# Rebuild every table and figure of the paper: run the sweeps, then every report.
#
#   scripts/reproduce_all.sh [--profile paper|smoke] [--jobs N] [--data-dir DIR] [--results-dir DIR] [--offline]
#                            [--large-data-dir DIR]
#
# --profile paper (default) is the exact protocol (3,000 runs: days on one GPU, see README);
# --profile smoke is the same code path in minutes on a CPU (11 on an idle 2-core one: 23 short runs
# on Fashion-MNIST and Fig. 3, see README, "Smoke run"); its tables and figures say that they are a
# smoke run.
# --jobs N: runs at once (default 1; smoke: 4, since a CPU run leaves cores idle in its start-up
# and evaluation). With N > 1, Fig. 3's run trains beside the sweeps.
# Fig. 3 trains one 2-D ARConvL on Fashion-MNIST; Fig. 5 runs only with --large-data-dir DIR
# (DIR holding celeba/ and inaturalist2018/, docs/large_scale_datasets.md).
# Re-running resumes: finished runs are skipped, failed ones retried. Outputs: RESULTS_DIR/PROFILE/.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=paper
jobs=
results_dir=results
sweep_args=()
fig3_args=()
large_data_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --results-dir) results_dir="$2"; shift 2 ;;
    --data-dir) sweep_args+=(--data-dir "$2"); fig3_args+=(--data-dir "$2"); shift 2 ;;
    --offline) sweep_args+=(--offline); fig3_args+=(--offline); shift ;;
    --large-data-dir) large_data_dir="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;  # the comment block above
    *) echo "reproduce_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-.venv/bin/python}
if [ ! -x "$python" ]; then
  make setup
fi
if [ -z "$jobs" ]; then
  if [ "$profile" = smoke ]; then jobs=4; else jobs=1; fi
fi
if [ "$profile" = smoke ]; then  # Fig. 3 trains as long as Table 1's smoke runs
  read -r smoke_epochs smoke_subsample < <("$python" -c 'import tomllib
smoke = tomllib.load(open("configs/table1.toml", "rb"))["profiles"]["smoke"]
print(smoke["epochs"], smoke["subsample"])')
  fig3_args+=(--epochs "$smoke_epochs" --subsample "$smoke_subsample")
fi

start=$(date +%s)
status=0
fig3() { "$python" experiments/fig3.py --out-dir "$results_dir/$profile/fig3" --quiet "${fig3_args[@]}"; }
fig3_pid=
if [ "$jobs" -gt 1 ]; then
  fig3 & fig3_pid=$!
fi
for experiment in table1 table2; do
  "$python" -m arconvl sweep "configs/$experiment.toml" --profile "$profile" --jobs "$jobs" \
    --results-dir "$results_dir" "${sweep_args[@]}" || status=1
done
# Every report in one process (python -m arconvl report NAME ... is what experiments/NAME.py runs).
"$python" -m arconvl report table1 table3 table2 table4 fig4 supp_fig1 comparison --profile "$profile" \
  --results-dir "$results_dir" || status=1
if [ -n "$fig3_pid" ]; then
  wait "$fig3_pid" || status=1
else
  fig3 || status=1
fi
if [ -n "$large_data_dir" ]; then
  "$python" -m arconvl sweep configs/fig5.toml --profile "$profile" --jobs "$jobs" --results-dir "$results_dir" \
    --data-dir "$large_data_dir" || status=1
  "$python" experiments/fig5.py --profile "$profile" --results-dir "$results_dir" || status=1
else
  echo "Fig. 5 skipped: it needs CelebA and iNaturalist 2018 (--large-data-dir DIR, see docs/large_scale_datasets.md)"
fi
echo "reproduce_all ($profile): $(( $(date +%s) - start )) s; outputs in $results_dir/$profile/"
if [ "$status" -ne 0 ]; then
  echo "some runs or reports failed; run the same command again to retry them" >&2
fi
exit "$status"
