#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a working tool with no source or build tree around:
# the prefix is installed, then moved (so nothing can lean on a path baked in at build time), and the
# installed bookrace, from an empty folder and with no BOOKRACE_* variables set, finds its stock
# scenarios and default profile in <prefix>/share/bookrace, races the installed bookd in the fixed and
# the broken mode, finds the installed bookd itself for the matrix, and names every place it looked
# when a file is missing. Man pages and the completion are where man and bash-completion look.
#   tests/install/test_install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
fail() { echo "test_install: $*" >&2; exit 1; }
work=$(mktemp -d)
cleanup() { stop_bookd fixed 2>/dev/null || true; stop_bookd broken 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
unset BOOKRACE_DATADIR BOOKRACE_SOURCE_DIR BOOKRACE_BIN BOOKD_BIN

cmake --install "$build" --prefix "$work/staged" >"$work/install.log" || fail "install failed: $(cat "$work/install.log")"
mv "$work/staged" "$work/prefix"
prefix=$work/prefix
for f in bin/bookrace bin/bookd share/bookrace/scenarios/incident-stale-replay.json \
  share/bookrace/scenarios/matrix.json share/bookrace/scenarios/targets/bookd.json \
  share/bookrace/scenarios/targets/attik.json share/doc/bookrace/README.md share/doc/bookrace/scenarios.md \
  share/man/man1/bookrace.1 share/man/man8/bookd.8 share/man/man5/bookrace-scenario.5 \
  share/man/man5/bookrace-target.5 share/bash-completion/completions/bookrace \
  share/bash-completion/completions/bookd; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
# man finds the pages through the prefix's MANPATH entry.
[ "$(man -M "$prefix/share/man" -w bookrace-scenario)" = "$prefix/share/man/man5/bookrace-scenario.5" ] ||
  fail "man does not find bookrace-scenario(5) in the prefix"

mkdir "$work/empty"
cd "$work/empty"
PATH="$prefix/bin:/usr/bin:/bin"
version=$(bookrace --version | head -n 1)
[[ $version =~ ^bookrace\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ ([0-9a-f]{7,}(-dirty)?|unknown)\)$ ]] ||
  fail "bookrace --version says '$version'"
[[ $(bookd --version | head -n 1) == "bookd (bookrace) ${version#bookrace }" ]] ||
  fail "bookd --version does not match bookrace's: $(bookd --version)"

# The fixed server: the stock incident scenario, by its bare name, is clean.
start_bookd "$prefix/bin/bookd" fixed --clock virtual --threads 2
rc=0
bookrace run incident-stale-replay.json --base-url "$BOOKD_URL_fixed" --out "$work/fixed" --quiet \
  >"$work/fixed.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "installed run against --fix A+C exited $rc: $(cat "$work/fixed.out")"
grep -qF "\"file\": \"$prefix/bin/../share/bookrace/scenarios/targets/bookd.json\"" "$work/fixed/run.json" ||
  fail "the default profile did not come from the installed prefix: $(grep -o '"file": "[^"]*"' "$work/fixed/run.json")"
stop_bookd fixed

# The incident's server (no check, five-minute slot cache): the double booking is reproduced.
start_bookd "$prefix/bin/bookd" broken --fix none --slot-cache ttl:300 --clock virtual --threads 2
rc=0
bookrace run incident-stale-replay.json --base-url "$BOOKD_URL_broken" --expect-violation --out "$work/broken" \
  --quiet >"$work/broken.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "installed run against --fix none did not reproduce the incident (exit $rc): $(cat "$work/broken.out")"
stop_bookd broken

# The matrix starts bookd itself: the installed one, next to the installed bookrace.
rc=0
bookrace matrix matrix.json --scenario incident-stale-replay --mode none --out "$work/matrix" --quiet \
  >"$work/matrix.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "installed matrix exited $rc: $(cat "$work/matrix.out")"

# A missing file: exit 2, naming every place tried, the installed prefix among them.
rc=0
bookrace run no-such-scenario.json >"$work/missing.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a missing scenario exited $rc"
grep -qF "looked in" "$work/missing.out" || fail "a missing scenario does not say where it looked: $(cat "$work/missing.out")"
grep -qF "$prefix/bin/../share/bookrace/scenarios/no-such-scenario.json" "$work/missing.out" ||
  fail "a missing scenario does not name the installed data folder: $(cat "$work/missing.out")"
echo "test_install: ok ($version, prefix moved after install)"
