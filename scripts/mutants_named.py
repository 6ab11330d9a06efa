#!/usr/bin/env python3
"""Runs exactly the mutants named in a file (one name per line, as cargo mutants --list prints
them), with the test selection and build profile of scripts/mutants.sh. Results in
target/mutants-out/NAME/mutants.out/.

Usage: scripts/mutants_named.py NAME NAMES.txt TARGET_DIR"""
import re, subprocess, sys, os
name, listfile, target = sys.argv[1:4]
names = [l.strip() for l in open(listfile) if l.strip()]
files = sorted(set(n.split(":")[0] for n in names))
def esc(t):
    return "".join("\\" + ch if ch in "\\.+*?()|[]{}^$" else ch for ch in t)
regex = "^(" + "|".join(esc(n) for n in names) + ")$"
args = ["cargo", "mutants", "--profile", "mutants"]
for f in files: args += ["-f", f]
args += ["--re", regex,
    "--cargo-arg=--lib", "--cargo-arg=--test=calculation_rules", "--cargo-arg=--test=scenario_analysis",
    "--cargo-arg=--test=bad_input", "--cargo-arg=--test=catalog",
    "-o", f"target/mutants-out/{name}", "--", "--", "--skip", "batch_of_10000", "--skip", "wire::scan::tests::properties",
    "--skip", "api::error::tests::details_stay_small"]
env = dict(os.environ, CARGO_TARGET_DIR=target)
os.execvpe("cargo", args, env)
