#!/usr/bin/env python3
"""Structure checks CI runs (issue 9): no import circle between the files of src/, no function
longer than MAX_FN_LINES in the folders where rules and checks are added, and no request field
path inside the engine (the API layer alone turns the engine's locators into field paths).

Usage: scripts/check_structure.py [--only circles,functions,engine-paths]
Prints each finding and exits non-zero if there is any.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
MAX_FN_LINES = 80
FN_FOLDERS = ["src/engine", "src/convert", "src/api"]
ENGINE_PATHS = re.compile(r'field_path|"bom|"options\.|"import\.|"rate\.|"inputs|"calculation|"scenarios')


def rust_files():
    for d, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def module_of(path):
    """src/engine/duty.rs -> ['engine', 'duty']; src/engine/mod.rs -> ['engine']."""
    parts = path[len("src/"):-len(".rs")].split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def file_of(module, files):
    """The file defining `module` (the longest prefix that is a file), or None."""
    for n in range(len(module), 0, -1):
        m = module[:n]
        for cand in ("src/" + "/".join(m) + ".rs", "src/" + "/".join(m) + "/mod.rs"):
            if cand in files:
                return cand
    return None


def strip_tests(text):
    """The text without `#[cfg(test)]` modules: tests may import anything."""
    m = re.search(r"^#\[cfg\(test\)\]\s*\nmod \w+ \{", text, re.M)
    return text[: m.start()] if m else text


def imports(path, files):
    text = strip_tests(open(os.path.join(ROOT, path)).read())
    # Doc links and comments name modules without depending on them.
    text = re.sub(r"//.*", "", text)
    me = module_of(path)
    # `super` of a mod.rs is its parent folder's module; of a plain file, its folder's module.
    parent = me[:-1]
    out = set()
    for m in re.finditer(r"\b(crate|super)::((?:\w+::)*\w+)", text):
        base = [] if m.group(1) == "crate" else list(parent)
        if m.group(1) == "super" and path.endswith("mod.rs"):
            base = me[:-1]
        target = file_of(base + m.group(2).split("::"), files)
        if target and target != path:
            out.add(target)
    return out


def circles():
    files = set(rust_files())
    graph = {f: imports(f, files) for f in files}
    # A module file (mod.rs) re-exporting its children is not a dependency of theirs.
    found, state, stack = [], {}, []

    def visit(f):
        state[f] = 1
        stack.append(f)
        for g in sorted(graph[f]):
            if g.endswith("mod.rs") and f.startswith(os.path.dirname(g) + "/"):
                continue
            if state.get(g) == 1:
                found.append(stack[stack.index(g):] + [g])
            elif g not in state:
                visit(g)
        stack.pop()
        state[f] = 2

    for f in sorted(files):
        if f not in state:
            visit(f)
    return [" -> ".join(c) for c in found]


def long_functions():
    out = []
    fn = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
    for path in rust_files():
        if not any(path.startswith(d + "/") for d in FN_FOLDERS):
            continue
        lines = strip_tests(open(os.path.join(ROOT, path)).read()).split("\n")
        i = 0
        while i < len(lines):
            m = fn.match(lines[i])
            if not m:
                i += 1
                continue
            depth, j, opened = 0, i, False
            while j < len(lines):
                code = re.sub(r'"(\\.|[^"\\])*"|//.*', "", lines[j])
                depth += code.count("{") - code.count("}")
                opened = opened or "{" in code
                if opened and depth <= 0:
                    break
                if not opened and code.rstrip().endswith(";"):
                    break
                j += 1
            n = j - i + 1
            if opened and n > MAX_FN_LINES:
                out.append(f"{path}:{i + 1}: fn {m.group(6)} is {n} lines (max {MAX_FN_LINES})")
            i += 1
    return out


def engine_paths():
    out = []
    for path in rust_files():
        if not path.startswith("src/engine/"):
            continue
        for n, line in enumerate(strip_tests(open(os.path.join(ROOT, path)).read()).split("\n"), 1):
            if ENGINE_PATHS.search(line):
                out.append(f"{path}:{n}: {line.strip()}")
    return out


CHECKS = {"circles": circles, "functions": long_functions, "engine-paths": engine_paths}


def main():
    only = list(CHECKS)
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        only = sys.argv[2].split(",")
    failed = 0
    for name in only:
        findings = CHECKS[name]()
        print(f"{name}: {len(findings)} finding(s)")
        for f in findings:
            print(f"  {f}")
        failed += len(findings)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
