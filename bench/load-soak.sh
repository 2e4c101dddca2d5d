#!/usr/bin/env bash
# The long load of issue 12: book-only load of overlap-burst against bookd --fix C (a unique index, so
# every slot is acknowledged at most once while overlapping starts double-book: a bounded, non-empty
# set of violations), its peak RSS from /usr/bin/time -v, and `bookrace check` on the streamed history
# (it must find the violations load.json recorded). Both processes run under nice -n 10: the machine is
# shared. The database lives in /dev/shm. DAYS=N books N days (default 14, load's own default: about
# 4,700 slots, 126,294 double-booking pairs, of which load.json lists 1,000 and counts all).
#   bench/load-soak.sh soak SECONDS       one run of SECONDS (10 million requests need about 1300 s here)
#   bench/load-soak.sh ratio PAIRS SECONDS  the oracle's cost: PAIRS alternating runs with and without
#                                           --no-oracle, each against a fresh database; ratio of medians
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-soak}
days=${DAYS:-14} # load's default: 14 days of overlap-burst slots
[ -x build/bookrace ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null; }
tmp=$(mktemp -d)
db=$(mktemp -u /dev/shm/bookrace-soak.XXXXXX)
bookd_pid=
trap '[ -n "$bookd_pid" ] && kill "$bookd_pid" 2>/dev/null; rm -f "$db" "$db"-*; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

start_bookd() {
  [ -n "$bookd_pid" ] && { kill "$bookd_pid"; wait "$bookd_pid" 2>/dev/null || true; }
  rm -f "$db" "$db"-*
  nice -n 10 build/bookd --listen 127.0.0.1:0 --db "$db" --fix C --threads 1 >"$tmp/bookd.out" 2>&1 &
  bookd_pid=$!
  for _ in $(seq 100); do grep -q listening "$tmp/bookd.out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/bookd.out")
}

load() { # OUT SECONDS [EXTRA...]
  local out=$1 secs=$2
  shift 2
  nice -n 10 /usr/bin/time -v build/bookrace load scenarios/overlap-burst.json --base-url "http://127.0.0.1:$port" \
    --connections 16 --threads 1 --duration "$secs" --warmup 0s --mix fetch_slots=0,book=1 --days "$days" \
    --out "$out" --quiet "$@" >"$out.stdout" 2>"$out.time" || true
}

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

if [ "$mode" = soak ]; then
  secs=${2:-1300}
  start_bookd
  load "$tmp/soak" "$secs"
  echo "requests:   $(field "$tmp/soak/load.json" "d['overall']['requests']")"
  echo "req/s:      $(field "$tmp/soak/load.json" "round(d['overall']['throughputPerSecond'])")"
  echo "acknowledged bookings: $(field "$tmp/soak/load.json" "d['oracle']['bookingsAcknowledged']")"
  echo "violations: $(field "$tmp/soak/load.json" "d['oracle'].get('violationCount', len(d['oracle']['violations']))")"
  echo "history:    $(field "$tmp/soak/load.json" "d['history']")"
  grep -E 'Maximum resident|Elapsed \(wall|User time|System time' "$tmp/soak.time"
  echo "--- bookrace check $tmp/soak/load.json"
  /usr/bin/time -f 'check: %e s, max RSS %M kB' nice -n 10 build/bookrace check "$tmp/soak/load.json" 2>&1 |
    grep -v '^DOUBLE BOOKING\|^LOST' || true
  exit 0
fi

pairs=${2:-3}
secs=${3:-10}
on=()
off=()
for i in $(seq "$pairs"); do
  for m in on off; do
    start_bookd
    if [ $m = on ]; then load "$tmp/$m$i" "$secs"; else load "$tmp/$m$i" "$secs" --no-oracle; fi
    r=$(field "$tmp/$m$i/load.json" "d['overall']['throughputPerSecond']")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$m$i.time")
    printf 'pair %d oracle %-3s %8.0f req/s  max RSS %6d kB\n' "$i" $m "$r" "$rss"
    if [ $m = on ]; then on+=("$r"); else off+=("$r"); fi
  done
done
python3 - "${on[*]}" "${off[*]}" <<'PY'
import statistics, sys
on = [float(x) for x in sys.argv[1].split()]
off = [float(x) for x in sys.argv[2].split()]
print("oracle on / off (medians): %.0f / %.0f req/s = %.2f" % (statistics.median(on), statistics.median(off),
      statistics.median(on) / statistics.median(off)))
PY
