#!/usr/bin/env bash
# `mpirun -np P almkit train …` against the same command on one process
# (docs/parallel.md §6): train MSE, test MSE, both violations, the objective,
# every weight and every test prediction within 1e-10 relative; and a second
# run on P ranks equal to the first bit for bit. Usage:
#   mpi_train_test.sh ALMKIT MPIRUN P DATASET [extra train flags…]
# DATASET: sp500 (the default data) or sequences (3 training sequences of 40
# steps, written here). P ranks on this machine's cores need --oversubscribe.
set -euo pipefail
almkit="$1" mpirun="$2" np="$3" dataset="$4"
shift 4
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
python=/usr/bin/python3
[ -x "$python" ] || python=python3
data=()
if [ "$dataset" = sequences ]; then
  "$python" - "$work/seq.csv" <<'PY'
import random, sys
random.seed(9)
rows = ["seq,x1,x2,y"]
for s in range(4):
    h1 = h2 = 0.0
    for t in range(40):
        x1, x2 = random.uniform(-1, 1), random.uniform(-1, 1)
        h1, h2 = max(0.0, 0.5 * h1 - 0.3 * h2 + x1), max(0.0, 0.2 * h1 + 0.4 * h2 + x2 - 0.1)
        rows.append(f"s{s},{x1:.6f},{x2:.6f},{h1 - h2 + 0.01 * random.uniform(-1, 1):.6f}")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
  data=(--data "$work/seq.csv" --sequence-column seq --train-fraction 0.75 --hidden 8)
fi
# The same flags on one process: a distributed run executes the same method
# (the default time-parallel policy, --preset plain, the reference policy).
"$almkit" train "${data[@]}" "$@" --quiet --no-plots --out "$work/one" > "$work/one.log"
"$mpirun" --oversubscribe -np "$np" "$almkit" train "${data[@]}" "$@" --quiet --no-plots --out "$work/many" > "$work/many.log" 2>&1 || {
  cat "$work/many.log"; exit 1; }
# The same P again: the same bits (sums over a fixed tree, docs/parallel.md §3).
"$mpirun" --oversubscribe -np "$np" "$almkit" train "${data[@]}" "$@" --quiet --no-plots --out "$work/again" > "$work/again.log" 2>&1 || {
  cat "$work/again.log"; exit 1; }
cmp <(cut -d, -f1,3- "$work/many/history.csv") <(cut -d, -f1,3- "$work/again/history.csv") || {
  echo "FAIL: two runs on $np ranks differ (history.csv)"; exit 1; }
"$python" - "$work/many" "$work/again" <<'PY'
import json, sys
a, b = (json.load(open(d + "/model.json"))["weights"] for d in sys.argv[1:3])
if a != b:
    sys.exit("FAIL: two runs on the same number of ranks give different weights")
print("same ranks twice: weights and history bit for bit equal")
PY
"$python" - "$work/one" "$work/many" "$np" <<'PY'
import json, math, sys
one, many, np = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(d):
    s = json.load(open(d + "/summary.json"))
    w = json.load(open(d + "/model.json"))["weights"]
    flat = []
    def walk(v):
        if isinstance(v, list):
            for e in v: walk(e)
        else:
            flat.append(float(v))
    for k in sorted(w): walk(w[k])
    return s, flat
s1, w1 = load(one)
sp, wp = load(many)
assert sp["distributed"]["ranks"] == np, sp["distributed"]
worst = 0.0
for key in ["train_mse", "test_mse", "violation_c1", "violation_c2", "objective"]:
    a, b = sp[key], s1[key]
    r = abs(a - b) / max(1e-300, abs(b))
    print(f"{key}: one process {b:.17g}, {np} ranks {a:.17g}, relative {r:.2e}")
    worst = max(worst, r)
num = math.sqrt(sum((a - b) ** 2 for a, b in zip(wp, w1)))
den = math.sqrt(sum(b * b for b in w1))
print(f"weights ({len(w1)}): relative {num / den:.2e}")
worst = max(worst, num / den)
assert len(wp) == len(w1)
# predictions.csv (written by rank 0 from the distributed run's last state with --test-continue)
import csv
def preds(d):
    rows = list(csv.DictReader(open(d + "/predictions.csv")))
    return [float(r[k]) for r in rows for k in r if k.startswith("prediction")]
p1, pp = preds(one), preds(many)
assert len(p1) == len(pp) and p1, "predictions.csv differ in length"
num = math.sqrt(sum((a - b) ** 2 for a, b in zip(pp, p1)))
den = math.sqrt(sum(b * b for b in p1))
print(f"predictions ({len(p1)}): relative {num / den:.2e}")
worst = max(worst, num / den)
assert sp["outer_iterations"] == s1["outer_iterations"] and sp["sweeps"] == s1["sweeps"]
if not worst <= 1e-10:
    sys.exit(f"FAIL: largest relative difference {worst:.2e} > 1e-10")
print(f"ok: largest relative difference {worst:.2e}")
PY
