#!/usr/bin/env bash
# Runs the README's test command N times on an idle machine, then N times with every core
# busy (stress-ng --cpu 0), and prints one line per run: a test suite earns its place only if
# it passes whatever the machine's speed. Usage: scripts/test_runs.sh [N]   (default 5)
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-5}"
command -v stress-ng >/dev/null || apt-get install -y -q stress-ng >/dev/null
cargo test --no-run --quiet 2>/dev/null
run() {
    local label="$1" i="$2" start end rc
    start=$(date +%s)
    cargo test --quiet > "target/test-run-$label-$i.log" 2>&1
    rc=$?
    end=$(date +%s)
    passed=$(grep -Eo "[0-9]+ passed" "target/test-run-$label-$i.log" | awk '{s+=$1} END {print s}')
    failed=$(grep -Eo "[0-9]+ failed" "target/test-run-$label-$i.log" | awk '{s+=$1} END {print s}')
    echo "$label run $i: exit $rc, $passed passed, $failed failed, $((end - start)) s"
}
for i in $(seq 1 "$n"); do run idle "$i"; done
stress-ng --cpu 0 --timeout 3600s >/dev/null 2>&1 &
stress=$!
sleep 2
for i in $(seq 1 "$n"); do run loaded "$i"; done
kill "$stress" 2>/dev/null
wait "$stress" 2>/dev/null
