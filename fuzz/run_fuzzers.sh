#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang-14 and runs each for a
# given time (CONTRIBUTING.md "Fuzzing").
#   fuzz/run_fuzzers.sh [SECONDS_PER_HARNESS] [HARNESS...]
# Default: 60 s each for fuzz_csv, fuzz_model_json, fuzz_verify_json, one
# after the other, one process each. Seeds: the CSVs of data/ (their first 40
# lines), tests/data/*.json and fuzz/seeds/. The grown corpus goes to
# $ALMKIT_FUZZ_DIR/corpus/<harness> (default build-fuzz/), crashes to
# $ALMKIT_FUZZ_DIR/artifacts/; a summary line per harness to
# $ALMKIT_FUZZ_DIR/summary.txt. Exit code 1 when a harness found a crash.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(fuzz_csv fuzz_model_json fuzz_verify_json)
work="${ALMKIT_FUZZ_DIR:-$root/build-fuzz}"
cxx="${ALMKIT_FUZZ_CXX:-clang++-14}"
command -v "$cxx" >/dev/null || { echo "run_fuzzers: $cxx not found (apt-get install clang-14 libfuzzer-14-dev)" >&2; exit 2; }

cmake -S "$root/fuzz" -B "$work" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work" -j"${ALMKIT_JOBS:-2}" --target "${harnesses[@]}"

# Seed corpora (rebuilt every run; the grown corpus is kept).
seeds="$work/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/fuzz_csv" "$seeds/fuzz_model_json" "$seeds/fuzz_verify_json" "$work/artifacts"
for f in "$root"/data/*.csv; do head -n 40 "$f" >"$seeds/fuzz_csv/$(basename "$f")"; done
cp "$root"/fuzz/seeds/csv/*.csv "$seeds/fuzz_csv/" 2>/dev/null || true
for f in "$root"/tests/data/*.json "$root"/fuzz/seeds/model/*.json; do [ -f "$f" ] && cp "$f" "$seeds/fuzz_model_json/"; done
# verify: two length bytes (n mod 8, m mod 4) before the JSON text.
for f in "$root"/fuzz/seeds/verify/*.json; do
  [ -f "$f" ] || continue
  { printf '\002\001'; cat "$f"; } >"$seeds/fuzz_verify_json/$(basename "$f")"
done

found=0
for h in "${harnesses[@]}"; do
  corpus="$work/corpus/$h"
  mkdir -p "$corpus"
  log="$work/$h.log"
  echo "run_fuzzers: $h for $seconds s (log $log)"
  set +e
  "$work/$h" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$work/artifacts/$h-" "$corpus" "$seeds/$h" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  crashes=$(find "$work/artifacts" -name "$h-*" 2>/dev/null | wc -l)
  line="$(date -u +%FT%TZ) $h seconds=$seconds executions=$execs coverage=$cov exit=$rc artifacts=$crashes"
  echo "$line" | tee -a "$work/summary.txt"
  if [ "$rc" -ne 0 ]; then found=1; fi
done
exit $found
