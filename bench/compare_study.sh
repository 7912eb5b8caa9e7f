#!/usr/bin/env bash
# Small comparison study (docs/compare.md): ALM variants against gradient
# baselines on five data sets, written to docs/results.md with plots in
# docs/results/. Rerunning regenerates both. About 30 minutes on 2 cores with
# the defaults (5 data sets × 8 methods × 4 inits × 2 seeds, 5 s per run plus
# the learning-rate tuning of the gradient methods).
#
#   bench/compare_study.sh [path/to/almkit]                   (default: build/apps/almkit)
#   BUDGET=5 SEEDS=2 INITS=gaussian,he bench/compare_study.sh  (seconds per run, seeds, inits)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALMKIT="${1:-$ROOT/build/apps/almkit}"
BUDGET="${BUDGET:-5}"
SEEDS="${SEEDS:-2}"
INITS="${INITS:-gaussian,he,glorot,lecun}"
METHODS="${METHODS:-alm-bcd,alm-lbfgs,gd,momentum,sgd,adam,rmsprop,lbfgs}"
WORK="$(mktemp -d /tmp/almkit_compare_study.XXXXXX)"
DOC="$ROOT/docs/results.md"
FIG="$ROOT/docs/results"
[ -x "$ALMKIT" ] || { echo "compare_study.sh: no almkit executable at $ALMKIT (build it or pass its path)" >&2; exit 2; }
mkdir -p "$FIG"

# Synthetic teacher–student sets (DESIGN §5): a random teacher ReLU RNN with
# weights N(0, 0.05²), inputs U(−1, 1), p outputs y1..yp, each with noise of
# 1 % of its standard deviation; seeded, so the files are the same on every run.
# Arguments: file, m, d, p, T, seed.
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
teacher "$WORK/teacher_small.csv" 20 20 10 100 2024
teacher "$WORK/teacher_large.csv" 50 10 1 2000 2025
TARGETS10="y1,y2,y3,y4,y5,y6,y7,y8,y9,y10"

run() {  # name, title, compare arguments...
  local name="$1" title="$2"
  shift 2
  echo "== $title" >&2
  "$ALMKIT" compare "$@" --methods "$METHODS" --inits "$INITS" --seeds "$SEEDS" --budget-seconds "$BUDGET" --out "$WORK/$name" >&2
  cp "$WORK/$name/mse_vs_time.png" "$FIG/${name}_mse_vs_time.png" 2>/dev/null || true
  cp "$WORK/$name/predictions.png" "$FIG/${name}_predictions.png" 2>/dev/null || true
  cp "$WORK/$name/results.csv" "$FIG/${name}_results.csv"
  cp "$WORK/$name/curves.csv" "$FIG/${name}_curves.csv"
}

START=$(date +%s)
run sp500 "S&P 500 realized volatility (data/clean_SP500.csv, m = 20)" --hidden 20
run teacher_small "Synthetic teacher–student (m = 20, d = 20, p = 10, T = 100)" --data "$WORK/teacher_small.csv" \
  --target "$TARGETS10" --scaling standardize --hidden 20
run teacher_large "Synthetic teacher–student (m = 50, d = 10, p = 1, T = 2000)" --data "$WORK/teacher_large.csv" \
  --target y1 --scaling standardize --hidden 50
run airpassengers_m10 "Air passengers, univariate (m = 10)" \
  --data "$ROOT/data/airpassengers.csv" --univariate passengers_thousands --scaling minmax --train-fraction 0.8 --hidden 10
run airpassengers_m50 "Air passengers, univariate (m = 50)" \
  --data "$ROOT/data/airpassengers.csv" --univariate passengers_thousands --scaling minmax --train-fraction 0.8 --hidden 50
END=$(date +%s)

# Summary per data set: best ALM-BCD run, best gradient run, and the ratio of
# their times to reach the same train MSE (1.1 × the worse of the two bests).
summary() {
  python3 - "$FIG/$1_results.csv" "$FIG/$1_curves.csv" <<'PY'
import csv, sys
res = list(csv.DictReader(open(sys.argv[1])))
cur = list(csv.DictReader(open(sys.argv[2])))
f = lambda s: float(s) if s not in ("", None) else float("inf")
alm = [r for r in res if r["method"] == "alm-bcd" and r["status"] != "diverged"]
grad = [r for r in res if not r["method"].startswith("alm-") and r["status"] != "diverged"]
if not alm or not grad:
    print("(no alm-bcd or no converging gradient run)"); sys.exit()
a = min(alm, key=lambda r: f(r["train_mse"])); g = min(grad, key=lambda r: f(r["train_mse"]))
target = 1.1 * max(f(a["train_mse"]), f(g["train_mse"]))
def ttt(r):
    for p in cur:
        if (p["method"], p["init"], p["seed"]) == (r["method"], r["init"], r["seed"]) and f(p["train_mse"]) <= target:
            return float(p["seconds"])
    return float("inf")
ta, tg = ttt(a), ttt(g)
ratio = (ta / tg) if tg > 0 and tg != float("inf") else float("nan")
print(f"- ALM-BCD best ({a['init']} init, seed {a['seed']}): train MSE {f(a['train_mse']):.4g}, test MSE {f(a['test_mse']):.4g}; "
      f"best gradient method {g['method']} ({g['init']} init, seed {g['seed']}, lr {g['learning_rate'] or '—'}): "
      f"train MSE {f(g['train_mse']):.4g}, test MSE {f(g['test_mse']):.4g}.")
print(f"- Time to reach train MSE {target:.4g} (1.1 × the worse of the two bests): ALM-BCD {ta:.3g} s, "
      f"{g['method']} {tg:.3g} s, ratio ALM-BCD / {g['method']} = {ratio:.3g}.")
PY
}

{
  echo "# Comparison study: ALM against gradient baselines"
  echo
  echo "Generated by \`bench/compare_study.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'));"
  echo "machine: $(uname -sm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || echo '?')."
  echo "Budget ${BUDGET} s of wall time per run, seeds 0..$((SEEDS - 1)) of every initialization in ${INITS} (gaussian: std 1e-3, as \`almkit train\`),"
  echo "methods ${METHODS}; the study took $((END - START)) s. Machine load from other work on the same cores"
  echo "affects wall times; rerun the script to regenerate this file. Protocol: docs/compare.md."
  for spec in "sp500|S&P 500 realized volatility (data/clean_SP500.csv, m = 20)" \
              "teacher_small|Synthetic teacher–student (DESIGN §5; teacher and student m = 20, d = 20, p = 10, T = 100, standardized)" \
              "teacher_large|Synthetic teacher–student (DESIGN §5; teacher and student m = 50, d = 10, p = 1, T = 2000, standardized)" \
              "airpassengers_m10|Air passengers, univariate (data/airpassengers.csv, min–max, 80/20, m = 10)" \
              "airpassengers_m50|Air passengers, univariate (data/airpassengers.csv, min–max, 80/20, m = 50)"; do
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
