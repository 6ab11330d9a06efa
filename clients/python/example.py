#!/usr/bin/env python3
"""Calls the tariff-impact gRPC server from Python and checks the answers.

    python3 clients/python/example.py 127.0.0.1:50051

Run clients/python/generate.sh first: it writes the Python classes for the protos into
clients/python/gen/. The script prints what it receives and compares the numbers with the ones
the README documents (worked by hand); it exits 1 if any of them differ.

gRPC in three lines: a *channel* is a connection to the server; a *stub* has one Python method
per RPC of a service (stub.CalculateImpact(request)); requests and responses are generated
message classes (pb.CalculateImpactRequest(...)), whose fields are the proto's snake_case names.
All amounts are decimal strings ("315.00"), never floats.
"""
import os
import sys

# The generated code lives in clients/python/gen/ (package tariff.v1).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402  (google.rpc.BadRequest, ...)
from grpc_status import rpc_status  # noqa: E402  (reads google.rpc.Status from an error)

from tariff.v1 import bom_pb2, common_pb2  # noqa: E402
from tariff.v1 import cost_impact_service_pb2 as pb  # noqa: E402
from tariff.v1 import cost_impact_service_pb2_grpc as pb_grpc  # noqa: E402
from tariff.v1 import fx_deck_pb2, overlay_pb2, price_deck_pb2, tariff_schedule_pb2  # noqa: E402

failures = []


def check(what, got, want):
    """Prints one checked value; remembers a mismatch (the script then exits 1)."""
    ok = got == want
    print(f"  {'ok ' if ok else 'BAD'} {what} = {got!r}" + ("" if ok else f", expected {want!r}"))
    if not ok:
        failures.append(what)


def seed_example(stub):
    """1a. The README's seed example: 1.8 kg Nd oxide and 0.2 kg Dy oxide, prices before -> after
    China's 2025 restrictions, no tariff change: 1.8 x (225 - 87) + 0.2 x (485 - 152) = 315.00."""
    print("CalculateImpact: the seed example (inline BOM, preset decks and schedule)")
    kg = common_pb2.UNIT_OF_MEASURE_KG
    request = pb.CalculateImpactRequest(
        bom=bom_pb2.Bom(id="ev-seed-example", currency="USD", items=[
            bom_pb2.BomItem(id="nd", material_id="nd-oxide", quantity="1.8", unit=kg),
            bom_pb2.BomItem(id="dy", material_id="dy-oxide", quantity="0.2", unit=kg),
        ]),
        baseline_prices_id="ree-pre-restriction",
        scenario_prices_id="ree-post-restriction",
        baseline_schedule_id="us-2026",
        options=pb.CalculationOptions(entry_date="2026-03-02"),
    )
    r = stub.CalculateImpact(request, timeout=60)
    check("baseline_unit_cost", r.baseline_unit_cost.amount, "187.00")
    check("scenario_unit_cost", r.scenario_unit_cost.amount, "502.00")
    check("delta", r.delta.amount, "315.00")
    check("delta_percent", r.delta_percent, "168.45")
    check("effects.price_effect", r.effects.price_effect.amount, "315.00")
    check("effects.tariff_effect", r.effects.tariff_effect.amount, "0.00")
    check("effects.interaction", r.effects.interaction.amount, "0.00")
    lines = {line.path: line for line in r.lines}  # one LineResult per BOM item
    check("lines[nd].delta", lines["nd"].delta.amount, "248.40")
    check("lines[dy].delta", lines["dy"].delta.amount, "66.60")


def imported_item(stub):
    """1b. An imported item, and the one field whose name is a Python keyword: BomItem.import.
    A 100.00 USD magnet set from China under us-hts-2026, and a scenario where Section 301 on it
    (measure 9903.91.06) is raised from 25% to 50%: the unit cost rises by 25.00."""
    print("CalculateImpact: an imported item (BomItem.import) and a Section 301 what-if")
    # `import` is a Python keyword: BomItem(import=...) is a syntax error and BomItem(import_=...)
    # is refused ("no import_ field"). Pass it by name in a dict instead, and read it back with
    # getattr(item, "import"). The field keeps its proto name: JSON and every other client call
    # it "import" too.
    declaration = bom_pb2.ImportDeclaration(
        hts_code="8505.11.0070", origin="CN", transport_mode=common_pb2.TRANSPORT_MODE_AIR)
    magnets = bom_pb2.BomItem(id="magnets", unit_price="100", **{"import": declaration})
    declared = getattr(magnets, "import")
    print(f"  the magnets are imported: HTS {declared.hts_code}, origin {declared.origin}"
          f" (HasField: {magnets.HasField('import')})")
    request = pb.CalculateImpactRequest(
        bom=bom_pb2.Bom(id="parts", currency="USD", items=[magnets]),
        baseline_prices=price_deck_pb2.PriceDeck(id="none", currency="USD"),  # no materials
        baseline_schedule_id="us-hts-2026",
        scenario_schedule_overlay=overlay_pb2.ScheduleOverlay(
            id="s301-magnets-50",
            description="Section 301 on Chinese magnets raised to 50%",
            source="what-if: a doubled 9903.91.06",
            set_rates=[overlay_pb2.RateChange(
                measure_id="9903.91.06", rate=tariff_schedule_pb2.Rate(ad_valorem_percent="50"))],
        ),
        options=pb.CalculationOptions(entry_date="2026-03-02", view=pb.RESULT_VIEW_SUMMARY),
    )
    r = stub.CalculateImpact(request, timeout=60)
    check("delta", r.delta.amount, "25.00")
    check("effects.tariff_effect", r.effects.tariff_effect.amount, "25.00")
    measures = {m.measure_id: m for m in r.measures}  # one MeasureResult per duty or fee
    check("measures[9903.91.06].baseline", measures["9903.91.06"].baseline_amount.amount, "25.00")
    check("measures[9903.91.06].scenario", measures["9903.91.06"].scenario_amount.amount, "50.00")
    check("inputs.scenario_schedule.id", r.inputs.scenario_schedule.id,
          "us-hts-2026+s301-magnets-50")


def fx_effect(stub):
    """1c. Two FX decks: a sensor priced 15,000 JPY in a USD BOM, imported from Japan under FOB
    with freight 50 and insurance 5 USD per piece, MFN 2.1%; 1 USD = 150 JPY in the baseline
    deck, 160 in the scenario's (prices and schedule unchanged). By hand: goods 15,000 / 150 =
    100.00 -> 15,000 / 160 = 93.75; duty 2.10 -> 2.1% x 93.75 = 1.96875, 1.97; freight and
    insurance (USD) 50.00 and 5.00 on both sides; unit cost 157.10 -> 150.72: delta -6.38, all
    of it effects.fx_effect."""
    print("CalculateImpact: a JPY-priced component with two FX decks (effects.fx_effect)")

    def usd_jpy(deck_id, jpy):  # 1 USD = jpy JPY
        return fx_deck_pb2.FxDeck(id=deck_id, name=deck_id, as_of_date="2026-01-02",
                                  source="example", rates=[fx_deck_pb2.FxRate(
                                      base_currency="USD", quote_currency="JPY", rate=jpy)])

    declaration = bom_pb2.ImportDeclaration(
        hts_code="9026.10.2000", origin="JP", transport_mode=common_pb2.TRANSPORT_MODE_OCEAN,
        incoterm=bom_pb2.INCOTERM_FOB, freight="50", insurance="5")
    sensor = bom_pb2.BomItem(id="sensor", unit_price="15000", price_currency="JPY",
                             **{"import": declaration})
    request = pb.CalculateImpactRequest(
        bom=bom_pb2.Bom(id="jp-sensor", currency="USD", items=[sensor]),
        baseline_prices=price_deck_pb2.PriceDeck(id="none", currency="USD"),
        baseline_schedule=tariff_schedule_pb2.TariffSchedule(
            id="mfn-only", currency="USD", measures=[tariff_schedule_pb2.Measure(
                id="mfn-9026", program=common_pb2.PROGRAM_MFN, hts_prefixes=["9026"],
                rate=tariff_schedule_pb2.Rate(ad_valorem_percent="2.1"))]),
        baseline_fx=usd_jpy("usd-jpy-150", "150"),
        scenario_fx=usd_jpy("usd-jpy-160", "160"),
        options=pb.CalculationOptions(entry_date="2026-03-02"),
    )
    r = stub.CalculateImpact(request, timeout=60)
    print(f"  effects.fx_effect = {r.effects.fx_effect.amount} {r.effects.fx_effect.currency}")
    check("baseline_unit_cost", r.baseline_unit_cost.amount, "157.10")
    check("scenario_unit_cost", r.scenario_unit_cost.amount, "150.72")
    check("delta", r.delta.amount, "-6.38")
    check("effects.fx_effect", r.effects.fx_effect.amount, "-6.38")
    check("effects.price_effect", r.effects.price_effect.amount, "0.00")
    check("effects.tariff_effect", r.effects.tariff_effect.amount, "0.00")
    check("effects.interaction", r.effects.interaction.amount, "0.00")
    check("totals (freight, insurance)",
          (r.baseline_totals.freight.amount, r.baseline_totals.insurance.amount), ("50.00", "5.00"))
    check("duties", (r.baseline_totals.duties.amount, r.scenario_totals.duties.amount),
          ("2.10", "1.97"))
    check("inputs (baseline_fx, scenario_fx)", (r.inputs.baseline_fx.id, r.inputs.scenario_fx.id),
          ("usd-jpy-150", "usd-jpy-160"))


def bad_request(stub):
    """2. Bad input: the server answers INVALID_ARGUMENT with a google.rpc.BadRequest in the
    status details, naming every bad field by its path in the request."""
    print("CalculateImpact with two bad fields: decoding google.rpc.BadRequest")
    request = pb.CalculateImpactRequest(
        bom_id="ev-high-ree",
        baseline_prices_id="ree-pre-restriction",
        baseline_schedule_id="us-2026",
        options=pb.CalculationOptions(entry_date="2026-02-30", units_per_entry="1.5"),
    )
    try:
        stub.CalculateImpact(request, timeout=60)
        failures.append("bad request: no error")
        print("  BAD the call succeeded")
        return
    except grpc.RpcError as err:  # a failed call raises grpc.RpcError (also a grpc.Call)
        check("code", err.code().name, "INVALID_ARGUMENT")
        print(f"  message: {err.details()}")
        status = rpc_status.from_call(err)  # google.rpc.Status, or None without details
    violations = []
    for detail in status.details if status else []:  # each detail is a google.protobuf.Any
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend(bad.field_violations)
    for v in violations:
        print(f"  field {v.field}: {v.description} ({v.reason})")
    check("violated fields", [v.field for v in violations],
          ["options.entry_date", "options.units_per_entry"])
    check("first description", violations[0].description if violations else None,
          '"2026-02-30" is not a valid date YYYY-MM-DD')
    check("reasons", [v.reason for v in violations], ["INVALID_VALUE", "OUT_OF_RANGE"])


def batch(stub):
    """3. CalculateBatch, a bidirectional stream: send requests (any iterator of them), read one
    response per request (same request_id; a bad item gets its own error and the stream goes
    on), then, once the requests are all sent, a summary with counts and fleet totals."""
    print("CalculateBatch: three EVs, one with a typo in its entry date")

    def item(request_id, bom_id, entry_date):
        calculation = pb.CalculateImpactRequest(
            bom_id=bom_id,
            baseline_prices_id="ree-pre-restriction",
            scenario_prices_id="ree-post-restriction",
            baseline_schedule_id="us-2026",
            options=pb.CalculationOptions(entry_date=entry_date, annual_volume="50000"),
        )
        return pb.CalculateBatchRequest(request_id=request_id, calculation=calculation)

    requests = [
        item("ev-low", "ev-low-ree", "2026-03-02"),
        item("ev-typo", "ev-high-ree", "2026-13-02"),  # month 13: this one fails on its own
        item("ev-high", "ev-high-ree", "2026-03-02"),
    ]
    results, errors, summary = {}, {}, None
    for response in stub.CalculateBatch(iter(requests), timeout=120):
        outcome = response.WhichOneof("outcome")  # "result", "error" or "summary"
        if outcome == "result":
            results[response.request_id] = response.result
            print(f"  {response.request_id}: delta {response.result.delta.amount}")
        elif outcome == "error":
            errors[response.request_id] = response.error
            print(f"  {response.request_id}: {response.error.code} {response.error.message}")
        else:
            summary = response.summary
    check("answered", (sorted(results), sorted(errors)), (["ev-high", "ev-low"], ["ev-typo"]))
    for request_id, delta in (("ev-low", "216.13"), ("ev-high", "432.26")):
        got = results[request_id].delta.amount if request_id in results else None
        check(f"{request_id} delta", got, delta)
    typo = errors.get("ev-typo")
    check("ev-typo error", (typo.code, typo.field_violations[0].field) if typo else None,
          ("INVALID_ARGUMENT", "options.entry_date"))
    if summary is None:
        failures.append("batch: no summary")
        print("  BAD no summary")
        return
    # int64 fields are Python ints; repeated Money fields are lists (one per currency).
    check("summary counts", (summary.requests, summary.succeeded, summary.failed), (3, 2, 1))
    check("summary.total_unit_delta", [(m.amount, m.currency) for m in summary.total_unit_delta],
          [("648.39", "USD")])
    check("summary.total_annual_impact", [m.amount for m in summary.total_annual_impact],
          ["32419500.00"])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: example.py HOST:PORT")
    # Plaintext, as the server runs by default; with TLS use grpc.secure_channel(addr, creds).
    with grpc.insecure_channel(sys.argv[1]) as channel:
        try:  # wait up to 30 s for the server to accept connections
            grpc.channel_ready_future(channel).result(timeout=30)
        except grpc.FutureTimeoutError:
            sys.exit(f"no gRPC server answers at {sys.argv[1]}")
        stub = pb_grpc.CostImpactServiceStub(channel)
        for part in (seed_example, imported_item, fx_effect, bad_request, batch):
            part(stub)
    if failures:
        sys.exit(f"FAILED: {len(failures)} check(s) differ: {', '.join(failures)}")
    print("all checks passed")


if __name__ == "__main__":
    main()
