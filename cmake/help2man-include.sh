#!/bin/sh
# Writes help2man's include file for a program's manual page from the program's own --help, verbatim,
# so the page says exactly what the program says (one source of truth):
#   help2man-include.sh PROGRAM OUT.h2m [EXTRA.h2m]
#   [SYNOPSIS]      the usage block (--help up to its first blank line)
#   [=DESCRIPTION]  EXTRA.h2m's [DESCRIPTION] text, if any, then the rest of --help
#   [SUBCOMMANDS]   for bookrace: every subcommand's own --help (the "bookrace NAME" lines of --help)
#   then EXTRA.h2m's other sections.
# help2man's own parse of --help is meant for GNU-style "Usage:/  or:" texts and folds ours into one
# paragraph, hence the verbatim blocks. A subcommand whose --help fails fails the build, so a page can
# never silently miss one.
set -eu
bin=$1 out=$2 extra=${3:-}
name=$(basename "$bin")
help=$("$bin" --help)
# roff-safe verbatim text: backslashes escaped, every line protected from being read as a request.
roff() { sed -e 's/\\/\\e/g' -e 's/^/\\\&/'; }
verbatim() { printf '.nf\n'; roff; printf '.fi\n'; }
extra_section() { # the body of [$1] in $extra
  [ -n "$extra" ] || return 0
  awk -v s="[$1]" '/^\[/ {on = ($0 == s); next} on' "$extra"
}
{
  printf '[SYNOPSIS]\n'
  printf '%s\n' "$help" | awk 'NF == 0 {exit} {sub(/^usage: /, ""); sub(/^       /, ""); print}' | verbatim
  printf '[=DESCRIPTION]\n'
  extra_section DESCRIPTION
  printf '.PP\n'
  printf '%s\n' "$help" | awk 'f; NF == 0 {f = 1}' | verbatim
  if [ "$name" = bookrace ]; then
    subs=$(printf '%s\n' "$help" |
      sed -n 's/^[[:space:]]*\(usage:[[:space:]]*\)\{0,1\}bookrace \([a-z][a-z-]*\).*/\2/p' | awk '!seen[$0]++')
    [ -n "$subs" ] || { echo "help2man-include.sh: no subcommands in '$bin --help'" >&2; exit 1; }
    printf '[SUBCOMMANDS]\n'
    printf 'Each subcommand prints its part with \\fBbookrace\\fR \\fIsubcommand\\fR \\fB\\-\\-help\\fR.\n'
    for s in $subs; do
      printf '.SS "bookrace %s"\n' "$s"
      sub_help=$("$bin" "$s" --help) || { echo "help2man-include.sh: '$bin $s --help' failed" >&2; exit 1; }
      printf '%s\n' "$sub_help" | verbatim
    done
  fi
  if [ -n "$extra" ]; then
    awk '/^\[/ {on = ($0 != "[DESCRIPTION]")} on' "$extra"
  fi
} >"$out.tmp"
mv "$out.tmp" "$out"
