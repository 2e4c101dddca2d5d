#!/usr/bin/env bash
# Issue 14 section 3's acceptance run: each scenario run once against bookd --fix none, shrunk with
# `bookrace shrink` (10 trials per candidate), and the minimal witness run TRIALS times against --fix none
# and --fix A+C (fresh databases, virtual clock, days of their own). Prints one line per scenario: actors and
# steps before and after, candidates and trials the search spent, and k/n with the 95% Wilson interval
# against each build. tests/integration/test_bookrace_shrink.c asserts the same for two scenarios.
#   bench/shrink-witness.sh [TRIALS] [SCENARIO...]     (default 10; same-slot-burst overlap-burst hold-race
#                                                        cancel-rebook incident-stale-replay)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-10}
shift || true
scenarios=${*:-same-slot-burst overlap-burst hold-race cancel-rebook incident-stale-replay}
bin=${BIN:-build}
[ -x "$bin/bookrace" ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null; }
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
start_bookd() { # name fix -> sets $port
  "$bin/bookd" --listen 127.0.0.1:0 --db "$tmp/$1.db" --fix "$2" --clock virtual:2026-12-01T07:00:00Z \
    --threads 2 >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -qs listening "$tmp/$1.out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$1.out")
}
rate() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['reproduction']['text'])" "$1"; }
count() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['actors']), len(d['steps']))" "$1"; }
start_bookd none none
none=$port
start_bookd fixed A+C
fixed=$port
printf '%-22s %-15s %-15s %-24s %-30s %s\n' scenario before after search "minimal vs none" "minimal vs A+C"
i=0
for s in $scenarios; do
  i=$((i + 1)) # each scenario books days of its own: month i of 2027 (the search) and of 2028 (the checks)
  "$bin/bookrace" run "scenarios/$s.json" --base-url "http://127.0.0.1:$none" --date "2026-12-$((10 + i))" \
    --out "$tmp/$s-run" --quiet >/dev/null || true
  log=$("$bin/bookrace" shrink "$tmp/$s-run/run.json" -o "$tmp/$s-min.json" --trials 10 \
    --date "$(printf '2027-%02d-01' "$i")" 2>&1) || { echo "$s: $log"; continue; }
  search=$(sed -n 's/^\([0-9]*\) candidates, \([0-9]*\) trials.*/\1 candidates, \2 trials/p' <<<"$log")
  read -r a0 s0 < <(python3 -c "
import json; d = json.load(open('$tmp/$s-run/run.json'))['scenario']['source']
a = d['actors']; print(a['count'] if isinstance(a, dict) else len(a), len(d['steps']))")
  read -r a1 s1 < <(count "$tmp/$s-min.json")
  day=$(printf '2028-%02d-01' "$i")
  "$bin/bookrace" run "$tmp/$s-min.json" --base-url "http://127.0.0.1:$none" --date "$day" \
    --repeat "$trials" --out "$tmp/$s-none" --quiet >/dev/null || true
  "$bin/bookrace" run "$tmp/$s-min.json" --base-url "http://127.0.0.1:$fixed" --date "$day" \
    --repeat "$trials" --out "$tmp/$s-fixed" --quiet >/dev/null || true
  printf '%-22s %-15s %-15s %-24s %-30s %s\n' "$s" "$a0 actors/$s0 st" "$a1 actors/$s1 st" "$search" \
    "$(rate "$tmp/$s-none/run.json")" "$(rate "$tmp/$s-fixed/run.json")"
done
