#!/usr/bin/env bash
# The long version of tests/integration/test_crash_recovery.c: KILLS rounds of bookrace load booking
# against bookd (SQLite WAL, fix A+C), bookd killed with SIGKILL at a random moment while bookings are
# being made, restarted on the same database, then: every booking acknowledged with 201 is present and
# active, no two active bookings of one inspector overlap, and requests in flight are indeterminate.
#   bench/crash-recovery.sh [KILLS] [LOAD_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-200}
secs=${2:-1}
cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT

start_bookd() {
  build/bookd --listen 127.0.0.1:0 --db "$tmp/crash.db" --fix A+C --threads 2 >"$tmp/bookd.out" 2>&1 &
  pid=$!
  for _ in $(seq 200); do grep -q listening "$tmp/bookd.out" && break; sleep 0.02; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/bookd.out")
}
created() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "bookd_bookings_created_total" {print $2}'; }

total_ok=0; total_info=0
for round in $(seq 0 $((kills - 1))); do
  start_bookd
  day=$(date -u -d "2027-01-01 + $((round * 3)) days" +%Y-%m-%d)
  build/bookrace load scenarios/overlap-burst.json --base-url "http://127.0.0.1:$port" --date "$day" \
    --days 3 --duration "$secs" --threads 1 --connections 8 --out "$tmp/load" --quiet >/dev/null &
  load=$!
  until [ "$(created)" != "" ] && [ "$(created)" -gt 0 ]; do sleep 0.005; done
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  kill -9 $pid; wait $pid 2>/dev/null || true
  rm -f "/dev/shm/mongoc-$pid"  # libmongoc's counters of the killed process: its exit handler never ran
  status=0; wait $load || status=$?
  [ $status -eq 3 ] || { echo "round $round: bookrace load exited $status, expected 3" >&2; exit 1; }
  start_bookd
  curl -s -H 'Authorization: Bearer acme-key' \
    "http://127.0.0.1:$port/inspections?from=2027-01-01&to=2040-01-01&status=scheduled" >"$tmp/stored.json"
  kill -TERM $pid; wait $pid || true; pid=""
  read -r ok info < <(python3 - "$tmp/load/load.json" "$tmp/stored.json" "$round" <<'PY'
import json, sys
import os, subprocess
doc = json.load(open(sys.argv[1]))
hist = os.path.join(os.path.dirname(sys.argv[1]), doc["history"]["file"])
lines = subprocess.run(["zstdcat", "-f", hist], check=True, capture_output=True, text=True).stdout.splitlines()
ops = json.loads(lines[0])
load = [dict(r, outcome=r["type"]) for r in map(json.loads, lines[1:]) if r.get("op") == "book"]
stored = json.load(open(sys.argv[2]))["inspections"]
ids = {s["_id"] for s in stored}
ok = info = 0
for b in load:
    if b["status"] == 0:
        assert b["outcome"] == "info", f"round {sys.argv[3]}: an in-flight booking reported as {b['outcome']}"
        info += 1
    elif b["outcome"] == "ok":
        assert b["id"] in ids, f"round {sys.argv[3]}: acknowledged booking {b['id']} lost"
        ok += 1
by = {}
for s in stored:
    by.setdefault(s["inspectorId"], []).append((s["datetime"], s["endtime"], s["_id"]))
for insp, rows in by.items():
    rows.sort()
    for a, b in zip(rows, rows[1:]):
        assert b[0] >= a[1], f"round {sys.argv[3]}: {a[2]} and {b[2]} overlap"
print(ok, info)
PY
)
  total_ok=$((total_ok + ok)); total_info=$((total_info + info))
done
echo "$kills kills survived: $total_ok acknowledged bookings all present after restart, none overlapping; $total_info requests in flight at a kill reported as indeterminate"
