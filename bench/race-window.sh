#!/usr/bin/env bash
# bookrace window against ground truth (issue 14): bookd --fix A-notx --race-window-us W pauses W between
# its overlap check and its insert, so two racers d apart double-book while d < W (plus bookd's own
# processing): the measured window should be W. All in one run, because the machine is shared and noisy.
#
#   precision  2 racers against bench/probe, staggered by d: the gap the sender measured (window.json) vs
#              the gap between the kernel receive timestamps of the final bytes at the probe, per release
#   barrier    bookd A-notx with W = 1, 5 and 20 ms: a sweep from 0 to 2.5 W by W / 20, TRIALS trials a
#              point; the estimate (half-peak crossing), its 95% bracket, the ratio to W; then A+C, where
#              no delay may reproduce
#   advance    bookd --fix none with the incident's --slot-cache ttl:300 and with the versioned cache
#              (virtual clock): stale-cache-same-slot swept over its advance from 0 to 600 s by 10 s
#
#   bench/race-window.sh [TRIALS]          SECTIONS="precision barrier advance" to choose; KEEP=DIR keeps
#                                          every window.json and table there
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-10}
sections=${SECTIONS:-precision barrier advance}
cmake -S . -B build >/dev/null && cmake --build build -j 2 >/dev/null
tmp=$(mktemp -d)
keep=${KEEP:-$tmp/keep}
mkdir -p "$keep"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

start() { # name port command...: starts a server and waits for its "listening" line
  local name=$1
  shift
  "$@" >"$tmp/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q listening "$tmp/$name.out" && return; sleep 0.05; done
  echo "race-window: $name did not start:" >&2
  cat "$tmp/$name.out" >&2
  exit 1
}

stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

bookd() { # name port args...: a fresh bookd on its own database
  local name=$1 port=$2
  shift 2
  start "$name" build/bookd --listen "127.0.0.1:$port" --db "$tmp/$name.db" --threads 2 "$@"
}

sweep() { # out scenario url args...: bookrace window into $keep/OUT, table on stdout
  local out=$1 sc=$2 url=$3
  shift 3
  build/bookrace window "$sc" --base-url "$url" --out "$keep/$out" --quiet "$@" >"$keep/$out.txt" || {
    echo "race-window: bookrace window failed ($out):" >&2
    cat "$keep/$out.txt" >&2
    exit 1
  }
}

if [[ " $sections " == *" precision "* ]]; then
  echo "== release precision: 2 racers against bench/probe, sender's gap vs kernel arrival gap =="
  start probe build/bookrace-probe 18952
  cat >"$tmp/pair.json" <<JSON
{"name": "pair", "date": "2026-12-01", "actors": {"count": 2, "lat": 0, "lng": 0},
 "steps": [{"do": "fetch_slots", "save": "s"}, {"do": "pick", "from": "s", "save": "slot"},
           {"do": "barrier", "release": "RELEASE"}, {"do": "book", "slot": "slot"}]}
JSON
  printf '  %-14s %9s  %22s  %26s\n' release "delay" "sender gap median/p90" "probe arrival gap med/p90"
  for release in last-byte single-packet; do
    sed "s/RELEASE/$release/" "$tmp/pair.json" >"$tmp/pair-$release.json"
    for d in 20us 50us 100us 250us 1ms 5ms; do
      curl -s http://127.0.0.1:18952/stats >/dev/null
      sweep "precision-$release-$d" "$tmp/pair-$release.json" http://127.0.0.1:18952 \
        --target bench/probe-target.json --delays "$d" --trials 20
      curl -s http://127.0.0.1:18952/stats >"$tmp/stats.json"
      python3 - "$keep/precision-$release-$d/window.json" "$tmp/stats.json" "$release" "$d" <<'PY'
import json, math, statistics, sys
w = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))["arrivalsNs"]
n0 = 2 * w["points"][0]["trials"]  # the delay-0 bursts come first, 2 arrivals each
gaps = lambda xs: [(xs[i + 1] - xs[i]) / 1000 for i in range(0, len(xs) - 1, 2)]
def mp(v):
    v = sorted(v)
    return (statistics.median(v), v[min(len(v) - 1, math.ceil(0.9 * len(v)) - 1)]) if v else (math.nan, math.nan)
pt = w["points"][1]
sent = pt["measured_offset_us"] or {}
probe = mp(gaps(a[n0:]))
print(f"  {sys.argv[3]:14s} {sys.argv[4]:>9s}  {sent.get('median', math.nan):9.0f} / max {sent.get('max', math.nan):7.0f} us"
      f"  {probe[0]:11.1f} / {probe[1]:9.1f} us   (precision at 0: {w['precision_us']} us)")
PY
    done
  done
  stop_all
fi

# W, estimate, bracket, ratio, tail and precision from a window.json.
report() {
  python3 - "$@" <<'PY'
import json, sys
f, w_us = sys.argv[1], int(sys.argv[2])
d = json.load(open(f))
win = d["window_us"]
if win is None:
    print(f"  {w_us / 1000:6g} ms  {'none':>10s}  {'-':>21s}  {'-':>6s}   precision {d['precision_us']} us"); sys.exit()
hi = f"{win['hi'] / 1000:.2f}" if win["hi"] is not None else "unbounded"
print(f"  {w_us / 1000:6g} ms  {win['estimate'] / 1000:7.2f} ms  [{win['lo'] / 1000:6.2f}, {hi:>9s}] ms"
      f"  {win['estimate'] / w_us if w_us else float('nan'):6.2f}   last reproduced {win['last_reproduced'] / 1000:.2f} ms,"
      f" precision {d['precision_us']} us")
PY
}

if [[ " $sections " == *" barrier "* ]]; then
  echo "== barrier sweep against bookd A-notx --race-window-us W ($trials trials a point) =="
  printf '  %9s  %10s  %21s  %6s\n' W measured "95% bracket" ratio
  port=18960
  for w_us in 1000 5000 20000; do
    port=$((port + 1))
    bookd "a-notx-$w_us" "$port" --fix A-notx --race-window-us "$w_us"
    sweep "barrier-$w_us" scenarios/window-pair.json "http://127.0.0.1:$port" \
      --max "$((w_us * 5 / 2))us" --step "$((w_us / 20))us" --trials "$trials"
    report "$keep/barrier-$w_us/window.json" "$w_us"
    stop_all
  done
  bookd a-c 18969 --fix A+C
  sweep barrier-a-c scenarios/window-pair.json http://127.0.0.1:18969 --max 50ms --step 1ms --trials "$trials" \
    --expect-no-window
  printf '  A+C: '
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(p["reproduced"] for p in d["points"]), "reproductions in", sum(p["trials"] for p in d["points"]), "trials over", len(d["points"]), "delays from 0 to 50 ms")' "$keep/barrier-a-c/window.json"
  stop_all
fi

if [[ " $sections " == *" advance "* ]]; then
  echo "== advance sweep: stale-cache-same-slot against bookd --fix none, 0 to 600 s by 10 s ($trials trials a point) =="
  for cache in ttl:300 versioned; do
    bookd "cache-${cache%%:*}" 18971 --fix none --slot-cache "$cache" --clock virtual:2026-11-01T00:00:00Z
    start_s=$(date +%s.%N)
    sweep "advance-${cache%%:*}" scenarios/stale-cache-same-slot.json http://127.0.0.1:18971 --sweep advance \
      --trials "$trials"
    took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start_s" "$(date +%s.%N)")
    printf '  --slot-cache %-10s %s   (%s s of real time)\n' "$cache" "$(grep '^window' "$keep/advance-${cache%%:*}.txt")" "$took"
    stop_all
  done
fi
