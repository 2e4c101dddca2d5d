#!/usr/bin/env bash
# bookd's own performance, measured with wrk in one run on this machine:
#  - POST /inspection/book-job throughput and p99 for each fix mode at its default durability (C, A, A+C:
#    synchronous=FULL; none, A-notx: NORMAL), every request booking a fresh slot (bench/book-job.lua), then
#    A+C at NORMAL and OFF; the cost of the fix and of FULL as ratios within the run;
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
  rm -f "$tmp"/b.db* "$tmp/out" # the old "listening" line must not be mistaken for the new one
  build/bookd --listen 127.0.0.1:0 --db "$tmp/b.db" --threads 1 "$@" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/out")
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
# Durability (issue 13 item 8): the fix modes default to synchronous=FULL (an acknowledged booking survives
# a power loss), none and A-notx to NORMAL (survives a process crash). A+C at NORMAL and OFF, same run:
for sync in normal off; do
  start_bookd --fix A+C --synchronous "$sync"
  measure "--fix A+C sync=$sync" -s bench/book-job.lua "http://127.0.0.1:$port"
  book[A+C-$sync]=$last_rps
  stop_bookd
done
awk -v a="${book[A+C]}" -v n="${book[none]}" -v an="${book[A+C-normal]}" -v ao="${book[A+C-off]}" 'BEGIN {
  printf "  A+C full / none normal = %.2f (the fix with power-loss durability costs %.0f%% of the throughput)\n", a / n, (1 - a / n) * 100
  printf "  A+C normal / none normal = %.2f (the fix alone, at equal durability)\n", an / n
  printf "  A+C full / A+C normal = %.2f (what synchronous=FULL costs)\n", a / an
  printf "  A+C off / A+C normal = %.2f (what NORMAL costs over no syncing at all)\n", ao / an
}'

echo "GET /schedule/optimal-slots (one customer's URL), by slot-cache mode:"
for cache in off ttl:300 versioned; do
  start_bookd --slot-cache "$cache"
  measure "--slot-cache $cache" -H "Authorization: Bearer acme-key" \
    "http://127.0.0.1:$port/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0"
  stop_bookd
done
