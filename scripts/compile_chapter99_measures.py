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

Usage: scripts/compile_chapter99_measures.py NOTES_TXT [SPEC] [OUT]
  NOTES_TXT: hts-2026-rev6-chapter99-notes.txt (the shared data's copy)
"""
import json
import re
import sys

HTS = re.compile(r"(?<![\d.])(\d{4}(?:\.\d{2}){1,2}(?:\d{2})?)(?![\d.])")


def note_list(text, start, end):
    """The HTS numbers printed between the first `start` and the next `end` after it."""
    i = text.index(start)
    j = text.index(end, i + len(start))
    body = text[i + len(start):j]
    # The page furniture between list pages carries no HTS numbers but its own (e.g.
    # "99 - III - 52"), which the pattern does not match.
    # Chapter 99 headings named in the subdivision's own text ("imposed by heading
    # 9903.03.01") are not subheadings of the list.
    codes = sorted({c for c in HTS.findall(body) if not c.startswith("9903")})
    if not codes:
        raise SystemExit(f"no HTS numbers between {start!r} and {end!r}")
    return codes


def expand(value, text, counts, where):
    if isinstance(value, dict) and set(value) == {"note_list"}:
        start, end = value["note_list"]
        codes = note_list(text, start, end)
        counts.append(f"{where}: {len(codes)} HTS numbers from the notes text after {start!r}")
        return codes
    if isinstance(value, dict):
        return {k: expand(v, text, counts, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, text, counts, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def main():
    notes = sys.argv[1]
    spec = sys.argv[2] if len(sys.argv) > 2 else "data/us-tariff/chapter99_measures.in.json"
    out = sys.argv[3] if len(sys.argv) > 3 else "data/us-tariff/chapter99_measures.json"
    text = open(notes, encoding="latin-1").read()
    measures = json.load(open(spec))
    counts = []
    compiled = [expand(m, text, counts, m.get("id", "?")) for m in measures]
    with open(out, "w") as f:
        json.dump(compiled, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for c in counts:
        print(c)
    print(f"wrote {out}: {len(compiled)} measures")


if __name__ == "__main__":
    main()
