#!/usr/bin/env bash
# Re-makes, one at a time, the eight one-line mistakes of issue 8 and runs the tests that
# should catch each one; prints CAUGHT or MISSED per mistake and restores the file.
# Usage: scripts/mistakes.sh            (from the repository root; the tree must be clean)
set -uo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet -- src; then
    echo "src/ has uncommitted changes; commit or stash them first" >&2
    exit 2
fi
# file | exact text | replacement | tests to run (cargo test args)
mistakes=(
    "src/engine/incentive.rs|share <= inc.max_restricted_share|share < inc.max_restricted_share|--test scenario_analysis incentive"
    "src/engine/incentive.rs|let in_force = inc.window.contains(date);|let in_force = true;|--test scenario_analysis incentive"
    "src/engine/model.rs|&& !self.excluded_origins.contains(&import.origin)|&& true|--test calculation_rules"
    "src/engine/model.rs|&& !self.exempt_origins.contains(&import.origin)|&& true|--test calculation_rules"
    "src/api/batch.rs|map.entry(m.currency.clone())|map.entry(String::from(\"USD\"))|--test scenario_analysis batch"
    "src/engine/sensitivity.rs|let converged = up_ok && low_ok;|let converged = true;|--test scenario_analysis sensitivity"
    "src/engine/costing.rs|*scenario_price|*baseline_price|--test calculation_rules"
    "src/engine/money.rs|RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven|RoundingMode::HalfEven => RoundingStrategy::MidpointTowardZero|--test calculation_rules"
)
missed=0
for m in "${mistakes[@]}"; do
    IFS='|' read -r file from to tests <<<"$m"
    plain_from=$from
    plain_to=$to
    if ! grep -qF "$plain_from" "$file"; then
        echo "SETUP FAILED: '$plain_from' not in $file" >&2
        missed=$((missed + 1))
        continue
    fi
    python3 - "$file" "$plain_from" "$plain_to" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(old, new, 1))
PY
    # shellcheck disable=SC2086
    if ! cargo test -q --no-run $tests >/tmp/mistake.log 2>&1; then
        echo "BROKEN  $file: the mistake does not compile (see /tmp/mistake.log)"
        missed=$((missed + 1))
    elif cargo test -q $tests >/tmp/mistake.log 2>&1; then
        echo "MISSED  $file: '$plain_from' -> '$plain_to'"
        missed=$((missed + 1))
    else
        echo "CAUGHT  $file: '$plain_from' -> '$plain_to' ($(grep -m1 -oE '^test [a-z0-9_]+ \.\.\. FAILED|^    [a-z0-9_]+$' /tmp/mistake.log | head -1 | xargs))"
    fi
    git checkout -q -- "$file"
done
echo "missed: $missed of ${#mistakes[@]}"
exit $((missed > 0))
