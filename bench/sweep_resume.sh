#!/bin/sh
# The 10,000-row sweep of issue 8, end to end: an uninterrupted run, a run killed halfway (kill -9)
# and resumed with --resume, a run with --threads 1, and (when mpirun is there) mpirun -n 4; every
# results.csv and run.json must be the same bytes. Prints the times. Usage (from the repository root,
# after make build-release): bench/sweep_resume.sh [CLUSTERSIM]
set -eu
bin=${1:-build/release/sim/app/clustersim}
scenario=scenarios/sweep-910c-design-space.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }

t=$(now); "$bin" run "$scenario" -q -o "$work/whole" >/dev/null
echo "uninterrupted: $(since "$t") s for $(($(wc -l < "$work/whole/results.csv") - 1)) rows"

"$bin" run "$scenario" -q -o "$work/killed" >/dev/null &
pid=$!
# Kill it once about half of the rows are on disk.
while [ ! -f "$work/killed/results.csv.partial" ] || [ "$(wc -l < "$work/killed/results.csv.partial")" -lt 5000 ]; do sleep 0.1; done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
echo "killed with $(($(wc -l < "$work/killed/results.csv.partial") - 1)) rows in results.csv.partial"
t=$(now); "$bin" run "$scenario" -q -o "$work/killed" --resume >/dev/null
echo "resumed: $(since "$t") s"

t=$(now); "$bin" run "$scenario" -q --threads 1 -o "$work/t1" >/dev/null
echo "--threads 1: $(since "$t") s"
dirs="killed t1"
if command -v mpirun >/dev/null 2>&1; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  t=$(now); mpirun -n 4 "$bin" run "$scenario" -q -o "$work/mpi" >/dev/null
  echo "mpirun -n 4: $(since "$t") s"
  dirs="$dirs mpi"
fi
for d in $dirs; do
  cmp "$work/whole/results.csv" "$work/$d/results.csv"
  cmp "$work/whole/run.json" "$work/$d/run.json"
done
echo "byte-identical: uninterrupted = $dirs"
