#!/usr/bin/env bash
# The default `almkit train` on every shipped series against the forecast
# baselines it reports (docs/rnn.md §9): test MSE of the RNN, persistence,
# AR(p) and ridge, in the same scaled units, with the run's status and time.
# SP500 runs as `almkit train` does with no flags; the univariate series with
# --univariate COL --scaling standardize. Extra flags go to every run.
#
#   bench/forecast_baselines.sh [flags for almkit train …]
#   ALMKIT=build/apps/almkit LIMIT=60 bench/forecast_baselines.sh --lambda auto
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALMKIT="${ALMKIT:-$ROOT/build/apps/almkit}"
LIMIT="${LIMIT:-60}"   # seconds per run (alm.time_limit_seconds)
[ -x "$ALMKIT" ] || { echo "forecast_baselines.sh: no almkit executable at $ALMKIT (build it or set ALMKIT)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/almkit_forecast.XXXXXX)"
run() {  # name, flags…
  local name="$1"
  shift
  "$ALMKIT" train --alm.time_limit_seconds "$LIMIT" --out "$WORK/$name" --quiet --no-plots "$@" > "$WORK/$name.log" 2>&1 ||
    { echo "almkit train ($name) failed:" >&2; tail -5 "$WORK/$name.log" >&2; return 1; }
}
run sp500 "$@"
run airpassengers --data "$ROOT/data/airpassengers.csv" --univariate passengers_thousands --scaling standardize "$@"
run sunspots_yearly --data "$ROOT/data/sunspots_yearly.csv" --univariate sunspots --scaling standardize "$@"
run elnino --data "$ROOT/data/elnino_nino12_sst.csv" --univariate sst_celsius --scaling standardize "$@"
run sunspot_month --data "$ROOT/data/sunspot_month.csv" --univariate sunspots --scaling standardize "$@"
run treering --data "$ROOT/data/treering.csv" --univariate ring_width --scaling standardize "$@"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
print(f"{'series':16s} {'RNN':>9s} {'persist.':>9s} {'AR(p)':>12s} {'ridge':>9s}  status, seconds")
for name in ("sp500", "airpassengers", "sunspots_yearly", "elnino", "sunspot_month", "treering"):
    s = json.load(open(f"{work}/{name}/summary.json"))
    b = s["baselines"]
    ar = f"{b['ar']['test_mse']:.4f} ({b['ar']['order']})"
    print(f"{name:16s} {s['test_mse']:9.4f} {b['persistence']['test_mse']:9.4f} {ar:>12s} "
          f"{b['ridge']['test_mse']:9.4f}  {s['status']}, {s['wall_seconds']:.1f} s")
PY
rm -rf "$WORK"
