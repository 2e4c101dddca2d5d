#!/usr/bin/env bash
# Two bookrace binaries' last-byte release side by side, burst by burst interleaved (the machine is shared
# and noisy: compare in one run): the spread of the final bytes' kernel receive timestamps at bench/probe
# for bursts of 2, 16 and 64 POSTs, median and p90 over BURSTS bursts each.
#
#   bench/release-compare.sh OLD/bookrace [NEW/bookrace] [BURSTS]
#
# Written for issue 14, which found that no last-byte racer had ever been corked (the socket lookup
# returned -1): build the commit before the fix into OLD (git worktree + cmake) and compare.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/release-compare.sh OLD/bookrace [NEW/bookrace] [BURSTS]}
new=${2:-build/bookrace}
bursts=${3:-40}
cmake -S . -B build >/dev/null && cmake --build build -j 2 --target bookrace-probe >/dev/null
tmp=$(mktemp -d)
build/bookrace-probe 18992 >"$tmp/probe.out" 2>&1 &
probe=$!
trap 'kill "$probe" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q listening "$tmp/probe.out" && break; sleep 0.05; done
for n in 2 16 64; do
  cat >"$tmp/burst-$n.json" <<JSON
{"name": "burst", "date": "2026-12-01", "actors": {"count": $n, "lat": 0, "lng": 0},
 "steps": [{"do": "fetch_slots", "save": "s"}, {"do": "pick", "from": "s", "save": "slot"},
           {"do": "barrier", "release": "last-byte"}, {"do": "book", "slot": "slot"}]}
JSON
  : >"$tmp/old-$n"
  : >"$tmp/new-$n"
  for _ in $(seq "$bursts"); do
    for which in old new; do
      bin=$new
      [ "$which" = old ] && bin=$old
      curl -s http://127.0.0.1:18992/stats >/dev/null
      "$bin" run "$tmp/burst-$n.json" --target bench/probe-target.json --base-url http://127.0.0.1:18992 \
        --out "$tmp/run" --quiet >/dev/null || true
      curl -s http://127.0.0.1:18992/stats | python3 -c '
import json, sys
a = json.load(sys.stdin)["arrivalsNs"]
print((max(a) - min(a)) / 1000 if len(a) > 1 else "nan")' >>"$tmp/$which-$n"
    done
  done
  python3 - "$tmp/old-$n" "$tmp/new-$n" "$n" <<'PY'
import math, statistics, sys
def st(f):
    v = sorted(float(x) for x in open(f) if x.strip() != "nan")
    return statistics.median(v), v[min(len(v) - 1, math.ceil(0.9 * len(v)) - 1)], len(v)
o, n = st(sys.argv[1]), st(sys.argv[2])
print(f"burst of {sys.argv[3]:>2}: old median {o[0]:8.1f} us p90 {o[1]:8.1f} us | new median {n[0]:8.1f} us"
      f" p90 {n[1]:8.1f} us ({o[2]}/{n[2]} bursts); old/new median {o[0] / n[0] if n[0] else float('nan'):.1f}x")
PY
done
