#!/usr/bin/env bash
# Issue 11's acceptance run with a real clock throughout: every stock scenario five times in a row against
# one persistent bookd database per series (--fix A+C --slot-cache ttl:300, --clock real, the same --date), counting
# violations, false conflicts and justified refusals; then against --fix none with --free-day, where every
# scenario must still reproduce. The three scenarios with an `advance` step wait 180 s of real time per run,
# so they run side by side, each series against its own bookd and database (about 19 minutes in all);
# tests/integration/test_bookrace_repeat.c is the fast version (virtual clock for those three).
#   bench/repeat-real-clock.sh [RUNS] [DATE]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
date=${2:-+14d}
bin=${BIN:-build} # where bookrace and bookd are (a copy keeps a long run apart from rebuilds)
[ -x "$bin/bookrace" ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null; }
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
python3 -c "
import json; p = json.load(open('scenarios/targets/bookd.json')); del p['operations']['clock']
json.dump(p, open('$tmp/realclock.json', 'w'))"
start_bookd() { # name fix -> sets $port
  "$bin/bookd" --listen 127.0.0.1:0 --db "$tmp/$1.db" --fix "$2" --slot-cache ttl:300 --clock real --threads 2 \
    >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -qs listening "$tmp/$1.out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$1.out")
}
tally() { # run.json -> "class violations false-conflicts justified"
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["trials"][0]; text = json.dumps(r)
print(t["class"], len(t["violations"]), text.count("FALSE CONFLICT"),
      sum(1 for e in t["explained"] if e.startswith("JUSTIFIED REFUSAL")))
PY
}
series() { # label port extra-args scenario...
  local label=$1 port=$2 extra=$3; shift 3
  for round in $(seq "$runs"); do
    for s in "$@"; do
      out="$tmp/$label-$s-$round"
      rc=0
      "$bin/bookrace" run "scenarios/$s.json" --target "$tmp/realclock.json" --base-url "http://127.0.0.1:$port" \
        --date "$date" --out "$out" --quiet $extra >/dev/null 2>&1 || rc=$?
      echo "$label $s run $round exit $rc $(tally "$out/run.json")"
    done
  done
}
quick=${QUICK-"same-slot-burst same-slot-burst-plain overlap-burst hold-race cancel-rebook"}
slow=${SLOW-"incident-stale-replay stale-cache-same-slot multi-pod-stale-cache"}
# Each series against its own bookd (the slow ones wait in parallel); logs are printed in order at the end.
parallel() { # label fix rounds extra
  local label=$1 fix=$2 rounds=$3 extra=$4 jobs_=()
  start_bookd "$label-quick" "$fix"
  runs=$rounds series "$label" "$port" "$extra" $quick >"$tmp/$label-quick.log" & jobs_+=($!)
  for s in $slow; do
    start_bookd "$label-$s" "$fix"
    runs=$rounds series "$label" "$port" "$extra" "$s" >"$tmp/$label-$s.log" & jobs_+=($!)
  done
  wait "${jobs_[@]}"
  cat "$tmp/$label-quick.log" $(for s in $slow; do echo "$tmp/$label-$s.log"; done)
}
echo "scenario / run / exit / class / violations / false conflicts / justified refusals"
echo "--fix A+C --slot-cache ttl:300 --clock real, --date $date, $runs runs each, one database per series:"
parallel fixed A+C "$runs" ""
echo "--fix none --slot-cache ttl:300 --clock real, --free-day --expect-violation, once each:"
parallel broken none 1 "--free-day --expect-violation"
