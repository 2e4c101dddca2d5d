#!/usr/bin/env bash
# Peak memory (max RSS) of `bookrace run` with 64 actors against a large slot list (issue 11 item 6):
# a small Python server serves SLOTS slots (default 6000, about 0.9 MiB of JSON, under the 1 MiB response limit) to every fetch; the
# scenario fetches three lists per actor per trial, REPEAT=4 gives 12 lists per actor (several GB before the fix: mind the shared machine). Given two bookrace
# binaries (before and after a change), both run side by side against the same server and the ratio is
# printed; compare ratios, not megabytes, on a shared machine.
#   bench/run-memory.sh [NEW_BIN] [OLD_BIN] [SLOTS]
set -euo pipefail
cd "$(dirname "$0")/.."
new=${1:-build/bookrace}
old=${2:-}
slots=${3:-6000}
repeat=${REPEAT:-1}
[ -x "$new" ] || { cmake -S . -B build >/dev/null && cmake --build build -j2 --target bookrace >/dev/null; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"; [ -n "${pid:-}" ] && kill $pid 2>/dev/null || true' EXIT
python3 - "$slots" >"$tmp/server.out" 2>&1 <<'PY' &
import json, sys, itertools
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
n = int(sys.argv[1])
slots = [{"inspectorId": "i%04d" % (i % 50), "datetime": "2026-12-01T%02d:%02d:00Z" % (7 + (i // 50) % 12, (i // 600) % 60),
          "endtime": "2026-12-01T%02d:%02d:00Z" % (9 + (i // 50) % 12, (i // 600) % 60), "serviceId": "full-inspection",
          "travelMinutes": i % 17} for i in range(n)]
body = json.dumps({"slots": slots}).encode()
ids = itertools.count(1)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, status, data):
        self.send_response(status); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self): self.reply(200, body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply(201, json.dumps({"id": next(ids)}).encode())
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening %d %d" % (s.server_address[1], len(body)), flush=True)
s.serve_forever()
PY
pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/server.out" && break; sleep 0.1; done
read -r _ port bytes <"$tmp/server.out"
echo "slot list: $slots slots, $bytes bytes; 64 actors x 3 lists x $repeat trial(s)"
measure() {
  /usr/bin/time -f '%M' -o "$tmp/rss" "$1" run bench/memory-scenario.json --target bench/memory-target.json \
    --base-url "http://127.0.0.1:$port" --repeat "$repeat" --threads 2 --out "$tmp/out-$2" --quiet >/dev/null || true
  echo $(( $(tail -n 1 "$tmp/rss") / 1024 ))
}
new_mb=$(measure "$new" new)
echo "max RSS $new: $new_mb MB"
if [ -n "$old" ]; then
  old_mb=$(measure "$old" old)
  echo "max RSS $old: $old_mb MB"
  python3 -c "print('new/old: %.2f' % ($new_mb / max($old_mb, 1)))"
fi
