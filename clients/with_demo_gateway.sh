#!/usr/bin/env bash
# with_demo_gateway.sh EXECGW COMMAND [ARG...]
# Starts EXECGW --demo on a free loopback port, runs COMMAND with
# EXECGW_SERVER=127.0.0.1:PORT in its environment, then stops the gateway
# (SIGTERM, SIGKILL if it has not exited 15 s later) and exits with
# COMMAND's status. The client tests (clients.python, clients.node) run
# through it, each against a gateway of its own. What the gateway wrote
# is copied to this script's stderr once it has stopped.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 EXECGW COMMAND [ARG...]" >&2
  exit 2
fi
execgw="$1"
shift
logs="$(mktemp -d)"
# Made here, not by the redirections below: those run in the background
# child, which may not have opened them yet when the loop below first
# reads stdout (sed failing on a missing file ends the script, set -e: the
# one CI failure of clients.node, reproduced by delaying the child).
: >"$logs/stdout"
: >"$logs/stderr"
"$execgw" --demo --listen=127.0.0.1:0 >"$logs/stdout" 2>"$logs/stderr" &
gateway=$!

stop() {
  kill -TERM "$gateway" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$gateway" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
  # Everything the gateway wrote, up to its exit, goes into the test's
  # output: for the reader of a failure, and for the suite's secret sweep
  # (scripts/test.sh).
  for stream in stdout stderr; do
    if [ -s "$logs/$stream" ]; then
      echo "with_demo_gateway: the gateway's $stream:" >&2
      cat "$logs/$stream" >&2
    fi
  done
  rm -rf "$logs"
}
trap stop EXIT

# main prints "execgw: serving N backend(s) on port P" once it listens.
port=""
for _ in $(seq 300); do
  port="$(sed -n 's/^execgw: serving .* on port \([0-9][0-9]*\)$/\1/p' "$logs/stdout")"
  if [ -n "$port" ]; then break; fi
  if ! kill -0 "$gateway" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "with_demo_gateway: $execgw --demo did not start serving; its stderr:" >&2
  cat "$logs/stderr" >&2
  exit 1
fi

status=0
EXECGW_SERVER="127.0.0.1:$port" "$@" || status=$?
exit "$status"
