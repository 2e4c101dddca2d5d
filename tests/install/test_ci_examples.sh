#!/usr/bin/env bash
# The CI examples the README points to (docs/ci/github-actions.yml, docs/ci/gitlab-ci.yml) work: every
# shell command in them runs here, job by job and step by step, in a copy of this source tree, and
# afterwards every path their artifact and JUnit steps publish exists (the JUnit file with test cases).
#   tests/install/test_ci_examples.sh [EXAMPLE.yml...]     default: every docs/ci/*.yml
# What runs: GitHub's `run:` blocks (each step in its own bash -eo pipefail, $GITHUB_PATH applied to the
# next steps, as the runner does) and GitLab's `before_script:`/`script:` lines (one shell per job, as
# the runner does) and `after_script:`. Job-level `env:`/`variables:` are exported. What does not run
# here: `uses:` steps (checkout is the copy; the publishing steps are checked through their paths),
# `services:` (no Docker here), and lines marked "# ci-only", each printed as skipped. SERVICE_PORT is
# replaced by a free port, HOME, RUNNER_TEMP and CI_PROJECT_DIR point into the scratch folder.
# It builds the tree twice (Release without tests, and the MongoDB targets), so it runs in .ci/run,
# not in every scripts/test.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "test_ci_examples: $*" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$src"/docs/ci/*.yml
work=$(mktemp -d)
cleanup() {
  # A job that failed before its stop step leaves its service running: stop it by its pid file.
  [ -f "$work/repo/bookd.pid" ] && kill "$(cat "$work/repo/bookd.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The checkout: this tree's files (tracked, and new ones not ignored), without build folders or results.
mkdir -p "$work/repo" "$work/home" "$work/runner-temp"
(cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$work/repo"

# A port nothing listens on, below the kernel's ephemeral range: a port inside it can be taken by any
# outgoing connection between this check and the service's bind (a job's bookd once died of that).
free_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=32768
  for ((i = 0; i < 50; i++)); do
    p=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port found"
}

# extract FILE: prints the file's shell commands as records "JOB<TAB>KIND<TAB>TEXT", KIND one of
# env (KEY=VALUE), step (the start of a GitHub step's block), line (a command line), after (a GitLab
# after_script line), publish (a path an artifact or report step publishes), skip (a ci-only line).
extract() {
  awk '
    function indent(s) { match(s, /^ */); return RLENGTH }
    function strip(s) { sub(/^ +/, "", s); return s }
    function unquote(s) { gsub(/^"|"$/, "", s); return s }
    /^[A-Za-z_][A-Za-z0-9_-]*:/ { job = $1; sub(/:$/, "", job); mode = ""; next }
    /^  [A-Za-z_][A-Za-z0-9_-]*:/ && job == "jobs" { job2 = strip($1); sub(/:$/, "", job2); mode = ""; next }
    {
      j = (job == "jobs") ? job2 : job
      line = $0
      if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*#/) next
      ind = indent(line); text = strip(line)
      if (text ~ /# ci-only/) { sub(/ *# ci-only.*/, "", text); print j "\tskip\t" text; next }
      # A block of shell lines (run: |) continues while indented deeper than its key.
      if (mode == "block" && ind > blockind) { print j "\t" kind "\t" text; next }
      if (mode == "list" && ind >= listind && text ~ /^- /) { sub(/^- /, "", text); print j "\t" kind "\t" text; next }
      if ((mode == "env") && ind > envind && text ~ /^[A-Za-z_][A-Za-z0-9_]*: /) {
        k = text; sub(/:.*/, "", k); v = text; sub(/^[^:]*: */, "", v); print j "\tenv\t" k "=" unquote(v); next
      }
      mode = ""
      if (text ~ /^(- )?run: \|$/) { print j "\tstep\t"; mode = "block"; blockind = ind + (text ~ /^- / ? 2 : 0); kind = "line"; next }
      if (text ~ /^(- )?run: /) { sub(/^(- )?run: /, "", text); print j "\tstep\t"; print j "\tline\t" text; next }
      if (text ~ /^(before_script|script):$/) { mode = "list"; listind = ind; kind = "line"; next }
      if (text ~ /^after_script:$/) { mode = "list"; listind = ind; kind = "after"; next }
      if (text ~ /^(env|variables):$/) { mode = "env"; envind = ind; next }
      if (text ~ /^(path|report_paths|junit): /) { sub(/^[a-z_]+: /, "", text); print j "\tpublish\t" text; next }
      if (text ~ /^paths:$/) { mode = "list"; listind = ind; kind = "publish"; next }
    }
  ' "$1"
}

# run_job FILE JOB: runs the job's commands in the repo copy; its publish paths must exist afterwards.
run_job() {
  local file=$1 job=$2 kind text step=0 port
  local dir="$work/jobs/$(basename "$file" .yml)-$job"
  mkdir -p "$dir"
  port=$(free_port)
  rm -rf "$work/repo/results" "$work/repo/bookd.pid" "$work/repo/bookd.log"
  : >"$dir/env.sh"
  : >"$work/github_path"
  {
    echo "export HOME='$work/home' RUNNER_TEMP='$work/runner-temp' CI_PROJECT_DIR='$work/repo'"
    echo "export GITHUB_PATH='$work/github_path'"
  } >>"$dir/env.sh"
  local scripts=() publish=() after=""
  while IFS=$'\t' read -r _ kind text; do
    case $kind in
    env) echo "export $(printf '%q' "$text")" >>"$dir/env.sh" ;;
    step) step=$((step + 1)); scripts+=("$dir/step$step.sh"); : >"$dir/step$step.sh" ;;
    line)
      if [ $step = 0 ]; then step=1; scripts+=("$dir/step1.sh"); : >"$dir/step1.sh"; fi
      printf '%s\n' "$text" >>"$dir/step$step.sh" ;;
    after) after+="$text"$'\n' ;;
    publish) publish+=("$text") ;;
    skip) echo "test_ci_examples: $(basename "$file") $job: skipped (ci-only): $text" ;;
    esac
  done < <(extract "$file" | awk -F'\t' -v j="$job" '$1 == j')
  echo "export SERVICE_PORT=$port" >>"$dir/env.sh"
  [ ${#scripts[@]} -gt 0 ] || fail "$(basename "$file") $job: no commands found"
  local rc=0 s out="$dir/output.log"
  for s in "${scripts[@]}"; do
    echo "test_ci_examples: $(basename "$file") $job: $(head -n 1 "$s")"
    (
      cd "$work/repo"
      source "$dir/env.sh"
      while IFS= read -r p; do [ -n "$p" ] && PATH="$p:$PATH"; done <"$work/github_path"
      export PATH
      bash --noprofile --norc -eo pipefail "$s"
    ) >>"$out" 2>&1 || { rc=$?; break; }
  done
  if [ -n "$after" ]; then
    printf '%s' "$after" >"$dir/after.sh"
    (cd "$work/repo" && source "$dir/env.sh" && export PATH="$work/home/.local/bin:$PATH" &&
      bash --noprofile --norc -e "$dir/after.sh") >>"$out" 2>&1 || { [ "$rc" != 0 ] || rc=1; }
  fi
  if [ "$rc" != 0 ]; then
    tail -n 40 "$out" >&2
    [ -f "$work/repo/bookd.log" ] && { echo "--- the job's bookd.log:" >&2; tail -n 20 "$work/repo/bookd.log" >&2; }
    fail "$(basename "$file") $job failed (exit $rc) in $s"
  fi
  for p in "${publish[@]}"; do
    [ -e "$work/repo/$p" ] || fail "$(basename "$file") $job publishes $p, which the job did not write"
    case $p in *junit*.xml) grep -q "<testcase " "$work/repo/$p" || fail "$p holds no test case" ;; esac
  done
  # The stop step sent SIGTERM; bookd finishes what is in flight first, so give it 10 s to be gone.
  if [ -f "$work/repo/bookd.pid" ]; then
    for ((i = 0; i < 100; i++)); do
      kill -0 "$(cat "$work/repo/bookd.pid")" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$(cat "$work/repo/bookd.pid")" 2>/dev/null && fail "$(basename "$file") $job left its service running"
  fi
  echo "test_ci_examples: $(basename "$file") $job: ok (${#scripts[@]} steps, published: ${publish[*]:-nothing})"
}

for file in "$@"; do
  jobs=$(extract "$file" | cut -f1 | awk '!seen[$0]++')
  [ -n "$jobs" ] || fail "$file: no jobs with commands"
  for job in $jobs; do
    run_job "$file" "$job"
  done
done
echo "test_ci_examples: ok"
