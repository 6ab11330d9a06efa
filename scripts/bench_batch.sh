#!/usr/bin/env bash
# Batch benchmark: throughput (products/s) and server memory for one CalculateBatch stream of
# N products (default 100,000) against a release build on 127.0.0.1. Samples the server's RSS
# every second while the stream runs (flat memory = flow control working) and reports its
# peak (VmHWM). Usage: scripts/bench_batch.sh [N] [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
PORT="${2:-50071}"
cargo build --release --quiet --bin tariff-impact --example batch_load
./target/release/tariff-impact serve --listen "127.0.0.1:$PORT" >/tmp/bench-batch-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 1
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
echo "server RSS before: $(rss) KiB"
( while kill -0 $SERVER 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 1; done ) >/tmp/bench-batch-rss.log &
SAMPLER=$!
./target/release/examples/batch_load "http://127.0.0.1:$PORT" "$N"
kill $SAMPLER 2>/dev/null || true
echo "server RSS samples during the stream (KiB): $(awk '{print $2}' /tmp/bench-batch-rss.log | tr '\n' ' ')"
echo "server RSS after: $(rss) KiB; peak (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$SERVER/status) KiB"
