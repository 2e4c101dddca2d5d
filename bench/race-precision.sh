#!/usr/bin/env bash
# How tightly racing requests arrive: for bursts of 2, 16 and 64 POSTs, the spread (last arrival minus
# first) as the probe server's kernel receive timestamps of each request's final byte, over BURSTS bursts
# each, for bookrace last-byte, bookrace plain, hey and curl --parallel. Prints the median and p90.
#   bench/race-precision.sh [BURSTS] [HARNESS_THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
bursts=${1:-40}
threads=${2:-}
BOOKRACE_BENCH_DEPS=1 scripts/deps
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
port=18932
build/bookrace-probe $port >"$tmp/probe.out" &
probe=$!
trap 'kill $probe 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q listening "$tmp/probe.out" && break; sleep 0.05; done
url="http://127.0.0.1:$port"
curl -s "$url/stats" >/dev/null

spreads() { # collect one burst's spread in microseconds into $tmp/$1
  curl -s "$url/stats" | python3 -c '
import json, sys
a = json.load(sys.stdin)["arrivalsNs"]
print((max(a) - min(a)) / 1000 if len(a) > 1 else "nan")' >>"$tmp/$1"
}

summary() { # label file expected-count
  python3 - "$tmp/$2" "$1" <<'PY'
import math, statistics, sys
v = sorted(float(x) for x in open(sys.argv[1]) if x.strip() != "nan")
if not v:
    print(f"  {sys.argv[2]:28s} no bursts measured"); sys.exit()
p90 = v[min(len(v) - 1, math.ceil(0.9 * len(v)) - 1)]
print(f"  {sys.argv[2]:28s} median {statistics.median(v):9.1f} us   p90 {p90:9.1f} us   ({len(v)} bursts)")
PY
}

thread_opt=()
[ -n "$threads" ] && thread_opt=(--threads "$threads")
for n in 2 16 64; do
  echo "burst of $n POSTs:"
  for release in last-byte plain; do
    cat >"$tmp/burst.json" <<JSON
{"name": "burst", "date": "2026-12-01", "actors": {"count": $n, "lat": 0, "lng": 0},
 "steps": [{"do": "fetch_slots", "save": "s"}, {"do": "pick", "from": "s", "save": "slot"},
           {"do": "barrier", "release": "$release"}, {"do": "book", "slot": "slot"}]}
JSON
    : >"$tmp/br-$release-$n"
    for _ in $(seq "$bursts"); do
      build/bookrace run "$tmp/burst.json" --target bench/probe-target.json --base-url "$url" \
        --out "$tmp/run" --quiet "${thread_opt[@]}" >/dev/null || true
      spreads "br-$release-$n"
    done
    summary "bookrace $release" "br-$release-$n"
  done
  : >"$tmp/hey-$n"
  for _ in $(seq "$bursts"); do
    hey -n "$n" -c "$n" -m POST -T application/json -d '{}' "$url/book" >/dev/null
    spreads "hey-$n"
  done
  summary "hey -n $n -c $n" "hey-$n"
  : >"$tmp/curl-$n"
  for _ in $(seq "$bursts"); do
    curl -s --parallel --parallel-immediate --parallel-max "$n" -X POST \
      -H 'Content-Type: application/json' -d '{}' "$url/book?[1-$n]" >/dev/null 2>&1
    spreads "curl-$n"
  done
  summary "curl --parallel" "curl-$n"
done
