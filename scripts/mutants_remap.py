#!/usr/bin/env python3
"""Maps the surviving mutants of an earlier cargo-mutants run (names with line:col at commit
OLD) to the names of the same mutants in the current tree, by diffing each file between OLD and
the working tree. A mutant whose line changed is reported on stderr (it belongs to the
changed-lines set: cargo mutants --in-diff). Used by docs/mutants.md's recheck.

Usage: scripts/mutants_remap.py OLD_COMMIT SURVIVORS.txt CURRENT_LIST.txt > NAMES.txt
(CURRENT_LIST.txt: cargo mutants --list -f ... over the same files.)"""
import difflib, re, subprocess, sys
old_commit, survivors_file, listing_file = sys.argv[1:4]
names = [l.rstrip("\n") for l in open(survivors_file) if l.strip()]
current = set(l.rstrip("\n") for l in open(listing_file))
pat = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")
maps = {}
def mapping(f):
    if f not in maps:
        old = subprocess.run(["git", "show", f"{old_commit}:{f}"], capture_output=True, text=True).stdout.splitlines()
        new = open(f).read().splitlines()
        m = {}
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    m[i1 + k + 1] = j1 + k + 1
        maps[f] = m
    return maps[f]
lost = 0
for n in names:
    g = pat.match(n)
    f, line, col, rest = g["file"], int(g["line"]), g["col"], g["rest"]
    new_line = mapping(f).get(line)
    cand = f"{f}:{new_line}:{col}: {rest}" if new_line else None
    if cand in current:
        print(cand)
    else:
        lost += 1
        print(f"# not found (line changed): {n}", file=sys.stderr)
print(f"# {lost} not mapped", file=sys.stderr)
