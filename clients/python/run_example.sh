#!/usr/bin/env bash
# Starts the built server on a free loopback port, runs example.py against it, stops the server
# with SIGTERM and exits with the example's status (CI: .ci/run).
#   clients/python/run_example.sh [BINARY]     (default: target/debug/tariff-impact)
# Run clients/python/generate.sh first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/tariff-impact}"
log="$root/target/python-example-server.log"
mkdir -p "$root/target"

# Port 0: the system picks a free port; the server's "serving tariff.v1" log line names it.
"$bin" serve --listen 127.0.0.1:0 --json-logs >"$log" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT

addr=""
for _ in $(seq 300); do
    line="$(grep -m1 '"serving tariff.v1"' "$log" || true)"
    addr="$(sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' <<<"$line")"
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "the server exited before serving" >&2; exit 1; }
    sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "the server did not log its address in 30 s" >&2; exit 1; }
echo "server pid $pid at $addr (log: target/python-example-server.log)"

status=0
python3 "$here/example.py" "$addr" || status=$?

trap - EXIT
kill -TERM "$pid"
wait "$pid" || echo "server exited with $? after SIGTERM" >&2
exit "$status"
