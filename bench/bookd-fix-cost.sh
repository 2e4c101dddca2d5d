#!/usr/bin/env bash
# bookd's own performance, measured with wrk in one run on this machine:
#  - POST /inspection/book-job throughput and p99 for each fix mode (every request books a fresh slot:
#    bench/book-job.lua), and the cost of the fix as the ratio A+C / none;
#  - GET /schedule/optimal-slots throughput and p99 for each slot-cache mode.
# bookd runs one event-loop thread; wrk gets the other core.
#   bench/bookd-fix-cost.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
BOOKRACE_BENCH_DEPS=1 scripts/deps
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

start_bookd() { # extra flags...
  rm -f "$tmp"/b.db*
  build/bookd --listen 127.0.0.1:0 --db "$tmp/b.db" --threads 1 "$@" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$tmp/out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/out")
}
stop_bookd() { kill -TERM $pid; wait $pid || true; pid=""; }
measure() { # label, wrk args...
  local label=$1; shift
  wrk --latency -t1 -c"$connections" -d"${duration}s" "$@" >"$tmp/wrk" 2>&1
  local rps p99 codes
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
  codes=$(grep -E "Non-2xx|Socket errors" "$tmp/wrk" | tr -s ' ' | tr '\n' ' ' || true)
  printf '  %-22s %10s req/s   p99 %8s   %s\n' "$label" "$rps" "$p99" "${codes:-all 2xx}"
  last_rps=$rps
}

echo "POST /inspection/book-job (a fresh slot per request), by fix mode:"
declare -A book
for fix in none C A-notx A A+C; do
  start_bookd --fix "$fix"
  measure "--fix $fix" -s bench/book-job.lua "http://127.0.0.1:$port"
  book[$fix]=$last_rps
  stop_bookd
done
awk -v a="${book[A+C]}" -v n="${book[none]}" \
  'BEGIN { printf "  A+C / none = %.2f (the fix costs %.0f%% of the throughput)\n", a / n, (1 - a / n) * 100 }'

echo "GET /schedule/optimal-slots (one customer's URL), by slot-cache mode:"
for cache in off ttl:300 versioned; do
  start_bookd --slot-cache "$cache"
  measure "--slot-cache $cache" -H "Authorization: Bearer acme-key" \
    "http://127.0.0.1:$port/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0"
  stop_bookd
done
