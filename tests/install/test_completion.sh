#!/usr/bin/env bash
# The bash completion (completion/bookrace.bash) loads in a clean bash without a word on stderr, even under
# `set -u`, and completes what the programs' own --help says: subcommands, each subcommand's flags, the
# choices a flag lists, files after a file flag.
#   tests/install/test_completion.sh BIN_DIR COMPLETION_FILE
set -euo pipefail
bin_dir=$1 completion=$2
fail() { echo "test_completion: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/files"
cd "$work/files"
touch mine.json other.txt

# Loading prints nothing and defines both completions.
PATH="$bin_dir:$PATH" bash --norc --noprofile -c "set -u; source '$completion'; complete -p bookrace; complete -p bookd" \
  >"$work/load.out" 2>"$work/load.err" || fail "sourcing failed: $(cat "$work/load.err")"
[ ! -s "$work/load.err" ] || fail "sourcing wrote to stderr: $(cat "$work/load.err")"
grep -q -- '-F _bookrace bookrace' "$work/load.out" || fail "no completion registered for bookrace"
grep -q -- '-F _bookd bookd' "$work/load.out" || fail "no completion registered for bookd"

# complete FUNCTION WORD... : what the completion offers for the last word.
complete_words() {
  PATH="$bin_dir:$PATH" bash --norc --noprofile -c '
    set -u
    source "$1"; f=$2; shift 2
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    "$f"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@" 2>"$work/complete.err" | sort | tr '\n' ' '
  [ ! -s "$work/complete.err" ] || fail "completing '$*' wrote to stderr: $(cat "$work/complete.err")"
}
expect() { # expect "WANTED WORDS" FUNCTION WORD...
  local want=$1 got
  shift
  got=$(complete_words "$@")
  for w in $want; do
    case " $got " in *" $w "*) ;; *) fail "completing '${*:2}': expected $w in: $got" ;; esac
  done
}
expect_exactly() {
  local want=$1 got
  shift
  got=$(complete_words "$@")
  [ "$got" = "$want " ] || fail "completing '${*:2}': expected exactly '$want', got '$got'"
}

expect "check compare load matrix report run" _bookrace bookrace ""
expect_exactly "report run" _bookrace bookrace r
expect_exactly "--help --version" _bookrace bookrace --
# Each subcommand's flags, from its --help.
expect "--target --base-url --out --repeat --seed --junit --expect-violation --quiet --help" _bookrace bookrace run --
expect "--duration --rate --connections --warmup --mix" _bookrace bookrace load --
expect "--bookd --scenario --mode" _bookrace bookrace matrix --
expect "--max-regress" _bookrace bookrace compare --m
# A file flag completes files; a free value (--repeat N) completes nothing.
expect_exactly "mine.json other.txt" _bookrace bookrace run --target ""
expect_exactly "mine.json" _bookrace bookrace run mi
# bookd: flags, and the choices its help lists.
expect "--listen --db --fix --slot-cache --clock --seed --store --threads" _bookd bookd --
expect_exactly "A A+C A-notx C none" _bookd bookd --fix ""
expect_exactly "mongo sqlite" _bookd bookd --store ""
echo "test_completion: ok"
