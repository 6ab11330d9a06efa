#!/usr/bin/env python3
"""Runs the README's grpcurl and curl examples verbatim against a freshly started server.

Every fenced ```sh block in README.md and in docs/seed-figures.md (the seed report's figures,
reproduced from the presets) whose first line starts with `grpcurl` or `curl` (the HTTP/JSON
gateway on the same port) is run with bash, from the repository's root.
The fenced block that follows it is the expected output:
  - if it contains a line that is exactly `...` (abridged), the output must contain its other
    lines in order (lines compared exactly, indentation included), and, because a line such as
    `"amount": "66.60",` may match in the wrong place, JSON output must also pass the checks in
    the HTML comment right after the block (`<!-- checks:` then one `PATH = JSON` per line, then
    `-->`): PATH is `a.b[2].c` or `lines[path=nd].delta.amount` (the element of a list whose
    `path` is `nd`); a stream of several JSON messages is a list, `[0].requestId`;
  - otherwise the output must equal it exactly (as JSON when both are JSON, else as text).
An expected output that starts with `ERROR:` means grpcurl must exit non-zero; otherwise zero.
An abridged JSON output without checks fails, so nothing is compared loosely.

Usage: scripts/readme_examples.py PATH_TO_TARIFF_IMPACT_BINARY
Starts the binary on 127.0.0.1:50051 (admin listener on 127.0.0.1:9090), waits for health, runs the examples, then sends SIGTERM
and requires a clean exit. Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDR = "127.0.0.1:50051"
ADMIN_ADDR = "127.0.0.1:9090"
# The documents whose examples run, in order (the README's metrics example counts the calls
# made before it, so the README comes first and its last example reads only its own).
DOCS = ["README.md", "docs/seed-figures.md"]


FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
CHECKS = re.compile(r"\s*<!-- checks:\n(.*?)^-->", re.M | re.S)
STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[([A-Za-z_]+)=([^\]]*)\]")


def blocks(text):
    """(info, body, checks) of every fenced block, in order; checks from the comment after it."""
    out = []
    for m in FENCE.finditer(text):
        c = CHECKS.match(text, m.end())
        out.append((m.group(1).strip(), m.group(2), c.group(1) if c else None))
    return out


def examples(text):
    bs = blocks(text)
    out = []
    for i, (info, body, _) in enumerate(bs):
        if info == "sh" and body.startswith(("grpcurl", "curl ")) and i + 1 < len(bs):
            out.append((body, bs[i + 1][1], bs[i + 1][2]))
    return out


def parse_json_stream(text):
    """The JSON value of `text`, or the list of values when it holds several; None if not JSON."""
    decoder, values, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
        values.append(value)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def at_path(doc, path):
    """The value at `path` in `doc` (see the module doc), or raises KeyError saying where."""
    pos, node = 0, doc
    while pos < len(path):
        m = STEP.match(path, pos)
        if not m:
            raise KeyError(f"bad path syntax at {path[pos:]!r}")
        name, index, key, want = m.groups()
        if name is not None:
            if not isinstance(node, dict) or name not in node:
                raise KeyError(f"no field {name!r} at {path[:pos] or 'the root'}")
            node = node[name]
        elif index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                raise KeyError(f"no element {index} at {path[:pos]}")
            node = node[int(index)]
        else:
            found = [e for e in node if isinstance(e, dict) and e.get(key) == want] if isinstance(node, list) else []
            if len(found) != 1:
                raise KeyError(f"{len(found)} elements with {key} = {want!r} at {path[:pos]}")
            node = found[0]
        pos = m.end()
    return node


def run_checks(actual, checks):
    doc = parse_json_stream(actual)
    if doc is None:
        return False, "output is not JSON, but the example has JSON checks"
    for line in (l.strip() for l in checks.split("\n")):
        if not line:
            continue
        path, _, want = line.partition(" = ")
        try:
            got = at_path(doc, path.strip())
        except KeyError as e:
            return False, f"{path}: {e.args[0]}"
        if got != json.loads(want):
            return False, f"{path}: got {json.dumps(got)}, want {want}"
    return True, ""


def matches(actual, expected, checks):
    exp = [l.rstrip() for l in expected.rstrip("\n").split("\n")]
    act = [l.rstrip() for l in actual.rstrip("\n").split("\n")]
    if checks is not None:
        ok, why = run_checks(actual, checks)
        if not ok:
            return False, why
    if "..." not in exp:
        want, got = parse_json_stream(expected), parse_json_stream(actual)
        if want is not None:
            return want == got, "JSON output differs"
        return act == exp, "output differs"
    if checks is None and parse_json_stream(actual) is not None:
        return False, "abridged JSON output without a <!-- checks: --> comment"
    pos = 0
    for line in (l for l in exp if l != "..."):
        while pos < len(act) and act[pos] != line:
            pos += 1
        if pos == len(act):
            return False, f"line not found in order: {line!r}"
        pos += 1
    return True, ""


def wait_healthy(proc):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited early with {proc.returncode}")
        r = subprocess.run(["grpcurl", "-plaintext", ADDR, "grpc.health.v1.Health/Check"], capture_output=True, text=True)
        if r.returncode == 0 and parse_json_stream(r.stdout) == {"status": "SERVING"}:
            return
        time.sleep(0.3)
    sys.exit("server did not become healthy in 30 s")


def main():
    binary = sys.argv[1]
    cases = []
    for doc in DOCS:
        with open(os.path.join(ROOT, doc)) as f:
            found = examples(f.read())
        if not found:
            sys.exit(f"no grpcurl examples found in {doc}")
        cases += found
    # Refuse to test whatever else may already listen on the port.
    probe = subprocess.run(["grpcurl", "-plaintext", "-max-time", "1", ADDR, "list"], capture_output=True, text=True)
    if probe.returncode == 0:
        sys.exit(f"another server already listens on {ADDR}; stop it first")
    log = open(os.path.join(ROOT, "target", "readme-examples-server.log"), "w")
    # A fresh catalog store each run, so the examples that save objects start from nothing.
    data_dir = tempfile.mkdtemp(prefix="tariff-readme-data-")
    # The admin listener too: the metrics example at the end reads the counts of the others.
    proc = subprocess.Popen([binary, "serve", "--listen", ADDR, "--data-dir", data_dir,
                             "--admin-listen", ADMIN_ADDR],
                            stdout=log, stderr=subprocess.STDOUT)
    passed = failed = 0
    try:
        wait_healthy(proc)
        for cmd, expected, checks in cases:
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
            output = r.stdout + r.stderr
            ok, why = matches(output, expected, checks)
            want_error = expected.startswith("ERROR:")
            if ok and want_error == (r.returncode == 0):
                ok, why = False, f"exit code {r.returncode}"
            first = cmd.split("\n")[0]
            if ok:
                passed += 1
                print(f"ok   {first}")
            else:
                failed += 1
                print(f"FAIL {first}: {why}\n--- output ---\n{output}--- expected ---\n{expected}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "killed after 15 s"
    if rc != 0:
        failed += 1
        print(f"FAIL graceful shutdown on SIGTERM: exit {rc}")
    else:
        passed += 1
        print("ok   graceful shutdown on SIGTERM")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
