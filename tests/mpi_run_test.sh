#!/bin/sh
# mpirun -n 4 clustersim run gives the same results.csv and run.json, byte for byte, as one process
# and as --threads 1. Usage: mpi_run_test.sh MPIEXEC CLUSTERSIM SOURCE_DIR
set -eu
mpiexec=$1 clustersim=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenario=$src/tests/data/good/sweep_streaming.yaml
export CLUSTERSIM_MODELS="$src/models"
"$clustersim" run "$scenario" -q -o "$work/one" >/dev/null
"$clustersim" run "$scenario" -q --threads 1 -o "$work/t1" >/dev/null
# Open MPI refuses root without these, and 4 ranks on 2 cores needs oversubscription (other MPIs
# ignore them).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# An MPI that cannot start processes here (a container without shared memory, say) is the
# machine's problem, not clustersim's: skip (ctest's SKIP_RETURN_CODE) and say why.
if ! "$mpiexec" -n 2 true >"$work/probe.log" 2>&1; then
  echo "skipped: '$mpiexec -n 2 true' fails on this machine:" >&2
  tail -5 "$work/probe.log" >&2
  exit 77
fi
"$mpiexec" -n 4 "$clustersim" run "$scenario" -q -o "$work/mpi"
for f in results.csv run.json; do
  cmp "$work/one/$f" "$work/t1/$f"
  cmp "$work/one/$f" "$work/mpi/$f"
done
[ ! -e "$work/mpi/shard-1-of-4" ] || { echo "shard folders left behind" >&2; exit 1; }
echo "mpirun -n 4: $(($(wc -l < "$work/mpi/results.csv") - 1)) rows, byte-identical to one process"
