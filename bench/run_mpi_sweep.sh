#!/usr/bin/env bash
# bench_mpi_sweep for P = 1, 2, 4 ranks at T = 1e5 and 1e6 (m = 64, d = 11),
# one sequence (the forward pass pipelined over the ranks) and 8 sequences
# (split by sequences: the ranks run it side by side). docs/parallel.md §5.
# Usage: bench/run_mpi_sweep.sh [BUILD_DIR] [extra bench flags…]
set -euo pipefail
build="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}"
shift || true
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for T in 100000 1000000; do
  for S in 1 8; do
    for P in 1 2 4; do
      mpirun --oversubscribe -np "$P" "$build/bench/bench_mpi_sweep" --T "$T" --sequences "$S" "$@"
    done
  done
done
