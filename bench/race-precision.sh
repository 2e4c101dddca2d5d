#!/usr/bin/env bash
# How tightly racing requests arrive, as the probe server's kernel receive timestamps of each request's
# final byte (HTTP/1.1) or of the read carrying its END_STREAM (HTTP/2): the spread (last arrival minus
# first) of each burst, median and p90 over BURSTS bursts. All in one run, side by side, because the
# machine is shared and noisy: compare the ratios, not the absolute figures.
#
#   direct    bursts of 2, 16 and 64 POSTs: bookrace single-packet (HTTP/2, h2c), last-byte and plain
#             (HTTP/1.1), hey and curl --parallel
#   segments  bursts of 20 and 100 single-packet: TCP segments per burst at the probe (distinct kernel
#             timestamps) and as the sender's kernel counted them, against a probe allowing 1000 streams
#             and one allowing 64 (100 racers: ceil(100 / 64) = 2 connections)
#   jitter    bursts of 16 and 64 through bench/jitter-relay (0-2 ms per forwarded chunk, per connection):
#             single-packet vs last-byte vs plain
#   nginx     bursts of 16 and 64 through nginx (TLS, ALPN h2, HTTP/1.1 to the probe), the incident's
#             load-balancer shape: single-packet vs last-byte
#
#   bench/race-precision.sh [BURSTS] [HARNESS_THREADS]      SECTIONS="direct segments jitter nginx" to choose
set -euo pipefail
cd "$(dirname "$0")/.."
bursts=${1:-40}
threads=${2:-}
sections=${SECTIONS:-direct segments jitter nginx}
BOOKRACE_BENCH_DEPS=1 scripts/deps
cmake -S . -B build >/dev/null && cmake --build build -j 2 >/dev/null
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

start() { # name ready-pattern command...: starts a helper and waits for its ready line
  local name=$1 pattern=$2
  shift 2
  "$@" >"$tmp/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q "$pattern" "$tmp/$name.out" && return; sleep 0.05; done
  echo "race-precision: $name did not start:" >&2
  cat "$tmp/$name.out" >&2
  exit 1
}

start probe listening build/bookrace-probe 18932
start probe64 listening build/bookrace-probe 18934 64
url="http://127.0.0.1:18932"

collect() { # file [stats-url]: one burst's spread (us) into $tmp/FILE, its distinct timestamps into
  #            FILE.segs, the spread of the probe's handler entries into FILE.handler
  curl -s "${2:-$url}/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
a, h = d["arrivalsNs"], d["handledNs"]
print((max(a) - min(a)) / 1000 if len(a) > 1 else "nan")
print(len(set(a)) if a else "nan", file=sys.stderr)
open(sys.argv[1], "a").write(str((max(h) - min(h)) / 1000 if len(h) > 1 else "nan") + "\n")' \
    "$tmp/$1.handler" >>"$tmp/$1" 2>>"$tmp/$1.segs"
}

summary() { # label file: kernel arrival spread, and handler entry spread where the probe recorded it
  python3 - "$tmp/$2" "$1" <<'PY'
import math, os, statistics, sys
def stats(f):
    v = sorted(float(x) for x in open(f) if x.strip() not in ("nan", ""))
    return (statistics.median(v), v[min(len(v) - 1, math.ceil(0.9 * len(v)) - 1)], len(v)) if v else None
k = stats(sys.argv[1])
if k is None:
    print(f"  {sys.argv[2]:34s} no bursts measured"); sys.exit()
line = f"  {sys.argv[2]:34s} median {k[0]:9.1f} us   p90 {k[1]:9.1f} us"
h = stats(sys.argv[1] + ".handler") if os.path.exists(sys.argv[1] + ".handler") else None
if h:
    line += f"   | handler entry median {h[0]:8.1f} us  p90 {h[1]:8.1f} us"
print(line + f"   ({k[2]} bursts)")
PY
}

ratio() { # label file-a file-b: median(b) / median(a)
  python3 - "$tmp/$2" "$tmp/$3" "$1" <<'PY'
import statistics, sys
med = lambda f: statistics.median(sorted(float(x) for x in open(f) if x.strip() != "nan"))
a, b = med(sys.argv[1]), med(sys.argv[2])
print(f"  {sys.argv[3]}: " + (f"{b / a:.1f}x" if a > 0 else f"single-packet median 0 us (every burst shared one kernel timestamp) vs {b:.1f} us"))
PY
}

scenario() { # racers release -> $tmp/burst-N-RELEASE.json
  cat >"$tmp/burst-$1-$2.json" <<JSON
{"name": "burst", "date": "2026-12-01", "actors": {"count": $1, "lat": 0, "lng": 0},
 "steps": [{"do": "fetch_slots", "save": "s"}, {"do": "pick", "from": "s", "save": "slot"},
           {"do": "barrier", "release": "$2"}, {"do": "book", "slot": "slot"}]}
JSON
}

thread_opt=()
[ -n "$threads" ] && thread_opt=(--threads "$threads")
run_bursts() { # file racers release base-url [target] [stats-url]: BURSTS bursts, spreads into $tmp/FILE
  local file=$1 n=$2 release=$3 base=$4 target=${5:-bench/probe-target.json} stats=${6:-$url}
  scenario "$n" "$release"
  : >"$tmp/$file"
  : >"$tmp/$file.handler"
  : >"$tmp/$file.segs"
  : >"$tmp/$file.sent"
  for _ in $(seq "$bursts"); do
    build/bookrace run "$tmp/burst-$n-$release.json" --target "$target" --base-url "$base" \
      --out "$tmp/run" --quiet "${thread_opt[@]}" >/dev/null || true
    python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["trials"]:
    for b in t["barriers"]:
        h = b.get("http2") or {}
        print(h.get("connections", "-"), h.get("segments", "-"), b["release"])' "$tmp/run/run.json" >>"$tmp/$file.sent"
    collect "$file" "$stats"
  done
}

segments_line() { # label file: segments per burst at the probe and at the sender
  python3 - "$tmp/$2.segs" "$tmp/$2.sent" "$1" <<'PY'
import collections, sys
probe = collections.Counter(x.strip() for x in open(sys.argv[1]) if x.strip() != "nan")
sent = collections.Counter(" ".join(l.split()[:2]) for l in open(sys.argv[2]))
fmt = lambda c: ", ".join(f"{k} x{v}" for k, v in sorted(c.items()))
print(f"  {sys.argv[3]:34s} segments at the probe: {fmt(probe)};  connections+segments sent: {fmt(sent)}")
PY
}

if [[ " $sections " == *" direct "* ]]; then
  echo "== direct to the probe (loopback) =="
  for n in 2 16 64; do
    echo "burst of $n POSTs:"
    for release in single-packet last-byte plain; do
      run_bursts "br-$release-$n" "$n" "$release" "$url"
      summary "bookrace $release" "br-$release-$n"
    done
    segments_line "bookrace single-packet" "br-single-packet-$n"
    ratio "last-byte / single-packet" "br-single-packet-$n" "br-last-byte-$n"
    : >"$tmp/hey-$n"
    : >"$tmp/hey-$n.handler"
    for _ in $(seq "$bursts"); do
      hey -n "$n" -c "$n" -m POST -T application/json -d '{}' "$url/book" >/dev/null
      collect "hey-$n"
    done
    summary "hey -n $n -c $n" "hey-$n"
    : >"$tmp/curl-$n"
    : >"$tmp/curl-$n.handler"
    for _ in $(seq "$bursts"); do
      curl -s --parallel --parallel-immediate --parallel-max "$n" -X POST \
        -H 'Content-Type: application/json' -d '{}' "$url/book?[1-$n]" >/dev/null 2>&1
      collect "curl-$n"
    done
    summary "curl --parallel" "curl-$n"
  done
fi

if [[ " $sections " == *" segments "* ]]; then
  echo "== TCP segments per single-packet burst =="
  for n in 20 100; do
    run_bursts "seg-$n" "$n" single-packet "$url"
    segments_line "$n racers, probe allows 1000 streams" "seg-$n"
    run_bursts "seg64-$n" "$n" single-packet "http://127.0.0.1:18934" bench/probe-target.json "http://127.0.0.1:18934"
    segments_line "$n racers, probe allows 64 streams" "seg64-$n"
  done
fi

if [[ " $sections " == *" jitter "* ]]; then
  echo "== through bench/jitter-relay (0-2 ms per chunk, per connection) =="
  start relay listening build/bookrace-jitter-relay 18933 18932 2000
  for n in 16 64; do
    echo "burst of $n POSTs:"
    for release in single-packet last-byte plain; do
      run_bursts "jit-$release-$n" "$n" "$release" "http://127.0.0.1:18933"
      summary "bookrace $release" "jit-$release-$n"
    done
    ratio "last-byte / single-packet" "jit-single-packet-$n" "jit-last-byte-$n"
  done
fi

if [[ " $sections " == *" nginx "* ]]; then
  echo "== through nginx: TLS + ALPN h2 to nginx, HTTP/1.1 from nginx to the probe =="
  ngx="$tmp/nginx"
  mkdir -p "$ngx"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$ngx/key.pem" -out "$ngx/cert.pem" >/dev/null 2>&1
  cat >"$ngx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $ngx/nginx.pid; error_log $ngx/error.log;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path $ngx/body; proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fcgi; uwsgi_temp_path $ngx/uwsgi; scgi_temp_path $ngx/scgi;
  upstream probe { server 127.0.0.1:18932; keepalive 128; }
  server {
    listen 127.0.0.1:18935 ssl http2;
    ssl_certificate $ngx/cert.pem; ssl_certificate_key $ngx/key.pem;
    location / { proxy_pass http://probe; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  nginx -p "$ngx" -c "$ngx/nginx.conf" -e stderr &
  pids+=($!)
  for _ in $(seq 100); do curl -sk https://127.0.0.1:18935/slots >/dev/null && break; sleep 0.05; done
  python3 - "$ngx/cert.pem" >"$tmp/nginx-target.json" <<'PY'
import json, sys
t = json.load(open("bench/probe-target.json"))
t["tls"] = {"caFile": sys.argv[1]}
print(json.dumps(t))
PY
  for n in 16 64; do
    echo "burst of $n POSTs:"
    for release in single-packet last-byte; do
      run_bursts "ngx-$release-$n" "$n" "$release" "https://127.0.0.1:18935" "$tmp/nginx-target.json"
      summary "bookrace $release" "ngx-$release-$n"
    done
    ratio "last-byte / single-packet" "ngx-single-packet-$n" "ngx-last-byte-$n"
  done
fi
