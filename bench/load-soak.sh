#!/usr/bin/env bash
# The long load of issue 12: book-only load of overlap-burst against bookd --fix C (a unique index, so
# every slot is acknowledged at most once while overlapping starts double-book: a bounded, non-empty
# set of violations), its peak RSS from /usr/bin/time -v, and `bookrace check` on the streamed history
# (it must find the violations load.json recorded). Both processes run under nice -n 10: the machine is
# shared. The database lives in /dev/shm. DAYS=N books N days (default 14, load's own default: about
# 4,700 slots, 126,294 double-booking pairs, of which load.json lists 1,000 and counts all).
#   bench/load-soak.sh soak SECONDS       one run of SECONDS (10 million requests need about 1300 s here)
#   bench/load-soak.sh ratio ROUNDS SECONDS  the oracle's cost: ROUNDS rounds of three runs (oracle on,
#                                            on with --history-plain, off: --no-oracle), order rotated,
#                                            each against a fresh database; ratios of the medians
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-soak}
days=${DAYS:-14} # load's default: 14 days of overlap-burst slots
[ -x build/bookrace ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 >/dev/null; }
tmp=$(mktemp -d)
db=$(mktemp -u /dev/shm/bookrace-soak.XXXXXX)
bookd_pid=
trap '[ -n "$bookd_pid" ] && kill "$bookd_pid" 2>/dev/null; rm -f "$db" "$db"-*; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp build/bookrace build/bookd "$tmp/" # copies: a rebuild during the run must not swap them under it

start_bookd() {
  [ -n "$bookd_pid" ] && { kill "$bookd_pid"; wait "$bookd_pid" 2>/dev/null || true; }
  rm -f "$db" "$db"-*
  starts=$((${starts:-0} + 1)) # a fresh file per start: never the port of the bookd before
  nice -n 10 "$tmp/bookd" --listen 127.0.0.1:0 --db "$db" --fix C --threads 1 >"$tmp/bookd$starts.out" 2>&1 &
  bookd_pid=$!
  for _ in $(seq 200); do grep -q listening "$tmp/bookd$starts.out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/bookd$starts.out")
}

load() { # OUT SECONDS [EXTRA...]
  local out=$1 secs=$2
  shift 2
  nice -n 10 /usr/bin/time -v "$tmp/bookrace" load scenarios/overlap-burst.json --base-url "http://127.0.0.1:$port" \
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
  /usr/bin/time -f 'check: %e s, max RSS %M kB' nice -n 10 "$tmp/bookrace" check "$tmp/soak/load.json" 2>&1 |
    grep -v '^DOUBLE BOOKING\|^LOST' || true
  exit 0
fi

pairs=${2:-3}
secs=${3:-10}
for i in $(seq "$pairs"); do
  # The order rotates, so neither arm always runs first on a fresh machine state.
  case $((i % 3)) in 1) arms="on off plain" ;; 2) arms="off plain on" ;; *) arms="plain on off" ;; esac
  for m in $arms; do
    start_bookd
    case $m in
      on) load "$tmp/$m$i" "$secs" ;;
      off) load "$tmp/$m$i" "$secs" --no-oracle ;;
      plain) load "$tmp/$m$i" "$secs" --history-plain ;;
    esac
    r=$(field "$tmp/$m$i/load.json" "d['overall']['throughputPerSecond']")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$m$i.time")
    printf 'pair %d oracle %-5s %8.0f req/s  max RSS %6d kB\n' "$i" $m "$r" "$rss"
    echo "$m $r" >>"$tmp/rates"
  done
done
python3 - "$tmp" <<'PY'
import glob, json, os, re, statistics, sys
t = sys.argv[1]
rates, cpu = {}, {}
for f in glob.glob(t + "/*.time"):
    m = re.match(r"(on|off|plain)\d+$", os.path.basename(f)[:-5])
    if not m or not os.path.exists(f[:-5] + "/load.json"):
        continue
    doc, txt = json.load(open(f[:-5] + "/load.json")), open(f).read()
    secs = sum(float(re.search(r"%s time \(seconds\): ([\d.]+)" % k, txt).group(1)) for k in ("User", "System"))
    rates.setdefault(m.group(1), []).append(doc["overall"]["throughputPerSecond"])
    cpu.setdefault(m.group(1), []).append(secs / doc["overall"]["requests"] * 1e6)
med = {m: statistics.median(v) for m, v in rates.items()}
c = {m: statistics.median(v) for m, v in cpu.items()}
for m in ("on", "plain", "off"):
    print("%-5s req/s median %6.0f (min %6.0f, max %6.0f); load's CPU per request median %.2f us" %
          (m, med[m], min(rates[m]), max(rates[m]), c[m]))
print("oracle on / off: throughput %.2f, CPU per request %.2f; plain history / off: %.2f, %.2f" %
      (med["on"] / med["off"], c["on"] / c["off"], med["plain"] / med["off"], c["plain"] / c["off"]))
PY
