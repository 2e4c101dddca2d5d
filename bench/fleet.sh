#!/usr/bin/env bash
# A fleet on one machine, side by side with one run of the same load (issue 16):
#  1. one `bookrace load --url .../health --rate R` (open model) against bookd, then 4 segments of the same
#     load (--segment k/4: R/4 each, connections split) run at once, released by the starter of
#     deploy/k8s (busybox httpd + starter-go.sh) through --start-when-ready, and merged with
#     `bookrace merge`: the merged total against the single run's, as a ratio;
#  2. the start spread of the 4 segments (merge.startSpreadUs: latest minus earliest load start, wall
#     clock), for each of TRIALS fleets.
#   bench/fleet.sh [SECONDS] [RATE] [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rate=${2:-2000}
trials=${3:-3}
cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

build/bookd --listen 127.0.0.1:0 --db "$tmp/bookd.db" --threads 1 >"$tmp/bookd.out" 2>&1 &
pids+=($!)
mkdir -p "$tmp/www/cgi-bin"
cp deploy/k8s/base/starter-go.sh "$tmp/www/cgi-bin/go"
for _ in $(seq 50); do grep -q listening "$tmp/bookd.out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/bookd.out")
url="http://127.0.0.1:$port/health"
common=(--url "$url" --rate "$rate" --connections 8 --threads 1 --duration "${secs}s" --quiet)

total() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['overall']['requests'])" "$1"; }

build/bookrace load "${common[@]}" --out "$tmp/single" >/dev/null
single=$(total "$tmp/single/load.json")
echo "single run: $single requests in ${secs}s at $rate/s"
for t in $(seq "$trials"); do
  sport=$((20000 + RANDOM % 20000))
  rm -rf "$tmp/ready"
  READY_DIR="$tmp/ready" busybox httpd -f -p "127.0.0.1:$sport" -h "$tmp/www" &
  spid=$!
  pids+=($spid)
  seg_pids=()
  for k in 0 1 2 3; do
    READY_DIR="$tmp/ready" build/bookrace load "${common[@]}" --segment "$k/4" \
      --start-when-ready "http://127.0.0.1:$sport/cgi-bin/go" --start-timeout 60s --out "$tmp/t$t-seg$k" >/dev/null &
    seg_pids+=($!)
  done
  for p in "${seg_pids[@]}"; do wait "$p"; done
  kill "$spid" 2>/dev/null || true
  build/bookrace merge "$tmp"/t$t-seg*/load.json -o "$tmp/t$t-merged.json" --quiet
  python3 - "$tmp/t$t-merged.json" "$single" "$t" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
single = int(sys.argv[2])
merged = m["overall"]["requests"]
print("fleet %s: 4 segments merged: %d requests (%.4fx the single run, %+.2f%%), start spread %.3f ms" % (
    sys.argv[3], merged, merged / single, 100.0 * (merged - single) / single, m["merge"]["startSpreadUs"] / 1000))
PY
done
