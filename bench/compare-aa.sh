#!/usr/bin/env bash
# Does `bookrace compare` cry wolf on this machine, and does it catch real regressions? (issue 12)
# Three bookd processes serve GET /health: A (the release: --delay-us BASE_DELAY of work per request, so
# bookd and not the load generator is the bottleneck), R10 (A slowed so that throughput falls 10%) and
# R25 (A slowed so that the closed-model p99 rises 25%; throughput falls too). The extra delays are
# calibrated from A's own throughput in this run: service s = 1/rate, R10 adds s/9, R25 adds s/4.
# Each of PAIRS comparisons runs four arms, A1, R10, A2 and R25, interleaved: ROUNDS rounds of one short
# run per arm (SECONDS each after a 0.5 s warmup; the order alternates between rounds), so the machine's
# drift (other sessions' builds) hits every arm alike. Then bench/compare-aa-summary.py judges, with the
# runs of each arm as one side: A1 vs A2 (a false alarm: compare exits non-zero), A1 vs R10 and A2 vs
# R25 (caught: compare exits 6; the table also says whether "all req/s", resp. "get p99", was the metric
# flagged), at LIMIT and at 0, 3 and 10%. For contrast it counts the single-number rule compare used
# before (one run a side, any of throughput, p50, p90, p99 worse than LIMIT). Runs are kept with KEEP=1.
#   bench/compare-aa.sh [PAIRS] [SECONDS] [LIMIT%] [ROUNDS]   (defaults 20 2 5 3: about 12 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-20}
secs=${2:-2}
limit=${3:-5}
rounds=${4:-3}
base_delay=${BASE_DELAY:-30}
[ -x build/bookrace ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null; }
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
# Copies of the binaries: a rebuild during the bench must not swap them under it.
cp build/bookrace build/bookd "$tmp/"

start_bookd() { # NAME DELAY_US
  "$tmp/bookd" --listen 127.0.0.1:0 --db ":memory:" --threads 1 --delay-us "$2" >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$tmp/$1.out" && break; sleep 0.05; done
  sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/$1.out" >"$tmp/$1.port"
}

load() { # BOOKD OUT
  "$tmp/bookrace" load --url "http://127.0.0.1:$(cat "$tmp/$1.port")/health" --connections 16 --threads 1 \
    --duration "${secs}s" --warmup 0.5s --no-oracle --quiet --out "$2" >/dev/null
}

start_bookd A "$base_delay"
load A "$tmp/cal1"
load A "$tmp/cal2"
load A "$tmp/cal3"
read -r d10 d25 < <(python3 - "$tmp" "$base_delay" <<'PY'
import json, sys
t, base = sys.argv[1], float(sys.argv[2])
rate = sorted(json.load(open("%s/%s/load.json" % (t, c)))["overall"]["throughputPerSecond"] for c in ("cal1", "cal2", "cal3"))[1]
s = 1e6 / rate
print(round(base + s / 9), round(base + s / 4))
PY
)
echo "A: --delay-us $base_delay; R10: --delay-us $d10; R25: --delay-us $d25 (calibrated in this run)"
start_bookd R10 "$d10"
start_bookd R25 "$d25"

for i in $(seq "$pairs"); do
  d="$tmp/p$i"
  for k in $(seq "$rounds"); do
    if [ $(((i + k) % 2)) = 0 ]; then order="A:a1 R10:r10 A:a2 R25:r25"; else order="R25:r25 A:a2 R10:r10 A:a1"; fi
    for arm in $order; do
      mkdir -p "$d/${arm##*:}"
      load "${arm%%:*}" "$d/${arm##*:}/$k"
    done
  done
  echo "pair $i done"
done
bench/compare-aa-summary.py "$tmp" "$pairs" "$limit" "$tmp/bookrace"
