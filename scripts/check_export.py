#!/usr/bin/env python3
"""Checks the flat exports as a spreadsheet user would read them (issue 11): `calc --format
csv` read with the csv module and `calc --format xlsx` opened with openpyxl must add up to the
totals of the JSON response of the same calculation (`calc --format json`), to the cent.

For each case (the seed report's example, the README's preset example, a CSV BOM whose
descriptions look like formulas and whose deltas are negative, and a component priced in JPY
in a USD BOM with two FX decks and freight, insurance and brokerage), on each of baseline,
scenario and delta:
  - the `line` rows, and the `charge` rows, plus the `credits` total make the unit cost;
  - the `duty` charges make the duties subtotal, the `fee` charges the fees, the `freight`,
    `insurance` and `brokerage` charges the subtotals of those names, the `measure` rows
    duties and fees, the `material` rows the materials subtotal;
  - there is one `line` row per line of the response, and the `unit_cost` row carries the
    response's exact values;
  - the `price_effect`, `fx_effect`, `tariff_effect` and `interaction` rows are the
    response's effects and add up to the delta (for the FX case: fx_effect -6.38 by hand,
    the others 0.00);
and in the workbook, every amount is a number with a currency number format and every exact
value is text; in the CSV, text that starts like a formula is escaped and numbers are not.

A CompareScenarios result (`calc` costs one scenario) is fetched from the server's HTTP/JSON
route as JSON, as CSV (`Accept: text/csv`) and as XLSX (`Accept` the workbook type): each
scenario's rows, told apart by `scenario_name` and `scenario_rank`, must add up to that
scenario's result as above (a scenario named like a formula is escaped in the CSV).

Usage: scripts/check_export.py PATH_TO_TARIFF_IMPACT_BINARY   (needs openpyxl)
Prints each case's result and exits non-zero on any failure.
"""
import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal

import openpyxl

SEED = {
    "bom": {"id": "ev-seed-example", "currency": "USD", "items": [
        {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
        {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
    "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
    "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"},
}
PRESET = {
    "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
    "scenarioPricesId": "ree-post-restriction", "baselineScheduleId": "us-2025",
    "scenarioScheduleId": "us-2026",
    "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "annualVolume": "100000"},
}
# A sensor priced 15,000 JPY in a USD BOM, imported under FOB with freight 50, insurance 5
# and brokerage 2.50 USD per piece, MFN 2.1%; 1 USD = 150 JPY in the baseline, 160 in the
# scenario. By hand: goods 100.00 -> 93.75, duty 2.10 -> 1.97 (2.1% x 93.75 = 1.96875), unit
# cost 159.60 -> 153.22, delta -6.38, all of it the FX effect.
def usd_jpy(deck_id, jpy):
    return {"id": deck_id, "name": deck_id, "asOfDate": "2026-01-02", "source": "hand-made",
            "rates": [{"baseCurrency": "USD", "quoteCurrency": "JPY", "rate": jpy}]}


FX = {
    "bom": {"id": "jp-sensor", "currency": "USD", "items": [
        {"id": "sensor", "unitPrice": "15000", "priceCurrency": "JPY",
         "import": {"htsCode": "9026.10.2000", "origin": "JP", "transportMode": "TRANSPORT_MODE_OCEAN",
                    "incoterm": "INCOTERM_FOB", "freight": "50", "insurance": "5", "brokerage": "2.50"}}]},
    "baselinePrices": {"id": "none", "currency": "USD"},
    "baselineSchedule": {"id": "mfn-only", "currency": "USD", "measures": [
        {"id": "mfn-9026", "program": "PROGRAM_MFN", "htsPrefixes": ["9026"],
         "rate": {"adValoremPercent": "2.1"}}]},
    "baselineFx": usd_jpy("usd-jpy-150", "150"),
    "scenarioFx": usd_jpy("usd-jpy-160", "160"),
    "options": {"entryDate": "2026-03-02"},
}
FX_BY_HAND = {"unit_cost": ("159.60", "153.22", "-6.38"), "freight": ("50.00", "50.00", "0.00"),
              "insurance": ("5.00", "5.00", "0.00"), "brokerage": ("2.50", "2.50", "0.00"),
              "price_effect": (None, None, "0.00"), "fx_effect": (None, None, "-6.38"),
              "tariff_effect": (None, None, "0.00"), "interaction": (None, None, "0.00")}
SUBTOTALS = ("materials", "components", "freight", "insurance", "brokerage", "duties", "fees",
             "credits")
EFFECTS = (("price_effect", "priceEffect"), ("fx_effect", "fxEffect"),
           ("tariff_effect", "tariffEffect"), ("interaction", "interaction"))
HOSTILE_CSV = """path,description,material_id,quantity,unit,unit_price,hts_code,origin,transport_mode
motor,=SUM(A1:A9),,1,,,,,
motor/magnets,"@magnets, from China",,1,,,8505.11.0070,CN,ocean
motor/magnets/nd,-Nd oxide,nd-oxide,1.8,kg,,,,
motor/magnets/dy,+Dy oxide,dy-oxide,0.2,kg,,,,
motor/magnets/conversion,Sintering,,,,45.00,,,
"""
HOSTILE_ARGS = ["--baseline-prices", "ree-post-restriction", "--scenario-prices",
                "ree-pre-restriction", "--baseline-schedule", "us-2026",
                "--entry-date", "2026-03-02", "--units-per-entry", "500"]
SHEETS = ["line", "charge", "measure", "material", "total"]
SIDES = [("baseline", "baselineUnitCost"), ("scenario", "scenarioUnitCost"), ("delta", "delta")]


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def run(binary, args):
    p = subprocess.run([binary, "calc", *args], capture_output=True)
    if p.returncode != 0:
        raise Failed(f"calc {' '.join(args)}: exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout


def expected(resp):
    """Per column (baseline, scenario, delta): the response's unit cost and subtotals."""
    subtotals = SUBTOTALS
    sides = {
        col: {k: Decimal(resp[totals][k]["amount"]) for k in subtotals}
        for col, totals in (("baseline", "baselineTotals"), ("scenario", "scenarioTotals"))
    }
    sides["delta"] = {k: sides["scenario"][k] - sides["baseline"][k] for k in subtotals}
    for col, unit in SIDES:
        sides[col]["unit_cost"] = Decimal(resp[unit]["amount"])
    return sides


def check_sums(rows, resp, number, where):
    """rows: dicts with table, name, charge_type and the amount columns; number(cell) -> cents
    as a Decimal (the CSV's decimals exactly, the workbook's floats to the cent)."""
    want = expected(resp)
    by = lambda t: [r for r in rows if r["table"] == t]
    expect(len(by("line")) == len(resp.get("lines", [])), f"{where}: a line row per line")
    totals = {r["name"]: r for r in by("total")}
    for col, _ in SIDES:
        w = want[col]
        s = lambda rs: sum((number(r[col]) for r in rs), Decimal(0))
        credits = number(totals["credits"][col])
        expect(number(totals["unit_cost"][col]) == w["unit_cost"], f"{where}: unit_cost {col}")
        expect(credits == w["credits"], f"{where}: credits {col}")
        expect(s(by("line")) + credits == w["unit_cost"], f"{where}: lines + credits = unit cost ({col})")
        charges = by("charge")
        expect(s(charges) + credits == w["unit_cost"], f"{where}: charges + credits = unit cost ({col})")
        kind = lambda k: [r for r in charges if r["charge_type"] == k]
        expect(s(kind("duty")) == w["duties"], f"{where}: duty charges = duties ({col})")
        expect(s(kind("fee")) == w["fees"], f"{where}: fee charges = fees ({col})")
        for k in ("freight", "insurance", "brokerage"):
            expect(number(totals[k][col]) == w[k], f"{where}: {k} subtotal ({col})")
            expect(s(kind(k)) == w[k], f"{where}: {k} charges = {k} ({col})")
        expect(s(by("measure")) == w["duties"] + w["fees"], f"{where}: measures = duties + fees ({col})")
        expect(s(by("material")) == w["materials"], f"{where}: materials ({col})")
    effects = resp["effects"]
    for name, field in EFFECTS:
        row = totals[name]
        expect(row["baseline"] in ("", None) and row["scenario"] in ("", None),
               f"{where}: {name} is a delta only")
        expect(number(row["delta"]) == Decimal(effects[field]["amount"]),
               f"{where}: {name} = the response's {field}")
    expect(sum((number(totals[n]["delta"]) for n, _ in EFFECTS), Decimal(0)) == want["delta"]["unit_cost"],
           f"{where}: price + fx + tariff + interaction effects = delta")
    unit = totals["unit_cost"]
    for col, field in [("baseline_exact", "baselineUnitCost"), ("scenario_exact", "scenarioUnitCost"),
                       ("delta_exact", "delta")]:
        expect(str(unit[col]) == resp[field]["exact"], f"{where}: unit_cost {col}")


def check_by_hand(rows, number, where):
    """The FX case's totals rows are the ones worked by hand (see FX)."""
    totals = {r["name"]: r for r in rows if r["table"] == "total"}
    for name, want in FX_BY_HAND.items():
        for col, w in zip(("baseline", "scenario", "delta"), want):
            v = totals[name][col]
            if w is None:
                expect(v in ("", None), f"{where}: {name} {col} is empty")
            else:
                expect(number(v) == Decimal(w), f"{where}: {name} {col} {v!r}, by hand {w}")
    kinds = [r["charge_type"] for r in rows if r["table"] == "charge"]
    expect(kinds == ["goods", "freight", "insurance", "brokerage", "duty"],
           f"{where}: charge rows {kinds}")


def csv_rows(data):
    text = data.decode("utf-8")
    expect(text.endswith("\r\n"), "csv: CRLF line ends (RFC 4180)")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def csv_number(cell):
    expect(cell != "" and not cell.startswith("'"), f"csv: {cell!r} is a plain number")
    return Decimal(cell)


def check_csv(data, resp, hostile, by_hand):
    rows = csv_rows(data)
    check_sums(rows, resp, csv_number, "csv")
    if by_hand:
        check_by_hand(rows, csv_number, "csv")
    for r in rows:
        for k in ("path", "description", "measure_id", "name", "scenario_name"):
            expect(not r[k].startswith(("=", "+", "-", "@", "\t", "\r")), f"csv: unescaped {k} {r[k]!r}")
    if hostile:
        lines = {r["path"]: r for r in rows if r["table"] == "line"}
        expect(lines["motor"]["description"] == "'=SUM(A1:A9)", "csv: = escaped")
        expect(lines["motor/magnets"]["description"] == "'@magnets, from China", "csv: @ escaped")
        expect(lines["motor/magnets/nd"]["description"] == "'-Nd oxide", "csv: - escaped")
        expect(lines["motor/magnets/dy"]["description"] == "'+Dy oxide", "csv: + escaped")
        expect(lines["motor/magnets/nd"]["delta"] == "-248.40", "csv: a negative delta is a number")
    return len(rows)


def xlsx_rows(path):
    """Every sheet's rows as dicts, checking amounts are numbers with a currency format and
    exact values text."""
    book = openpyxl.load_workbook(path)
    expect(book.sheetnames == SHEETS, f"xlsx: sheets {book.sheetnames}")
    rows = []
    for name in SHEETS:
        ws = book[name]
        header = [c.value for c in ws[1]]
        for cells in ws.iter_rows(min_row=2):
            row = {"table": name, "name": None, "charge_type": None}
            for h, c in zip(header, cells):
                v = c.value
                if h in ("baseline", "scenario", "delta") and v is not None:
                    expect(isinstance(v, (int, float)), f"xlsx {name}: {h} {v!r} is a number")
                    expect(c.number_format.startswith("#,##0"), f"xlsx {name}: {h} format {c.number_format}")
                if h.endswith("_exact") and v is not None:
                    expect(isinstance(v, str), f"xlsx {name}: {h} {v!r} is text")
                row[h] = v
            rows.append(row)
    return rows


def xlsx_number(v):
    expect(isinstance(v, (int, float)), f"xlsx: {v!r} is a number")
    return Decimal(round(v * 100)) / 100


def check_xlsx(path, resp, hostile, by_hand):
    rows = xlsx_rows(path)
    check_sums(rows, resp, xlsx_number, "xlsx")
    if by_hand:
        check_by_hand(rows, xlsx_number, "xlsx")
    if hostile:
        motor = next(r for r in rows if r["table"] == "line" and r["path"] == "motor")
        expect(motor["description"] == "=SUM(A1:A9)", "xlsx: text is a string cell, kept as given")
    return len(rows)


COMPARE = {
    "bomId": "ev-high-ree", "baselinePricesId": "ree-pre-restriction",
    "baselineScheduleId": "us-2025",
    "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"},
    "scenarios": [
        {"name": "2026 tariffs, prices after restrictions", "pricesId": "ree-post-restriction",
         "scheduleId": "us-2026"},
        {"name": "=2025 tariffs, prices after restrictions", "pricesId": "ree-post-restriction",
         "scheduleId": "us-2025"},
    ],
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post(url, body, accept):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "accept": accept})
    with urllib.request.urlopen(req, timeout=300) as r:
        expect(r.status == 200, f"{url}: HTTP {r.status}")
        return r.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(binary):
    """The server on a free loopback port, once its HTTP routes answer."""
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--read-only-catalog"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/boms", timeout=5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise Failed(f"serve exited with {proc.returncode}")
            time.sleep(0.1)
    proc.kill()
    raise Failed("the server did not answer in 60 s")


def check_compare(base, tmp):
    """Each scenario's rows of the CSV and the workbook add up to its own result."""
    url = base + "/v1/scenarios:compare"
    resp = json.loads(post(url, COMPARE, "application/json"))
    csv_all = csv_rows(post(url, COMPARE, "text/csv"))
    xlsx = os.path.join(tmp, "compare.xlsx")
    with open(xlsx, "wb") as f:
        f.write(post(url, COMPARE, XLSX))
    xlsx_all = xlsx_rows(xlsx)
    expect(len(resp["scenarios"]) == 2, "two scenarios")
    for sc in resp["scenarios"]:
        name, rank = sc["name"], str(sc["rank"])
        shown = "'" + name if name.startswith("=") else name
        sub = [r for r in csv_all if r["scenario_name"] == shown]
        expect(sub and all(r["scenario_rank"] == rank for r in sub), f"csv: rows of {shown!r}, rank {rank}")
        check_sums(sub, sc["result"], csv_number, f"csv {name}")
        sub = [r for r in xlsx_all if r["scenario_name"] == name]
        expect(sub and all(str(r["scenario_rank"]) == rank for r in sub), f"xlsx: rows of {name!r}")
        check_sums(sub, sc["result"], xlsx_number, f"xlsx {name}")
    expect(len(csv_all) == len(xlsx_all), f"{len(csv_all)} CSV rows, {len(xlsx_all)} in the workbook")
    deltas = ", ".join(f"{s['name']}: {s['result']['delta']['amount']}" for s in resp["scenarios"])
    return len(csv_all), deltas


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        def file(name, body):
            p = os.path.join(tmp, name)
            with open(p, "w") as f:
                f.write(body)
            return p

        cases = [
            ("seed example", ["--request", file("seed.json", json.dumps(SEED))], False, False),
            ("preset ev-high-ree us-2025 -> us-2026", ["--request", file("preset.json", json.dumps(PRESET))], False, False),
            ("CSV BOM, formula-like text, falling prices", ["--bom-csv", file("ev.csv", HOSTILE_CSV), *HOSTILE_ARGS], True, False),
            ("JPY component, two FX decks, freight/insurance/brokerage", ["--request", file("fx.json", json.dumps(FX))], False, True),
        ]
        for name, args, hostile, by_hand in cases:
            try:
                resp = json.loads(run(binary, args + ["--format", "json"]))
                n_csv = check_csv(run(binary, args + ["--format", "csv"]), resp, hostile, by_hand)
                xlsx = os.path.join(tmp, "out.xlsx")
                run(binary, args + ["--format", "xlsx", "--output", xlsx])
                n_xlsx = check_xlsx(xlsx, resp, hostile, by_hand)
                expect(n_csv == n_xlsx, f"{n_csv} CSV rows, {n_xlsx} in the workbook")
                print(f"ok   {name}: {n_csv} rows; delta {resp['delta']['amount']} {resp['currency']}, "
                      f"fx_effect {resp['effects']['fxEffect']['amount']}")
            except Failed as e:
                failures += 1
                print(f"FAIL {name}: {e}")
        proc = None
        try:
            proc, base = serve(binary)
            n, deltas = check_compare(base, tmp)
            print(f"ok   CompareScenarios over HTTP (JSON, CSV, XLSX): {n} rows; {deltas}")
        except Failed as e:
            failures += 1
            print(f"FAIL CompareScenarios over HTTP: {e}")
        finally:
            if proc:
                proc.terminate()
                proc.wait()
    total = len(cases) + 1
    print(f"{total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
