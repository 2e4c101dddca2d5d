#!/usr/bin/env bash
# The generated manual pages exist, format without a single warning (groff -ww over tbl, on the utf8
# device people read them on, and man --warnings as man-db runs it), and say what the programs say:
# bookrace(1) has a section for every subcommand `bookrace --help` lists, with that subcommand's flags.
#   tests/install/test_manpages.sh MAN_DIR BOOKRACE [BOOKD]
set -euo pipefail
man_dir=$1 bookrace=$2 bookd=${3:-}
fail() { echo "test_manpages: $*" >&2; exit 1; }
pages=("$man_dir/bookrace.1" "$man_dir/bookrace-scenario.5" "$man_dir/bookrace-target.5")
[ -n "$bookd" ] && pages+=("$man_dir/bookd.8")

for page in "${pages[@]}"; do
  [ -s "$page" ] || fail "$page is missing or empty"
  warnings=$(groff -Kutf8 -Tutf8 -t -ww -man -z "$page" 2>&1) || fail "groff failed on $page: $warnings"
  [ -z "$warnings" ] || fail "groff -ww warns on $page:"$'\n'"$warnings"
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man failed on $page: $warnings"
  [ -z "$warnings" ] || fail "man --warnings warns on $page:"$'\n'"$warnings"
  text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
  grep -q '^NAME' <<<"$text" || fail "$page has no NAME section"
done

# bookrace(1): the version it names, and every subcommand with its flags.
text=$(MANWIDTH=200 man -l "$man_dir/bookrace.1" 2>/dev/null)
version=$("$bookrace" --version | head -n 1)
grep -qF "${version#bookrace }" <<<"$text" || fail "bookrace.1 does not name the version ($version)"
subs=$("$bookrace" --help | sed -n 's/^[[:space:]]*\(usage:[[:space:]]*\)\{0,1\}bookrace \([a-z][a-z-]*\).*/\2/p' | sort -u)
[ -n "$subs" ] || fail "no subcommands in bookrace --help"
for s in $subs; do
  section=$(awk -v h="bookrace $s" '$0 ~ "^   " h "$" {on = 1; next} on && /^   bookrace [a-z]+$/ {exit} on' <<<"$text")
  [ -n "$section" ] || fail "bookrace.1 has no section for '$s'"
  for flag in $("$bookrace" "$s" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -qF -- "$flag" <<<"$section" || fail "bookrace.1's '$s' section lacks $flag"
  done
done
# bookrace --help's synopsis names no flag its subcommand lacks, and README's command list names every
# subcommand (they drifted: README listed five of nine, the synopsis lacked shrink --min-rate).
readme=$(dirname "$0")/../../README.md
block=$(awk '/^## bookrace, the harness/ {on = 1} on && /^```$/ {n++; if (n == 2) exit; next} on && n == 1' "$readme")
synopsis=$("$bookrace" --help | awk 'NF == 0 {exit} {print}')
for s in $subs; do
  grep -qE "^bookrace $s( |$)" <<<"$block" || fail "README's command list lacks 'bookrace $s'"
  line=$(awk -v c="bookrace $s" 'index($0, c) {on = 1; print; next} on && /^ *(usage: )?bookrace / {exit} on' <<<"$synopsis")
  own=$("$bookrace" "$s" --help)
  for flag in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$line" | grep -vx -- --help | sort -u); do
    grep -qF -- "$flag" <<<"$own" || fail "bookrace --help gives '$s' $flag, which 'bookrace $s --help' lacks"
  done
done
# "bookrace help COMMAND" is COMMAND --help (it was "unknown command help", exit 2).
for s in $subs; do
  [ "$("$bookrace" help "$s")" = "$("$bookrace" "$s" --help)" ] || fail "bookrace help $s differs from $s --help"
done
# The format pages carry the docs' own headings.
grep -q 'Top level' < <(MANWIDTH=80 man -l "$man_dir/bookrace-scenario.5" 2>/dev/null) ||
  fail "bookrace-scenario.5 lacks docs/scenarios.md's sections"
if [ -n "$bookd" ]; then
  text=$(MANWIDTH=200 man -l "$man_dir/bookd.8" 2>/dev/null)
  for flag in $("$bookd" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -qF -- "$flag" <<<"$text" || fail "bookd.8 lacks $flag"
  done
fi
echo "test_manpages: ${#pages[@]} pages, no warnings"
