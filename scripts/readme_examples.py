#!/usr/bin/env python3
"""Runs the README's grpcurl examples verbatim against a freshly started server.

Every fenced ```sh block in README.md whose first line starts with `grpcurl` is run with bash.
The fenced block that follows it is the expected output:
  - if it contains a line that is exactly `...`, the output must contain its other lines in
    order (an abridged excerpt, lines compared exactly, indentation included);
  - otherwise the output must equal it exactly.
An expected output that starts with `ERROR:` means grpcurl must exit non-zero; otherwise zero.

Usage: scripts/readme_examples.py PATH_TO_TARIFF_IMPACT_BINARY
Starts the binary on 127.0.0.1:50051, waits for health, runs the examples, then sends SIGTERM
and requires a clean exit. Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDR = "127.0.0.1:50051"


def blocks(text):
    """(info, body) of every fenced block, in order."""
    return [(m.group(1).strip(), m.group(2)) for m in re.finditer(r"^```([^\n]*)\n(.*?)^```\s*$", text, re.M | re.S)]


def examples(text):
    bs = blocks(text)
    out = []
    for i, (info, body) in enumerate(bs):
        if info == "sh" and body.startswith("grpcurl") and i + 1 < len(bs):
            out.append((body, bs[i + 1][1]))
    return out


def matches(actual, expected):
    exp = [l.rstrip() for l in expected.rstrip("\n").split("\n")]
    act = [l.rstrip() for l in actual.rstrip("\n").split("\n")]
    if "..." not in exp:
        return act == exp, "output differs"
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
        if r.returncode == 0 and "SERVING" in r.stdout:
            return
        time.sleep(0.3)
    sys.exit("server did not become healthy in 30 s")


def main():
    binary = sys.argv[1]
    with open(os.path.join(ROOT, "README.md")) as f:
        cases = examples(f.read())
    if not cases:
        sys.exit("no grpcurl examples found in README.md")
    # Refuse to test whatever else may already listen on the port.
    probe = subprocess.run(["grpcurl", "-plaintext", "-max-time", "1", ADDR, "list"], capture_output=True, text=True)
    if probe.returncode == 0:
        sys.exit(f"another server already listens on {ADDR}; stop it first")
    log = open(os.path.join(ROOT, "target", "readme-examples-server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--listen", ADDR], stdout=log, stderr=subprocess.STDOUT)
    passed = failed = 0
    try:
        wait_healthy(proc)
        for cmd, expected in cases:
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
            output = r.stdout + r.stderr
            ok, why = matches(output, expected)
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
