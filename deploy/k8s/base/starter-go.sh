#!/bin/sh
# The starter's release gate, as a busybox httpd CGI script (k6-operator's starter releases paused runners
# the same way, once all are ready). Every segment polls GET /cgi-bin/go?segment=K&count=N once its
# requests are prepared; each poll marks segment K ready. Until all N have reported the answer is 503, from
# then on 200, so every segment is released within one poll interval (10 ms) of the last one being ready.
dir=${READY_DIR:-/tmp/ready}
mkdir -p "$dir"
k=$(echo "$QUERY_STRING" | sed -n 's/.*segment=\([0-9]*\).*/\1/p')
n=$(echo "$QUERY_STRING" | sed -n 's/.*count=\([0-9]*\).*/\1/p')
if [ -z "$k" ] || [ -z "$n" ]; then
  printf 'Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nexpected ?segment=K&count=N\n'
  exit 0
fi
[ -e "$dir/go" ] || touch "$dir/$k"
ready=$(ls "$dir" | grep -c '^[0-9][0-9]*$')
if [ -e "$dir/go" ] || [ "$ready" -ge "$n" ]; then
  touch "$dir/go"
  printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\ngo\n'
else
  printf 'Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n%s of %s ready\n' "$ready" "$n"
fi
