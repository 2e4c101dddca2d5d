#!/usr/bin/env bash
# How often a 16-actor same-slot race reproduces the check-then-insert double booking of
# bookd --fix A-notx --race-window-us 0, with last-byte versus plain release, and the median
# barrier skew of each (issue 3's measurement). Each release kind gets a fresh bookd and database.
#   bench/race-trials.sh [TRIALS] [HARNESS_THREADS] [BOOKD_THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-100}
harness_threads=${2:-1}
bookd_threads=${3:-2}
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill $pid 2>/dev/null || true' EXIT
for release in last-byte plain; do
  scenario=scenarios/same-slot-burst.json
  [ "$release" = plain ] && scenario=scenarios/same-slot-burst-plain.json
  build/bookd --listen 127.0.0.1:0 --db "$tmp/$release.db" --fix A-notx --race-window-us 0 \
    --threads "$bookd_threads" --clock virtual:2026-12-01T07:00:00Z >"$tmp/bookd.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$tmp/bookd.out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/bookd.out")
  build/bookrace run "$scenario" --base-url "http://127.0.0.1:$port" --repeat "$trials" \
    --threads "$harness_threads" --out "$tmp/$release" --quiet >/dev/null || true
  kill -TERM $pid; wait $pid || true; pid=
  python3 - "$tmp/$release/run.json" "$release" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
s = run["summary"]
skew = s["barrierSkew"][sys.argv[2]]
print(f'{sys.argv[2]:9s}  {s["trialsWithViolations"]:3d} of {s["trials"]} trials double-booked  '
      f'median barrier skew {skew["medianUs"]} us over {skew["barriers"]} barriers  '
      f'({run["trialsInconclusive"]} inconclusive)')
PY
done
