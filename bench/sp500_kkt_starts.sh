#!/usr/bin/env bash
# The eight SP500 starts of the study (gaussian, lecun, pytorch, irnn × seeds
# 0, 1; m = 20) through `almkit train` with the given rollout flags, each with
# a wall-clock budget, two at a time; prints per start the train MSE, the
# one-sided ‖∇F‖∞ and the best-selection (Clarke) KKT residual at the kinks
# |u| ≤ 1e-8 from summary.json, F, the status, and the counts
# (docs/rnn_bcd.md §8, "Kink manifold"). OUTER caps the outer iterations
# (default: none beyond the time budget).
#
#   bench/sp500_kkt_starts.sh [flags for almkit train …]          (no flags: the defaults)
#   ALMKIT=build/apps/almkit BUDGET=10 bench/sp500_kkt_starts.sh --preset plain --rollout.anderson 5
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALMKIT="${ALMKIT:-$ROOT/build/apps/almkit}"
BUDGET="${BUDGET:-10}"
[ -x "$ALMKIT" ] || { echo "sp500_kkt_starts.sh: no almkit executable at $ALMKIT (build it or set ALMKIT)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/almkit_sp500_kkt.XXXXXX)"
one() {  # init seed flags…
  local init="$1" seed="$2"
  shift 2
  "$ALMKIT" train --hidden 20 --init "$init" --seed "$seed" --outer "${OUTER:-100000000}" --alm.time_limit_seconds "$BUDGET" \
    --threads 1 --out "$WORK/$init$seed" --quiet "$@" > "$WORK/$init$seed.log" 2>&1 ||
    { echo "almkit train --init $init --seed $seed failed:" >&2; tail -5 "$WORK/$init$seed.log" >&2; return 1; }
}
for init in gaussian lecun pytorch irnn; do
  one "$init" 0 "$@" &
  one "$init" 1 "$@" &
  wait
done
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
one_ok = best_ok = converged = 0
print(f"{'start':10s} {'F':>12s} {'train MSE':>12s} {'one-sided':>10s} {'best sel.':>10s} {'kinks':>6s}  status, seconds, outer")
for init in ("gaussian", "lecun", "pytorch", "irnn"):
    for seed in (0, 1):
        s = json.load(open(f"{work}/{init}{seed}/summary.json"))
        k = s["kkt_bptt_kinks"]
        one, best = k["one_sided_stationarity"], k["best_selection_stationarity"]
        one_ok += one <= 1e-4
        best_ok += best <= 1e-4
        converged += s['status'] == 'converged'
        print(f"{init + str(seed):10s} {s['objective']:12.7f} {s['train_mse']:12.5e} {one:10.2e} {best:10.2e} {k['kinks']:6d}  "
              f"{s['status']}, {s['wall_seconds']:.1f} s, {s['outer_iterations']}")
print(f"converged: {converged}/8   one-sided <= 1e-4: {one_ok}/8   best selection <= 1e-4: {best_ok}/8")
PY
rm -rf "$WORK"
