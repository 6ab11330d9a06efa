#!/usr/bin/env python3
"""Compiles data/us-tariff/chapter99_measures.json from its hand-written spec
data/us-tariff/chapter99_measures.in.json and the text of chapter 99's U.S. notes.

The spec holds the measures as the notes state them (rates, dates, origins, the note and page
of each): tariff data, written once and cited. Where a measure's HTS prefixes or an
exemption's are a long list printed in the notes, the spec names the list by the text that
opens it and the text that opens the next subdivision ({"note_list": [start, end]}); this
script copies every HTS number printed between the two into the measure, so nobody retypes a
thousand subheadings. The notes are the USITC's PDF-to-text (Latin-1): columns may be read out
of order, which does not matter for a set of numbers.

A list may also name a column of a CSV file beside the spec ({"csv_list": {"file", "column",
"where": {column: [values]}}}), and a list item that is such a dict is spliced into its list.
The same script compiles the known gaps (data/us-tariff/known_gaps.in.json -> known_gaps.json).

Usage: scripts/compile_chapter99_measures.py NOTES_TXT [SPEC] [OUT]
  NOTES_TXT: hts-2026-rev6-chapter99-notes.txt (the shared data's copy)
"""
import json
import os
import re
import sys

HTS = re.compile(r"(?<![\d.])(\d{4}(?:\.\d{2}){1,2}(?:\d{2})?)(?![\d.])")


HEADING = re.compile(r"(?<![\d.])(\d{4})(?![\d.])")


def note_list(text, start, end, options=None):
    """The HTS numbers printed between the first `start` and the next `end` after it; with
    options {"headings": true, "not": [...]}, bare 4-digit headings too, except the numbers
    listed under "not" (a page header's year, a date's)."""
    i = text.index(start)
    j = text.index(end, i + len(start))
    body = text[i + len(start):j]
    options = options or {}
    headings = set()
    if options.get("headings"):
        headings = {h for h in HEADING.findall(body) if h not in set(options.get("not", []))}
    # The page furniture between list pages carries no HTS numbers but its own (e.g.
    # "99 - III - 52"), which the pattern does not match.
    # Chapter 99 headings named in the subdivision's own text ("imposed by heading
    # 9903.03.01") are not subheadings of the list.
    codes = sorted({c for c in HTS.findall(body) if not c.startswith("9903")} | headings)
    if not codes:
        raise SystemExit(f"no HTS numbers between {start!r} and {end!r}")
    return codes


def csv_list(spec_dir, value):
    """The values of a column of a CSV file beside the spec, of the rows whose other columns
    hold one of the given values: {"file", "column", "where": {column: [values]}}."""
    import csv
    import os
    with open(os.path.join(spec_dir, value["file"]), newline="") as f:
        rows = list(csv.DictReader(f))
    where = value.get("where", {})
    codes = sorted({r[value["column"]] for r in rows
                    if all(r[k] in allowed for k, allowed in where.items())})
    if not codes:
        raise SystemExit(f"no rows of {value['file']} match {where}")
    return codes


def expand(value, text, counts, where, spec_dir="."):
    if isinstance(value, dict) and set(value) == {"csv_list"}:
        codes = csv_list(spec_dir, value["csv_list"])
        counts.append(f"{where}: {len(codes)} codes from {value['csv_list']['file']}")
        return codes
    if isinstance(value, dict) and set(value) == {"note_list"}:
        start, end, *options = value["note_list"]
        codes = note_list(text, start, end, *options)
        counts.append(f"{where}: {len(codes)} HTS numbers from the notes text after {start!r}")
        return codes
    if isinstance(value, dict):
        return {k: expand(v, text, counts, f"{where}.{k}", spec_dir) for k, v in value.items()}
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            e = expand(v, text, counts, f"{where}[{i}]", spec_dir)
            # A list item that expands to a list (a note's or a file's codes) is spliced in,
            # so prefixes written by hand and copied ones can share one list.
            if isinstance(v, dict) and set(v) & {"note_list", "csv_list"}:
                out.extend(e)
            else:
                out.append(e)
        return out
    return value


def main():
    notes = sys.argv[1]
    spec = sys.argv[2] if len(sys.argv) > 2 else "data/us-tariff/chapter99_measures.in.json"
    out = sys.argv[3] if len(sys.argv) > 3 else "data/us-tariff/chapter99_measures.json"
    text = open(notes, encoding="latin-1").read()
    measures = json.load(open(spec))
    counts = []
    spec_dir = os.path.dirname(os.path.abspath(spec))
    compiled = [expand(m, text, counts, m.get("id", "?"), spec_dir) for m in measures]
    with open(out, "w") as f:
        json.dump(compiled, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for c in counts:
        print(c)
    print(f"wrote {out}: {len(compiled)} entries")


if __name__ == "__main__":
    main()
