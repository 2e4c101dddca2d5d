#!/bin/sh
# Turns one docs/*.md file into a section-5 manual page (the docs are the one source of truth):
#   md2man.sh DOC.md OUT.5 PAGE-NAME "one-line description" VERSION
# go-md2man writes each markdown table as a tbl table of plain cells, which cannot wrap and overflow the
# 78-column page (groff -ww: "table wider than line width"); the awk pass makes every cell a text
# block (T{ ... T}; go-md2man makes long ones so itself) in expandable, left-adjusted columns so tbl
# wraps them, and the perl pass lets camelCase names (cancelledStatuses) break between words there.
set -eu
doc=$1 out=$2 name=$3 desc=$4 version=$5
upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
{
  printf '%% %s 5 "" "bookrace %s" "File Formats"\n\n# NAME\n\n%s - %s\n\n' "$upper" "$version" "$name" "$desc"
  cat "$doc"
} | go-md2man | awk '
  /^\.TS/ { intable = 1; fmt = 0; print ".ad l"; print; next }
  /^\.TE/ { intable = 0; print; print ".ad b"; next }
  intable && !fmt && /\.$/ {
    fmt = 1; n = split(substr($0, 1, length($0) - 1), cols, " ")
    line = ""; for (i = 1; i <= n; i++) line = line (i > 1 ? " " : "") "lx"
    print line " ."; next
  }
  intable && fmt && /\t/ {
    n = split($0, cells, "\t"); line = ""
    for (i = 1; i <= n; i++) {
      c = cells[i]
      if (c != "" && c != "T{" && c !~ /^T}/) c = "T{\n" c "\nT}"
      line = line (i > 1 ? "\t" : "") c
    }
    print line; next
  }
  { print }
' | perl -pe 'if (/^\.TS/../^\.TE/) { s/(?<=[a-z]{3})(?=[A-Z][a-z])/\\:/g unless /^\./ }' > "$out.tmp"
mv "$out.tmp" "$out"
