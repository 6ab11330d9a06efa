#!/usr/bin/env python3
"""Writes the schedule overlays of the seed-figure scenarios (catalog/schedule_overlays/).

Both overlays apply to `us-hts-2026`. Their HTS lists are copied from that schedule, so they
stay in step with the official data it is compiled from:
  - the Section 232 automobile-parts list of U.S. note 33(g) (the schedule's known gap
    `s232-auto-parts-note-33`, itself copied from the HTSUS 2026 Rev. 6 chapter 99 notes);
  - the passenger-vehicle lines of heading 9903.94.01 and the EU member list of note 33(n).
  - the subheadings the IEEPA reciprocal duties did not apply to (heading 9903.01.32, U.S.
    note 2(v)(iii)(a) of subchapter III, in the chapter 99 notes text), for the 2025 overlay.
The rates and dates are written here, each with the text it stands on (docs/seed-figures.md
explains why these two overlays exist and what they leave out).

Usage: scripts/compile_seed_overlays.py NOTES_TXT   (rewrites both files)
  NOTES_TXT: hts-2026-rev6-chapter99-notes.txt (the shared data's copy)
"""
import importlib.util
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, "catalog", "tariff_schedules", "us-hts-2026.json")
OUT = os.path.join(ROOT, "catalog", "schedule_overlays")

IEEPA_END = "2026-02-24"
PARTS_FROM = "2025-05-03"
EO_RECIPROCAL = ("Executive Order 14257 of 2025-04-02 (IEEPA reciprocal tariffs) and its modifications; "
                 "collection ended 2026-02-24 after the Supreme Court held on 2026-02-20 that IEEPA does not "
                 "authorize tariffs (the project's domain notes)")
RECIPROCAL_EXEMPT = ("HTSUS 2026 Rev. 6, heading 9903.01.32 and chapter 99 subchapter III U.S. note 2(v)(iii)(a): "
                     "the subheadings the reciprocal duties (headings 9903.01.25, .35, .39, .63, 9903.02.01-.73 "
                     "and others) do not apply to, among them 8486 and 8505.11.0070; the list as the 2026 notes "
                     "print it, applied from 2025-04-05, so a subheading added to it later is exempt here from "
                     "the start")


def exempt_list(notes_path):
    """The subheadings of note 2(v)(iii)(a), copied from the notes text as the chapter 99
    compiler copies its lists."""
    spec = importlib.util.spec_from_file_location(
        "c99", os.path.join(ROOT, "scripts", "compile_chapter99_measures.py"))
    c99 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(c99)
    with open(notes_path, encoding="latin-1") as f:
        text = f.read()
    return c99.note_list(text, "(a) As provided for in heading 9903.01.32",
                         "(b) As provided in heading 9903.02.78", {"headings": True, "not": ["2026"]})


def load_base():
    with open(BASE) as f:
        return json.load(f)


def lists(base):
    gap = next(g for g in base["knownGaps"] if g["id"] == "s232-auto-parts-note-33")
    vehicles = next(m for m in base["measures"] if m["id"] == "9903.94.01")
    eu = next(m for m in base["measures"] if m["id"] == "9903.94.01-eu")["origins"]
    return gap["htsPrefixes"], vehicles["htsPrefixes"], eu


def parts_measures(parts, eu):
    """Section 232 on automobile parts: 25% from 2025-05-03, then 15% all-in for JP, EU, KR."""
    src = ("HTSUS 2026 Rev. 6, chapter 99 subchapter III U.S. note 33(f)-(g), heading 9903.94.05 (+25% on "
           "the parts of note 33(g) from 2025-05-03, Proclamations 10908 and 10925)")
    own = ["JP", "KR"] + eu
    out = [{
        "id": "9903.94.05",
        "name": "Section 232 automobile parts, +25% (heading 9903.94.05)",
        "program": "PROGRAM_SECTION_232",
        "htsPrefixes": parts,
        "excludedOrigins": own + ["CA", "MX"],
        "effectiveFrom": PARTS_FROM,
        "rate": {"adValoremPercent": "25"},
        "basis": "DUTY_BASIS_FULL_VALUE",
        "preempts": ["PROGRAM_SECTION_122"],
        "source": src + "; parts of Canada and Mexico left out as USMCA-qualifying (heading 9903.94.06), an "
                        "assumption: non-qualifying parts of CA and MX pay 25% too; goods under it are exempt from "
                        "heading 9903.03.01 as the vehicles of note 33 are (note 2(aa)(v)(2))",
    }]
    deals = [
        ("jp", ["JP"], "2025-09-16", "9903.94.43", "U.S. note 33(l), headings 9903.94.42-.43, from 2025-09-16 (note 33(k))"),
        ("eu", eu, "2025-09-25", "9903.94.53", "U.S. note 33(o), headings 9903.94.52-.53, from 2025-09-25 (note 33(n))"),
        ("kr", ["KR"], "2025-12-04", "9903.94.63",
         "U.S. note 33(t), headings 9903.94.62-.63, from 2025-12-04 (90 FR 55964, the compiler's note to note 33(t))"),
    ]
    for key, origins, until, heading, cite in deals:
        out.append({
            "id": f"9903.94.05-{key}",
            "name": f"Section 232 automobile parts of {key.upper()}, +25% until heading {heading} (heading 9903.94.05)",
            "program": "PROGRAM_SECTION_232",
            "htsPrefixes": parts,
            "origins": origins,
            "effectiveFrom": PARTS_FROM,
            "effectiveTo": until,
            "rate": {"adValoremPercent": "25"},
            "basis": "DUTY_BASIS_FULL_VALUE",
            "preempts": ["PROGRAM_SECTION_122"],
            "source": src + f"; for {key.upper()} until {until}, when {cite.split(',')[1].strip()} took over",
        })
        out.append({
            "id": heading,
            "name": f"Section 232 automobile parts of {key.upper()}: 15% all-in with column 1 ({heading})",
            "program": "PROGRAM_SECTION_232",
            "htsPrefixes": parts,
            "origins": origins,
            "effectiveFrom": until,
            "rate": {"adValoremPercent": "15"},
            "basis": "DUTY_BASIS_FULL_VALUE",
            "preempts": ["PROGRAM_SECTION_122"],
            "allInOf": ["PROGRAM_MFN"],
            "source": "HTSUS 2026 Rev. 6, " + cite + "; the 15% total with the column 1 rate, as for the "
                      "vehicles of the same agreement",
        })
    return out


def exemptions(vehicles, parts, with_parts, listed):
    out = [{"htsPrefixes": vehicles,
            "source": "EO 14257 sec. 3(b): articles subject to Section 232 duties (passenger vehicles, heading "
                      "9903.94.01, from 2025-04-03) are not subject to the reciprocal duties"}]
    if with_parts:
        out.append({"htsPrefixes": parts,
                    "source": "EO 14257 sec. 3(b): automobile parts under Section 232 (heading 9903.94.05, from "
                              "2025-05-03) are not subject to the reciprocal duties"})
    if listed:
        out.append({"htsPrefixes": listed, "source": RECIPROCAL_EXEMPT})
    return out


def reciprocal(id_, name, origins, excluded, start, end, pct, exempt, extra="", all_in=False):
    m = {
        "id": id_,
        "name": name,
        "program": "PROGRAM_IEEPA",
        "effectiveFrom": start,
        "rate": {"adValoremPercent": pct},
        "basis": "DUTY_BASIS_NON_METAL_REMAINDER",
        "exemptions": exempt,
        "source": EO_RECIPROCAL + (("; " + extra) if extra else ""),
    }
    if origins:
        m["origins"] = origins
    if excluded:
        m["excludedOrigins"] = excluded
    if end:
        m["effectiveTo"] = end
    if all_in:
        m["allInOf"] = ["PROGRAM_MFN"]
    return m


def us_2025(base, listed):
    parts, vehicles, eu = lists(base)
    before = exemptions(vehicles, parts, with_parts=False, listed=listed)
    after = exemptions(vehicles, parts, with_parts=True, listed=listed)
    deal = ["JP", "KR"] + eu
    measures = parts_measures(parts, eu)
    fentanyl_src = ("Executive Orders 14195 and 14228 (IEEPA, China: 10% from 2025-02-04, 20% from 2025-03-04) "
                    "and the November 2025 order reducing it to 10% from 2025-11-10; collection ended 2026-02-24")
    for id_, pct, start, end in [("ieepa-fentanyl-cn-10a", "10", "2025-02-04", "2025-03-04"),
                                 ("ieepa-fentanyl-cn-20", "20", "2025-03-04", "2025-11-10"),
                                 ("ieepa-fentanyl-cn-10", "10", "2025-11-10", IEEPA_END)]:
        measures.append({
            "id": id_, "name": f"IEEPA duty on China (fentanyl), {pct}%", "program": "PROGRAM_IEEPA",
            "origins": ["CN"], "effectiveFrom": start, "effectiveTo": end,
            "rate": {"adValoremPercent": pct}, "basis": "DUTY_BASIS_FULL_VALUE",
            "source": fentanyl_src + "; on the full value, also of a Section 232 derivative (the tariff-rate "
                                     "tracker's formula)",
        })
    cn = "China: 10% from 2025-04-05, 84% from 2025-04-09, 125% from 2025-04-10, 10% from 2025-05-14 (Geneva arrangement, extended)"
    measures += [
        reciprocal("ieepa-reciprocal-cn-10a", "IEEPA reciprocal duty on China, 10%", ["CN"], None,
                   "2025-04-05", "2025-04-09", "10", before, cn),
        reciprocal("ieepa-reciprocal-cn-84", "IEEPA reciprocal duty on China, 84%", ["CN"], None,
                   "2025-04-09", "2025-04-10", "84", before, cn),
        reciprocal("ieepa-reciprocal-cn-125a", "IEEPA reciprocal duty on China, 125%", ["CN"], None,
                   "2025-04-10", PARTS_FROM, "125", before, cn),
        reciprocal("ieepa-reciprocal-cn-125b", "IEEPA reciprocal duty on China, 125% (automobile parts under Section 232)",
                   ["CN"], None, PARTS_FROM, "2025-05-14", "125", after, cn),
        reciprocal("ieepa-reciprocal-cn-10", "IEEPA reciprocal duty on China, 10%", ["CN"], None,
                   "2025-05-14", IEEPA_END, "10", after, cn),
        reciprocal("ieepa-reciprocal-10a", "IEEPA reciprocal duty, baseline 10%", None, ["CN", "CA", "MX"],
                   "2025-04-05", PARTS_FROM, "10", before,
                   "baseline 10% from 2025-04-05; Canada and Mexico were not subject to it"),
        reciprocal("ieepa-reciprocal-10b", "IEEPA reciprocal duty, baseline 10% (automobile parts under Section 232)",
                   None, ["CN", "CA", "MX"] + deal, PARTS_FROM, IEEPA_END, "10", after,
                   "baseline 10%; simplified: the country rates other than China, Japan, Korea and the EU from "
                   "2025-08-07 (EO 14326) are not in the project's data and are left at 10%"),
        reciprocal("ieepa-reciprocal-deal-10", "IEEPA reciprocal duty on Japan, Korea and the EU, 10% until the agreements",
                   deal, None, PARTS_FROM, "2025-08-07", "10", after, "baseline 10% until 2025-08-07"),
        reciprocal("ieepa-reciprocal-jp-eu-15", "IEEPA reciprocal duty on Japan and the EU: 15% all-in with column 1",
                   ["JP"] + eu, None, "2025-08-07", IEEPA_END, "15", after,
                   "Japan and the EU at 15% including the column 1 rate from 2025-08-07 (the agreements; simplified "
                   "to that date)", all_in=True),
        reciprocal("ieepa-reciprocal-kr-15", "IEEPA reciprocal duty on Korea, 15%", ["KR"], None,
                   "2025-08-07", IEEPA_END, "15", after,
                   "Korea at 15% from 2025-08-07, added to the column 1 rate as in the hand-written us-2025"),
    ]
    # The base's metal-content measures pre-empt IEEPA on the metal content. Here the reciprocal
    # duties reach only the non-metal remainder by their own basis, and the China fentanyl duty
    # stacks on the full value, as the tariff-rate tracker's formula has it (232 + reciprocal x
    # non-metal share + fentanyl + 301): so those measures are replaced by copies that pre-empt
    # Section 122 only.
    derivatives = [m for m in base["measures"] if m.get("basis") == "DUTY_BASIS_METAL_CONTENT"]
    for m in derivatives:
        copy = dict(m)
        copy["preempts"] = [p for p in m.get("preempts", []) if p != "PROGRAM_IEEPA"]
        copy["source"] = m["source"] + ("; re-added by the overlay us-2025-ieepa-auto-parts without its pre-emption "
                                        "of IEEPA: the reciprocal duties reach only the non-metal remainder by "
                                        "their basis, the China fentanyl duty the full value")
        measures.append(copy)
    return {
        "id": "us-2025-ieepa-auto-parts",
        "description": ("The 2025 duties the official 2026 data no longer carries, added to us-hts-2026: the IEEPA "
                        "duties in force from 2025-02-04 to 2026-02-24 (China fentanyl and reciprocal, including "
                        "the April 2025 peak of 125%; the baseline 10%; Japan, Korea and the EU at 15% from "
                        "2025-08-07), written by hand from the executive orders as in the hand-written us-2025; "
                        "and Section 232 on automobile parts from 2025-05-03 (25%, then 15% all-in for Japan, the "
                        "EU and Korea), from U.S. note 33 with its HTS list copied from the schedule's known gap. The "
                        "Section 232 derivative measures are re-added without their pre-emption of IEEPA, so the "
                        "fentanyl duty stacks on their full value while the reciprocal duties reach only the "
                        "non-metal remainder; the reciprocal duties spare the subheadings of heading 9903.01.32 "
                        "(note 2(v)(iii)(a), copied from the notes). "
                        "The known gap s232-auto-parts-note-33 stays listed: acknowledge it when this overlay "
                        "carries the parts. Written by scripts/compile_seed_overlays.py."),
        "source": ("HTSUS 2026 Rev. 6 chapter 99 U.S. note 33 (automobile parts); Executive Orders 14195, 14228, "
                   "14257 and their modifications (IEEPA, hand-written: not in the 2026 data); "
                   "docs/seed-figures.md lists what is simplified"),
        "removeMeasureIds": [m["id"] for m in derivatives],
        "addMeasures": measures,
    }


# EO 14257 Annex I: the country rates announced on 2025-04-02 for 2025-04-09 (paused that day for
# every country but China; China's rate was raised instead). Only the origins the presets use and
# the semiconductor-equipment suppliers are listed; every other origin pays the 10% baseline.
ANNEX_I = [("CN", "34"), ("TW", "32"), ("KR", "25"), ("JP", "24"), ("MY", "24"), ("CH", "31"), ("VN", "46"),
           ("IN", "26"), ("TH", "36")]


def annex_i(base):
    parts, vehicles, eu = lists(base)
    exempt = exemptions(vehicles, parts, with_parts=True, listed=None)
    src = ("Executive Order 14257 of 2025-04-02, Annex I (country rates announced for 2025-04-09, paused for 90 "
           "days that day for every country but China); as announced, without the exemptions of Annex II: the "
           "data holds them only in their final form (heading 9903.01.32), which includes the exception of "
           "electronics and HTS 8486 of 2025-04-11 that analysts' first estimates predate")
    measures = []
    for cc, pct in ANNEX_I:
        measures.append(reciprocal(f"annex-i-{cc.lower()}", f"IEEPA reciprocal duty on {cc} as announced, {pct}%",
                                   [cc], None, "2025-04-09", None, pct, exempt, "", False))
        measures[-1]["source"] = src
    measures.append(reciprocal("annex-i-eu", "IEEPA reciprocal duty on the EU as announced, 20%", eu, None,
                               "2025-04-09", None, "20", exempt))
    measures[-1]["source"] = src
    listed = [cc for cc, _ in ANNEX_I] + eu
    measures.append(reciprocal("annex-i-baseline", "IEEPA reciprocal duty, baseline 10%", None,
                               listed + ["CA", "MX"], "2025-04-09", None, "10", exempt))
    measures[-1]["source"] = src + "; Canada and Mexico were not subject to it"
    return {
        "id": "reciprocal-annex-i",
        "description": ("The reciprocal tariff levels announced on 2025-04-02 (EO 14257 Annex I: EU 20%, Japan 24%, "
                        "Korea 25%, Taiwan 32%, China 34%, and others; 10% for the rest) added to us-hts-2026 from "
                        "2025-04-09 with no end: the levels analysts discussed in April 2025, not duties collected "
                        "(only China's applied, and was raised further). Goods under Section 232 (vehicles, "
                        "automobile parts, the metal content of derivatives) are left out as the order leaves them "
                        "out; nothing else is, as announced (the exemptions of Annex II are not applied). Written by "
                        "scripts/compile_seed_overlays.py."),
        "source": "Executive Order 14257, Annex I (2025-04-02); docs/seed-figures.md",
        "addMeasures": measures,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = load_base()
    listed = exempt_list(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    for overlay in (us_2025(base, listed), annex_i(base)):
        path = os.path.join(OUT, overlay["id"] + ".json")
        with open(path, "w") as f:
            json.dump(overlay, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, ROOT)}: {len(overlay['addMeasures'])} measures")


if __name__ == "__main__":
    main()
