#!/usr/bin/env bash
# book-job throughput of bookd in each fix mode, measured with wrk in one run on this machine, and the
# cost of the fix as the ratio A+C / none. Every request books a fresh slot (bench/book-job.lua).
#   bench/bookd-fix-cost.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A rps
for fix in none C A-notx A A+C; do
  db="$tmp/$fix.db"
  build/bookd --listen 127.0.0.1:0 --db "$db" --fix "$fix" --threads 1 >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$tmp/out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/out")
  # wrk gets the other core; bookd runs one event-loop thread.
  wrk -t1 -c"$connections" -d"${duration}s" -s bench/book-job.lua "http://127.0.0.1:$port" >"$tmp/wrk-$fix" 2>&1
  kill -TERM $pid; wait $pid || true
  rps[$fix]=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk-$fix")
  errors=$(grep -E "Non-2xx|Socket errors" "$tmp/wrk-$fix" || true)
  printf '%-7s %10s req/s  %s\n' "$fix" "${rps[$fix]}" "${errors:-all 201}"
done
awk -v a="${rps[A+C]}" -v n="${rps[none]}" 'BEGIN { printf "A+C / none = %.2f (cost of the fix: %.0f%%)\n", a / n, (1 - a / n) * 100 }'
