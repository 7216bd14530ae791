#!/usr/bin/env bash
# Smoke test of a netkit executable, run the way a user runs it:
#   1. --version prints "netkit X.Y.Z ...";
#   2. serve-files plus client put, ls and get: the bytes come back the same,
#      and the server exits 0 on SIGTERM;
#   3. http answers curl (skipped, with a message, when this netkit has no
#      http command).
#
# Usage: scripts/smoke.sh NETKIT [ARGS...]
#   NETKIT [ARGS...] is the command that runs netkit, e.g.
#     scripts/smoke.sh dist/netkit-x86_64-unknown-linux-gnu
#     scripts/smoke.sh deno run --unstable-net --unstable-worker-options -A main.ts
#
# Needs bash (3.2 or later), curl, cmp, mkfifo. Talks to 127.0.0.1 only.
# Every server it starts is stopped by PID on exit. Exit 0 when all passed.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 NETKIT [ARGS...]" >&2
  exit 2
fi
netkit=("$@")
export NO_COLOR=1
unset NETKIT_TOKEN

work=$(mktemp -d "${TMPDIR:-/tmp}/netkit-smoke.XXXXXX")
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'smoke: %s\n' "$*"; }
fail() {
  printf 'smoke: FAIL: %s\n' "$*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; cat "$log" >&2; }
  done
  exit 1
}

# start_server FD NAME ARGS...: runs `netkit ARGS` in the background with its
# stderr on a FIFO read through file descriptor FD, waits for the line that
# announces " on HOST:PORT" (no sleeping), then keeps draining it into
# NAME.log. Sets PORT and SERVER_PID.
start_server() {
  local fd=$1 name=$2
  shift 2
  local fifo="$work/$name.fifo" log="$work/$name.log" line
  local announce=' on (\[[^]]+\]|[^[:space:]:]+):([0-9]+)'
  mkfifo "$fifo"
  "${netkit[@]}" "$@" 2>"$fifo" >/dev/null </dev/null &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  eval "exec $fd<\"\$fifo\""
  PORT=""
  while IFS= read -r -t 30 line <&"$fd"; do
    printf '%s\n' "$line" >>"$log"
    if [[ $line =~ $announce ]]; then
      PORT=${BASH_REMATCH[2]}
      break
    fi
  done
  [ -n "$PORT" ] || fail "$name: the server never announced its port"
  cat <&"$fd" >>"$log" &
  eval "exec $fd<&-"
}

# stop_server PID NAME: SIGTERM, then the exit status must be 0.
stop_server() {
  local status=0
  kill -TERM "$1"
  wait "$1" || status=$?
  [ "$status" -eq 0 ] || fail "$2: exit status $status after SIGTERM, expected 0"
}

# 1. --version
version=$("${netkit[@]}" --version) || fail "--version exited non-zero"
[[ $version =~ ^netkit\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "--version printed '$version'"
say "version: $version"

# 2. serve-files and the client
mkdir "$work/lib"
head -c 300000 /dev/urandom >"$work/src.bin"
start_server 3 serve-files serve-files --root "$work/lib" --host 127.0.0.1 --port 0
files="127.0.0.1:$PORT"
"${netkit[@]}" client "$files" put "$work/src.bin" up.bin >/dev/null ||
  fail "client put failed"
listing=$("${netkit[@]}" client "$files" ls) || fail "client ls failed"
[[ $listing == *up.bin* ]] || fail "client ls does not show up.bin: $listing"
"${netkit[@]}" client "$files" get up.bin "$work/back.bin" >/dev/null ||
  fail "client get failed"
cmp -s "$work/src.bin" "$work/back.bin" || fail "the downloaded bytes differ"
cmp -s "$work/src.bin" "$work/lib/up.bin" || fail "the uploaded file differs on the server"
stop_server "$SERVER_PID" serve-files
say "serve-files: put, ls and get round trip of 300000 bytes ok; SIGTERM exits 0"

# 3. http, where this netkit has it
help=$("${netkit[@]}" --help) || fail "--help exited non-zero"
if ! grep -Eq '^ +http +' <<<"$help"; then
  say "http: SKIPPED: this netkit has no http command"
else
  mkdir "$work/www"
  printf 'hello from netkit\n' >"$work/www/index.html"
  cp "$work/src.bin" "$work/www/data.bin"
  start_server 4 http http --root "$work/www" --host 127.0.0.1 --port 0
  base="http://127.0.0.1:$PORT"
  body=$(curl -fsS --max-time 10 "$base/") || fail "http: GET / failed"
  [ "$body" = "hello from netkit" ] || fail "http: GET / answered '$body'"
  curl -fsS --max-time 10 -o "$work/http.bin" "$base/data.bin" || fail "http: GET /data.bin failed"
  cmp -s "$work/src.bin" "$work/http.bin" || fail "http: /data.bin bytes differ"
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$base/missing") || true
  [ "$code" = 404 ] || fail "http: /missing answered $code, expected 404"
  stop_server "$SERVER_PID" http
  say "http: GET /, a 300000-byte file and a 404 answered curl; SIGTERM exits 0"
fi

say "all passed"
