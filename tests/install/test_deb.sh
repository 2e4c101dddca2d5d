#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds it with Depends derived by dpkg-shlibdeps (never typed), every
# one of them installable here; `dpkg -i` installs it, the installed bookrace races the installed bookd on
# the stock incident scenario (reproduced with --fix none, refused with --fix A+C), and `dpkg -r` removes
# every file it installed.
#   tests/install/test_deb.sh BUILD_DIR            into a scratch dpkg root (no root, nothing on the machine)
#   tests/install/test_deb.sh BUILD_DIR --system   dpkg -i on the machine itself, as root (CI)
# The scratch root has its own dpkg database; the package's shared-library Depends are checked against the
# machine's (apt-get --simulate) and --force-depends installs past the empty scratch database.
set -euo pipefail
build=$(cd "$1" && pwd)
mode=${2:-scratch}
fail() { echo "test_deb: $*" >&2; exit 1; }
work=$(mktemp -d)
cleanup() {
  stop_bookd fixed 2>/dev/null || true
  stop_bookd broken 2>/dev/null || true
  if [ "$mode" = --system ] && dpkg-query -W bookrace >/dev/null 2>&1; then dpkg -r bookrace >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
unset BOOKRACE_DATADIR BOOKRACE_SOURCE_DIR BOOKRACE_BIN BOOKD_BIN

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || fail "cpack failed: $(cat "$work/cpack.log")"
deb=$(ls "$work"/pkg/bookrace_*.deb)
[ -f "$deb" ] || fail "no bookrace_*.deb in $work/pkg"

# Depends: derived from the binaries' libraries, so the ones they link are named.
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libcurl4 libjansson4 libsqlite3-0; do
  grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
apt-get --simulate --no-install-recommends install "$deb" >"$work/simulate.log" 2>&1 ||
  fail "the package's Depends cannot be met here: $(tail -n 5 "$work/simulate.log")"

if [ "$mode" = --system ]; then
  [ "$(id -u)" = 0 ] || fail "--system needs root"
  root=
  dpkg_root=()
  dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$work/dpkg.log")"
else
  root=$work/root
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
  : >"$root/var/lib/dpkg/status"
  : >"$root/var/lib/dpkg/available"
  dpkg_root=(--root="$root" --log="$work/dpkg-root.log" --force-depends --force-not-root --force-script-chrootless)
  dpkg "${dpkg_root[@]}" -i "$deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$work/dpkg.log")"
fi
files=$(dpkg "${dpkg_root[@]}" -L bookrace | sed "s|^|$root|")
for f in /usr/bin/bookrace /usr/bin/bookd /usr/share/bookrace/scenarios/incident-stale-replay.json \
  /usr/share/man/man1/bookrace.1 /usr/share/doc/bookrace/README.md; do
  grep -qxF "$root$f" <<<"$files" || [ -e "$root$f" ] || fail "the package does not install $f"
done

mkdir "$work/empty"
cd "$work/empty"
start_bookd "$root/usr/bin/bookd" broken --fix none --slot-cache ttl:300 --clock virtual --threads 2
rc=0
"$root/usr/bin/bookrace" run incident-stale-replay.json --base-url "$BOOKD_URL_broken" --expect-violation \
  --out "$work/broken" --quiet >"$work/broken.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the packaged bookrace did not reproduce the incident against --fix none (exit $rc): $(cat "$work/broken.out")"
stop_bookd broken
start_bookd "$root/usr/bin/bookd" fixed --clock virtual --threads 2
rc=0
"$root/usr/bin/bookrace" run incident-stale-replay.json --base-url "$BOOKD_URL_fixed" --out "$work/fixed" --quiet \
  >"$work/fixed.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the packaged bookrace failed against --fix A+C (exit $rc): $(cat "$work/fixed.out")"
stop_bookd fixed

dpkg "${dpkg_root[@]}" -r bookrace >"$work/dpkg-r.log" 2>&1 || fail "dpkg -r failed: $(cat "$work/dpkg-r.log")"
left=()
while IFS= read -r f; do
  [ -f "$f" ] || [ -L "$f" ] && left+=("$f")
done <<<"$files"
[ ${#left[@]} = 0 ] || fail "dpkg -r left files behind: ${left[*]}"
dpkg-query ${root:+--root="$root"} -W bookrace >/dev/null 2>&1 && fail "bookrace is still registered after dpkg -r"
echo "test_deb: ok ($(basename "$deb"); Depends: $depends)"
