#!/usr/bin/env python3
"""Prints the numbers of a CostImpactService answer as a short table.

Reads the JSON grpcurl prints (CalculateImpact, CompareScenarios or AnalyzeSensitivity) on
standard input and prints, per result: the baseline and scenario unit cost, the delta and its
percent, the effect split, the annual impact when a volume was given, and every measure or
fee and every material whose amount moved. `--lines` adds every BOM line whose amount moved, with its delta as a
percent of its own baseline (for a BOM of several imported products read line by line).
Every figure is a field of the answer, except that line percent (exact decimal division,
rounded half-up to 0.01): the table is only shorter.

Usage: grpcurl ... | scripts/impact_summary.py [--lines]
"""
import json
import sys
from decimal import ROUND_HALF_UP, Decimal


def money(m):
    return m["amount"] if m else "-"


def result(name, r, lines):
    e = r["effects"]
    out = [f"{name}: baseline {money(r['baselineUnitCost'])}, scenario {money(r['scenarioUnitCost'])}, "
           f"delta {money(r['delta'])} ({r.get('deltaPercent', '-')}%)",
           f"  price effect {money(e['priceEffect'])}, tariff effect {money(e['tariffEffect'])}, "
           f"interaction {money(e['interaction'])}"]
    if r.get("stockpile"):
        out.append(f"  stockpile: {r['stockpile']['formula']}")
    if r.get("annualImpact"):
        out.append(f"  annual impact {money(r['annualImpact'])}")
    for m in r.get("measures", []):
        if m["delta"]["amount"].strip("0.-"):
            out.append(f"  measure {m['measureId']}: {money(m['baselineAmount'])} -> "
                       f"{money(m['scenarioAmount'])} ({money(m['delta'])})")
    for m in r.get("materials", []):
        if m["delta"]["amount"].strip("0.-"):
            out.append(f"  material {m['materialId']}: {money(m['baselineCost'])} -> "
                       f"{money(m['scenarioCost'])} ({money(m['delta'])})")
    if lines:
        for line in r.get("lines", []):
            base, delta = line["baseline"]["total"]["amount"], line["delta"]["amount"]
            if delta.strip("0.-"):
                pct = "-"
                if base.strip("0.-"):
                    pct = str((Decimal(delta) / Decimal(base) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)) + "%"
                out.append(f"  line {line['path']}: {base} -> {line['scenario']['total']['amount']} "
                           f"({delta}, {pct})")
    return out


def sensitivity(r):
    out = result("base", r["base"], False)
    out.append(f"  delta bounds {money(r['deltaLowerBound'])} .. {money(r['deltaUpperBound'])} "
               f"(all low {money(r['deltaAllLow'])}, all high {money(r['deltaAllHigh'])})")
    for bar in r.get("tornado", []):
        out.append(f"  input {bar['name']}: {money(bar['deltaAtLow'])} .. {money(bar['deltaAtHigh'])}")
    return out


def main():
    lines = "--lines" in sys.argv[1:]
    text = sys.stdin.read()
    if not text.strip():
        sys.exit("impact_summary: no answer on standard input (did the call fail?)")
    doc = json.loads(text)
    if "scenarios" in doc:
        out = []
        for s in doc["scenarios"]:
            out += result(s["name"], s["result"], lines)
    elif "tornado" in doc:
        out = sensitivity(doc)
    else:
        out = result("result", doc, lines)
    print("\n".join(out))


if __name__ == "__main__":
    main()
