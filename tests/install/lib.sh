# Shared by the tests/install scripts: start an installed bookd on a free port and stop it.
# Sourced; expects $work (a scratch folder) and fail().

# start_bookd BOOKD_BIN NAME ARGS...: starts it on 127.0.0.1:0, waits (10 s at most) for its
# "listening on" line, sets BOOKD_PID_<NAME> and BOOKD_URL_<NAME>.
start_bookd() {
  local bin=$1 name=$2 out="$work/bookd-$2.out" i line port
  shift 2
  : >"$out" # before the background start, so the first read never races the redirection's creation
  "$bin" --listen 127.0.0.1:0 --db "$work/bookd-$name.db" "$@" >"$out" 2>"$work/bookd-$name.err" &
  printf -v "BOOKD_PID_$name" '%s' $!
  for ((i = 0; i < 100; i++)); do
    line=$(head -n 1 "$out")
    case $line in *"listening on "*) break ;; esac
    kill -0 "$!" 2>/dev/null || fail "bookd ($name) exited: $(cat "$work/bookd-$name.err")"
    sleep 0.1
  done
  case $line in *"listening on "*) ;; *) fail "bookd ($name) did not start listening in 10 s" ;; esac
  port=${line#*listening on 127.0.0.1:}
  port=${port%% *}
  printf -v "BOOKD_URL_$name" 'http://127.0.0.1:%s' "$port"
}

# stop_bookd NAME: SIGTERM, and it must exit 0 (a clean shutdown).
stop_bookd() {
  local var="BOOKD_PID_$1" rc=0
  [ -n "${!var:-}" ] || return 0
  kill -TERM "${!var}" 2>/dev/null || true
  wait "${!var}" || rc=$?
  printf -v "$var" '%s' ""
  [ "$rc" = 0 ] || fail "bookd ($1) exited $rc on SIGTERM"
}
