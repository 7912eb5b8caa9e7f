#!/usr/bin/env bash
# Time-parallel training on 1, 2 and 3 MPI ranks (docs/parallel.md §8): the
# output of tests/mpi_shooting_main.cpp (F, ‖∇F‖∞ and every weight with 17
# digits, both methods) must be the same bytes for every number of ranks.
#   mpi_shooting_test.sh PROGRAM MPIRUN
set -euo pipefail
program="$1" mpirun="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
for np in 1 2 3; do
  "$mpirun" --oversubscribe -np "$np" "$program" > "$work/np$np.txt"
done
head -1 "$work/np1.txt"
[ "$(wc -l < "$work/np1.txt")" -gt 40 ] || { echo "mpi_shooting_test: too little output" >&2; exit 1; }
for np in 2 3; do
  if ! cmp -s "$work/np1.txt" "$work/np$np.txt"; then
    echo "mpi_shooting_test: $np ranks differ from 1 rank:" >&2
    diff "$work/np1.txt" "$work/np$np.txt" | head -5 >&2
    exit 1
  fi
done
echo "mpi_shooting_test: 1, 2 and 3 ranks print the same bits"
