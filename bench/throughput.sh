#!/usr/bin/env bash
# Requests per second of bookrace load --url against the same local endpoints, in one run, side by side
# with wrk, h2load, hey and ab -k (same threads, same connections, same duration), and bookrace's
# ratio to wrk. Endpoints: a static file served by nginx (one worker), and bookd's /health.
#   bench/throughput.sh [SECONDS] [THREADS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
threads=${2:-1}
conns=${3:-32}
BOOKRACE_BENCH_DEPS=1 scripts/deps
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

mkdir -p "$tmp/html"
echo "hello world" >"$tmp/html/index.html"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:18931; root $tmp/html; keepalive_requests 100000000; } }
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
build/bookd --listen 127.0.0.1:0 --db "$tmp/bookd.db" --threads 1 >"$tmp/bookd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$tmp/bookd.out" && break; sleep 0.05; done
bport=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/bookd.out")
sleep 0.3

run_tools() { # URL
  local url=$1
  local r
  r=$(build/bookrace load --url "$url" --threads "$threads" --connections "$conns" --duration "$secs" \
        --out "$tmp/bl" --quiet | awk '$1 == "get" {print $3}')
  printf '  %-16s %10.0f req/s\n' "bookrace load" "$r"; br=$r
  r=$(wrk -t"$threads" -c"$conns" -d"${secs}s" "$url" | awk '/Requests\/sec/ {print $2}')
  printf '  %-16s %10.0f req/s\n' "wrk" "$r"; wrk=$r
  r=$(h2load --h1 -t"$threads" -c"$conns" -D "$secs" "$url" 2>/dev/null | awk '/^finished in/ {print $4}')
  printf '  %-16s %10.0f req/s\n' "h2load --h1" "$r"
  r=$(hey -z "${secs}s" -c "$conns" -cpus "$threads" "$url" | awk '/Requests\/sec/ {print $2}')
  printf '  %-16s %10.0f req/s\n' "hey" "$r"
  r=$(ab -k -q -c "$conns" -t "$secs" -n 100000000 "$url" 2>/dev/null | awk '/Requests per second/ {print $4}')
  printf '  %-16s %10.0f req/s\n' "ab -k" "$r"
  awk -v b="$br" -v w="$wrk" 'BEGIN { printf "  bookrace / wrk = %.2f\n", b / w }'
}

echo "threads=$threads connections=$conns duration=${secs}s, $(nproc) CPUs"
echo "nginx static file:"
run_tools "http://127.0.0.1:18931/index.html"
echo "bookd /health:"
run_tools "http://127.0.0.1:$bport/health"
