#!/usr/bin/env bash
# Scale-out benchmark: N products (default 100,000; EV drive units whose Nd oxide mass varies,
# summary view, the preset decks and schedules) through `tariff-impact batch --servers` over
# 1, 2 and 3 replicas of a release build on 127.0.0.1, each run on fresh replicas. Prints the
# client's report (items answered, per replica, fleet totals) and products per second; the
# fleet totals must be the same for every replica count. Usage: scripts/bench_scale_out.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
BIN=target/release/tariff-impact
cargo build --release --quiet --bin tariff-impact
FILE="$(mktemp -t scale-out-XXXXXX.jsonl)"
python3 - "$N" > "$FILE" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    calc = {"bom": {"id": f"sku-{i}", "currency": "USD", "items": [
        {"id": "drive-unit", "children": [
            {"id": "rotor-magnets", "import": {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"},
             "children": [
                {"id": "nd-oxide", "materialId": "nd-oxide", "quantity": f"{1 + i % 2}.{i % 10}", "unit": "UNIT_OF_MEASURE_KG"},
                {"id": "dy-oxide", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"},
                {"id": "conversion", "unitPrice": "45.00"}]},
            {"id": "stator", "unitPrice": "380.00"}]},
        {"id": "rest", "unitPrice": "38000.00"}]},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "1000",
                    "view": "RESULT_VIEW_SUMMARY"}}
    print(json.dumps({"requestId": f"p{i}", "calculation": calc}))
PY
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -f "$FILE"; }
trap cleanup EXIT
for replicas in 1 2 3; do
    servers=()
    for r in $(seq 1 "$replicas"); do
        port=$((50090 + r))
        $BIN serve --read-only-catalog --listen "127.0.0.1:$port" --instance-id "r$r" \
            >"/tmp/bench-scale-out-r$r.log" 2>&1 &
        PIDS+=($!)
        servers+=("127.0.0.1:$port")
    done
    for s in "${servers[@]}"; do
        for _ in $(seq 1 50); do $BIN health --addr "$s" >/dev/null 2>&1 && break; sleep 0.1; done
    done
    report="$($BIN batch --servers "$(IFS=,; echo "${servers[*]}")" "$FILE")"
    echo "== $replicas replica(s)"
    echo "$report" | python3 -c '
import json, sys
r = json.load(sys.stdin)
line = "answered {}/{}, by replica {}, streams {} (failed {}), total unit delta {}, annual {}"
print(line.format(r["answered"], r["items"], r["by_instance"], r["streams"], r["streams_failed"],
                  r["total_unit_delta"], r["total_annual_impact"]))
print("{:.0f} products/s ({:.2f} s)".format(r["items"] / r["seconds"], r["seconds"]))'
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    PIDS=()
done
