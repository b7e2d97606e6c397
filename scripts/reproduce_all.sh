#!/usr/bin/env bash
# Rebuild every table and figure of the paper: run the sweeps, then every report.
#
#   scripts/reproduce_all.sh [--profile paper|smoke] [--jobs N] [--data-dir DIR] [--results-dir DIR] [--offline]
#
# --profile paper (default) is the exact protocol (3,000 runs: days on one GPU, see README);
# --profile smoke is the same code path, small enough for a 2-core CPU in minutes.
# Re-running resumes: finished runs are skipped, failed ones retried. Outputs: RESULTS_DIR/PROFILE/.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=paper
jobs=1
results_dir=results
sweep_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --results-dir) results_dir="$2"; shift 2 ;;
    --data-dir) sweep_args+=(--data-dir "$2"); shift 2 ;;
    --offline) sweep_args+=(--offline); shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "reproduce_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-.venv/bin/python}
if [ ! -x "$python" ]; then
  make setup
fi

start=$(date +%s)
status=0
for experiment in table1 table2; do
  "$python" -m arconvl sweep "configs/$experiment.toml" --profile "$profile" --jobs "$jobs" \
    --results-dir "$results_dir" "${sweep_args[@]}" || status=1
done
for report in table1 table3 table2 table4 fig4 supp_fig1 comparison; do
  "$python" "experiments/$report.py" --profile "$profile" --results-dir "$results_dir" || status=1
done
echo "reproduce_all ($profile): $(( $(date +%s) - start )) s; outputs in $results_dir/$profile/"
if [ "$status" -ne 0 ]; then
  echo "some runs or reports failed; run the same command again to retry them" >&2
fi
exit "$status"
