#!/usr/bin/env bash
# Comparison study (docs/compare.md, docs/rnn_bcd.md §8): ALM-BCD (pure), the
# hybrid alm-bcd+lbfgs and the reference policy against gradient baselines on
# four data sets, written to docs/results.md with plots in docs/results/.
# Rerunning regenerates both. Defaults: 10 s per run, 4 starts × 2 seeds,
# 7 methods, two data sets at a time (PARALLEL=2) — about 30 minutes on 2 cores.
#
#   bench/compare_study.sh [path/to/almkit]                   (default: build/apps/almkit)
#   BUDGET=10 SEEDS=2 INITS=gaussian,lecun PARALLEL=1 bench/compare_study.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALMKIT="${1:-$ROOT/build/apps/almkit}"
BUDGET="${BUDGET:-10}"
SEEDS="${SEEDS:-2}"
INITS="${INITS:-gaussian,lecun,pytorch,irnn}"
METHODS="${METHODS:-alm-bcd,alm-bcd-plain,alm-bcd+lbfgs,alm-bcd-reference,gd,adam,lbfgs}"
PARALLEL="${PARALLEL:-2}"
WORK="$(mktemp -d /tmp/almkit_compare_study.XXXXXX)"
DOC="$ROOT/docs/results.md"
FIG="$ROOT/docs/results"
[ -x "$ALMKIT" ] || { echo "compare_study.sh: no almkit executable at $ALMKIT (build it or pass its path)" >&2; exit 2; }
mkdir -p "$FIG"

teacher() {
python3 - "$@" <<'PY'
import math, random, sys
path, m, d, p, T, seed = sys.argv[1], *map(int, sys.argv[2:7])
rng = random.Random(seed)
g = lambda: rng.gauss(0.0, 0.05)
W = [[g() for _ in range(m)] for _ in range(m)]
V = [[g() for _ in range(d)] for _ in range(m)]
b = [g() for _ in range(m)]
A = [[g() for _ in range(m)] for _ in range(p)]
c = [g() for _ in range(p)]
h = [0.0] * m
rows, ys = [], []
for t in range(T):
    x = [rng.uniform(-1, 1) for _ in range(d)]
    h = [max(0.0, sum(W[i][j] * h[j] for j in range(m)) + sum(V[i][k] * x[k] for k in range(d)) + b[i]) for i in range(m)]
    ys.append([sum(A[l][i] * h[i] for i in range(m)) + c[l] for l in range(p)])
    rows.append(x)
sd = []
for l in range(p):
    mean = sum(y[l] for y in ys) / T
    sd.append(math.sqrt(sum((y[l] - mean) ** 2 for y in ys) / T))
with open(path, "w") as f:
    f.write(",".join([f"x{k + 1}" for k in range(d)] + [f"y{l + 1}" for l in range(p)]) + "\n")
    for x, y in zip(rows, ys):
        noisy = [y[l] + rng.gauss(0.0, 0.01 * sd[l]) for l in range(p)]
        f.write(",".join(f"{v:.17g}" for v in x + noisy) + "\n")
PY
}
teacher "$WORK/teacher_large.csv" 50 10 1 2000 2025

run() {  # name, title, compare arguments...
  local name="$1" title="$2"
  shift 2
  echo "== $title" >&2
  "$ALMKIT" compare "$@" --methods "$METHODS" --inits "$INITS" --seeds "$SEEDS" --budget-seconds "$BUDGET" \
    --out "$WORK/$name" --quiet > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; return 1; }
  cp "$WORK/$name/mse_vs_time.png" "$FIG/${name}_mse_vs_time.png" 2>/dev/null || true
  cp "$WORK/$name/predictions.png" "$FIG/${name}_predictions.png" 2>/dev/null || true
  cp "$WORK/$name/results.csv" "$FIG/${name}_results.csv"
  cp "$WORK/$name/curves.csv" "$FIG/${name}_curves.csv"
}

START=$(date +%s)
SETS=(
  "sp500|--hidden 20"
  "sunspot_month|--data $ROOT/data/sunspot_month.csv --univariate sunspots --scaling minmax --train-fraction 0.8 --hidden 50"
  "teacher_large|--data $WORK/teacher_large.csv --target y1 --scaling standardize --hidden 50"
  "airpassengers_m10|--data $ROOT/data/airpassengers.csv --univariate passengers_thousands --scaling minmax --train-fraction 0.8 --hidden 10"
)
pids=()
for spec in "${SETS[@]}"; do
  name="${spec%%|*}"; args="${spec#*|}"
  # shellcheck disable=SC2086
  run "$name" "$name" $args &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do sleep 1; done
done
for p in "${pids[@]}"; do wait "$p"; done
END=$(date +%s)

# Summary per data set, ranked by the objective F every method minimizes
# (docs/compare.md "Ranking by F"): each ALM-BCD variant's median F against the
# gradient method with the lowest median F (the ratio), its median train MSE
# beside it, and the KKT counts.
summary() {
  python3 - "$FIG/$1_results.csv" <<'PY'
import csv, math, statistics, sys
res = list(csv.DictReader(open(sys.argv[1])))
f = lambda s: float(s) if s not in ("", None) else float("inf")
ok = lambda r: r["status"] != "diverged"
def med(method, column="objective"):
    v = [f(r[column]) for r in res if r["method"] == method and ok(r)]
    return statistics.median(v) if v else float("inf")
grad = sorted({r["method"] for r in res if not r["method"].startswith("alm-")}, key=med)
best = grad[0] if grad else None
for m in ("alm-bcd", "alm-bcd-plain", "alm-bcd+lbfgs"):
    runs = [r for r in res if r["method"] == m]
    if not runs or best is None:
        continue
    kkt = [f(r["kkt_stationarity"]) for r in runs if ok(r)]
    clarke = [f(r["kkt_clarke"]) for r in runs if ok(r)]
    nonfinite = [r for r in runs if r["status"] == "diverged" and r.get("start_explodes", "false") != "true"]
    ratio = med(m) / med(best) if med(best) > 0 else float("nan")
    print(f"- **{m}**: median F {med(m):.6g} = {ratio:.6g} × the best gradient method's ({best}, {med(best):.6g}); "
          f"median train MSE {med(m, 'train_mse'):.4g} ({best}: {med(best, 'train_mse'):.4g}); "
          f"‖∇F‖∞ ≤ 1e-4 in {sum(k <= 1e-4 for k in kkt)}/{len(runs)} runs (median {statistics.median(kkt) if kkt else float('nan'):.3g}), "
          f"Clarke KKT ≤ 1e-4 in {sum(k <= 1e-4 for k in clarke)}/{len(runs)} (median {statistics.median(clarke) if clarke else float('nan'):.3g}); "
          f"non-finite rollouts from starts that do not explode at θ0: {len(nonfinite)}.")
counts = []
for g in sorted(grad):
    runs = [r for r in res if r["method"] == g]
    kkt = [f(r["kkt_stationarity"]) for r in runs if ok(r)]
    clarke = [f(r["kkt_clarke"]) for r in runs if ok(r)]
    counts.append(f"{g} {sum(k <= 1e-4 for k in kkt)}/{len(runs)} and {sum(k <= 1e-4 for k in clarke)}/{len(runs)}")
if counts:
    print(f"- gradient methods, ‖∇F‖∞ ≤ 1e-4 and Clarke KKT ≤ 1e-4: {'; '.join(counts)}.")
PY
}

{
  echo "# Comparison study: ALM-BCD against gradient baselines"
  echo
  echo "Generated by \`bench/compare_study.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'));"
  echo "machine: $(uname -sm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo '?')."
  echo "Budget ${BUDGET} s of wall time per run, seeds 0..$((SEEDS - 1)) of every initialization in ${INITS} (gaussian: std 1e-3, as \`almkit train\`),"
  echo "methods ${METHODS}; the study took $((END - START)) s. Machine load from other work on the same cores"
  echo "affects wall times; rerun the script to regenerate this file. Protocol: docs/compare.md."
  for spec in "sp500|S&P 500 realized volatility (data/clean_SP500.csv, m = 20)" \
              "sunspot_month|Monthly sunspots, univariate (data/sunspot_month.csv, min–max, 80/20, m = 50)" \
              "teacher_large|Synthetic teacher–student (docs/rnn.md §6; teacher and student m = 50, d = 10, p = 1, T = 2000, standardized)" \
              "airpassengers_m10|Air passengers, univariate (data/airpassengers.csv, min–max, 80/20, m = 10)"; do
    name="${spec%%|*}"; title="${spec#*|}"
    echo
    echo "## $title"
    echo
    summary "$name"
    echo
    sed -e '1,2d' -e '/^Files:/d' -e "s|$WORK/\(teacher_[a-z]*\.csv\)|\1 (generated by this script)|" -e "s|$ROOT/||g" "$WORK/$name/results.md"
    echo
    [ -f "$FIG/${name}_mse_vs_time.png" ] && echo "![train MSE against time](results/${name}_mse_vs_time.png)"
    [ -f "$FIG/${name}_predictions.png" ] && echo "![test predictions](results/${name}_predictions.png)"
    echo
    echo "Raw tables: [results.csv](results/${name}_results.csv), [curves.csv](results/${name}_curves.csv)."
  done
} > "$DOC.tmp"
mv "$DOC.tmp" "$DOC"
rm -rf "$WORK"
echo "wrote $DOC and $FIG/" >&2
