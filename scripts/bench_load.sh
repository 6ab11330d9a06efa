#!/usr/bin/env bash
# Load benchmark: CalculateImpact on an EV-sized inline request against two echoes on the same
# server process and stack, driven by h2load over loopback with the same concurrency: `Echo`
# (the request back, about 1.6 KB each way) and `EchoAnswer` (the full view's own answer bytes,
# encoded once: the same bytes in and out as CalculateImpact, no calculation). Prints
# requests/s, p50/p99 latency and the server's peak RSS, then an overload run, and ends with
# the two ratios of issue 16's goals: `full view / equal-size echo: N%` and
# `summary view / echo: N%`.
# Usage: scripts/bench_load.sh [REQUESTS] [CONNECTIONS] [STREAMS_PER_CONNECTION] [PORT]
# Needs h2load (apt-get install nghttp2-client).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"; C="${2:-4}"; M="${3:-8}"; PORT="${4:-50072}"
OUT=target/bench-load
mkdir -p "$OUT"
cargo build --release --quiet --bin tariff-impact --example grpc_payload
./target/release/examples/grpc_payload "$OUT" >/dev/null
RUST_LOG=warn ./target/release/tariff-impact serve --listen "127.0.0.1:$PORT" --bench-echo \
  --max-concurrent-calls 1024 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 1

run() { # name path payload
  local name=$1 path=$2 payload=$3
  # Warm-up, then the measured run with a per-request log (h2load appends: start afresh).
  rm -f "$OUT/$name.log"
  h2load -n 2000 -c "$C" -m "$M" -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
    -d "$payload" "http://127.0.0.1:$PORT$path" >/dev/null
  h2load -n "$N" -c "$C" -m "$M" -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
    -d "$payload" --log-file="$OUT/$name.log" "http://127.0.0.1:$PORT$path" >"$OUT/$name.txt"
  python3 - "$name" "$OUT/$name.txt" "$OUT/$name.log" "$N" <<'PY'
import re, sys
name, summary, log, n = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
rps = float(re.search(r"finished in [^,]+, ([0-9.]+) req/s", summary).group(1))
ok = int(re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", summary).group(1))
data = re.search(r"\((\d+)\) data", summary)
lat = sorted(int(l.split("\t")[2]) for l in open(log) if l.strip())
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
per = int(data.group(1)) / max(ok, 1) if data else 0
print(f"{name}\t{rps:.0f}\t{p(0.5):.2f}\t{p(0.99):.2f}\t{ok}/{n}\t{per:.0f}")
PY
}
echo -e "rpc\treq/s\tp50_ms\tp99_ms\tsucceeded\tresponse_bytes"
CALC=$(run calculate /tariff.v1.CostImpactService/CalculateImpact "$OUT/calculate.bin")
SUMMARY=$(run calculate-summary /tariff.v1.CostImpactService/CalculateImpact "$OUT/calculate-summary.bin")
ECHO=$(run echo /tariff.bench.v1.EchoService/Echo "$OUT/echo.bin")
ANSWER=$(run echo-answer /tariff.bench.v1.EchoService/EchoAnswer "$OUT/echo.bin")
echo "$CALC"; echo "$SUMMARY"; echo "$ECHO"; echo "$ANSWER"
RATIOS=$(python3 - "$CALC" "$SUMMARY" "$ECHO" "$ANSWER" <<'PY'
import sys
c, s, e, a = (float(x.split("\t")[1]) for x in sys.argv[1:5])
print(f"full view / equal-size echo: {100 * c / a:.1f}%")
print(f"summary view / echo: {100 * s / e:.1f}%")
PY
)
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$SERVER/status) KiB"

# Overload: a second server gated at 1 concurrent calculation, driven with 2 concurrent streams
# on 2 connections (2x its limit). Excess calls are shed at once (RESOURCE_EXHAUSTED, an empty
# body) instead of queueing, so memory must stay flat; RSS is sampled every 200 ms.
OPORT=$((PORT + 1))
RUST_LOG=error ./target/release/tariff-impact serve --listen "127.0.0.1:$OPORT" --max-concurrent-calls 1 \
  >"$OUT/overload-server.log" 2>&1 &
OSERVER=$!
trap 'kill $SERVER $OSERVER 2>/dev/null || true' EXIT
sleep 1
BEFORE=$(awk '/VmRSS/ {print $2}' "/proc/$OSERVER/status")
( while kill -0 $OSERVER 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$OSERVER/status"; sleep 0.2; done ) >"$OUT/overload-rss.log" &
SAMPLER=$!
h2load -n "$N" -c 2 -m 1 -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
  -d "$OUT/calculate.bin" "http://127.0.0.1:$OPORT/tariff.v1.CostImpactService/CalculateImpact" >"$OUT/overload.txt"
kill $SAMPLER 2>/dev/null || true
python3 - "$OUT/overload.txt" "$OUT/calculate.txt" "$OUT/overload-rss.log" "$BEFORE" "$N" <<'PY'
import re, sys
over, full, rss, before, n = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
data = lambda t: int(re.search(r"\((\d+)\) data", t).group(1))
done = lambda t: int(re.search(r"(\d+) succeeded", t).group(1))
per_answer = data(full) / done(full)
answered = round(data(over) / per_answer)
samples = [int(x) for x in open(rss) if x.strip()]
rps = float(re.search(r"([0-9.]+) req/s", over).group(1))
print(f"overload (2 streams, limit 1): {rps:.0f} calls/s, {answered} answered, {n - answered} shed at once; "
      f"RSS before {before} KiB, during {min(samples)}-{max(samples)} KiB")
PY
echo "overload server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$OSERVER/status) KiB"
echo "$RATIOS"
