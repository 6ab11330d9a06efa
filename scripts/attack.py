#!/usr/bin/env python3
"""Replays the attacks of issue 7 ("Bounded work, honest failures") against a tariff-impact binary.

Usage: scripts/attack.py PATH_TO_TARIFF_IMPACT [ROW ...] [--rows 1,5,9] [--json out.json]
(scripts/attack.sh installs the dependencies first: grpcio, grpcio-tools, h2, h2load.)

Rows 1-13 of the issue's table are replayed (row 14 is about `cargo test`). Every case starts a
fresh `tariff-impact serve --listen 127.0.0.1:<free port>` (so VmHWM is the peak of that case
alone), waits for health, runs the attack while two probes run in a background thread (a small
CalculateImpact, the README's seed example, which must answer delta 315.00, and a
grpc.health.v1.Health/Check, each on a fresh connection), probes once more right after the
attack, then stops the server with SIGTERM (SIGKILL after 30 s) and times its exit. Peak RSS
is VmHWM read just before stopping, cross-checked by VmRSS sampled every 50 ms. A probe that
fails or takes more than 1 s is marked. At the end a Markdown table is printed (and, with
--json, written as machine-readable results).

Only 127.0.0.1 is targeted; every row is bounded in time and connections (the whole run takes
about 15 minutes on 2 cores). A watchdog SIGKILLs a server whose RSS passes --rss-kill-mib
(default 8 GiB) so a runaway cannot take the machine down; --as-cap-mib runs the server under
`prlimit --as` instead (allocation failures then abort it earlier).
"""
import argparse
import atexit
import concurrent.futures
import contextlib
import datetime
import importlib
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf import json_format

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(ROOT, "proto")
PROBE_TIMEOUT = 10.0  # seconds a probe may take before it counts as failed (DEADLINE_EXCEEDED)
SLOW = 1.0  # a probe slower than this is marked SLOW
STOP_TIMEOUT = 30.0  # SIGTERM, then SIGKILL after this long
CLK_TCK = os.sysconf("SC_CLK_TCK")
CALC = "/tariff.v1.CostImpactService/CalculateImpact"
BATCH = "/tariff.v1.CostImpactService/CalculateBatch"

# ---------------------------------------------------------------------------------------------
# Stubs, generated at run time from proto/ (no generated code is committed)
# ---------------------------------------------------------------------------------------------

HEALTH_PROTO = """syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
"""


class Stubs:
    """The generated modules: `pb` (tariff.v1 messages), `svc` (CostImpactService stub), `health`."""

    def __init__(self):
        from grpc_tools import protoc

        self.dir = tempfile.mkdtemp(prefix="attack-stubs-")
        # The health proto lives under its own directory name so its module does not shadow grpcio's `grpc`.
        src = os.path.join(self.dir, "src", "attack_health")
        os.makedirs(src)
        with open(os.path.join(src, "health.proto"), "w") as f:
            f.write(HEALTH_PROTO)
        out = os.path.join(self.dir, "out")
        os.makedirs(out)
        protos = sorted(
            os.path.join("tariff", "v1", p) for p in os.listdir(os.path.join(PROTO_DIR, "tariff", "v1")) if p.endswith(".proto")
        )
        include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        args = ["protoc", f"-I{PROTO_DIR}", f"-I{os.path.join(self.dir, 'src')}", f"-I{include}",
                f"--python_out={out}", f"--grpc_python_out={out}", *protos, "attack_health/health.proto"]
        if protoc.main(args) != 0:
            sys.exit("protoc failed on " + PROTO_DIR)
        sys.path.insert(0, out)
        m = lambda name: importlib.import_module(name)  # noqa: E731
        self.bom = m("tariff.v1.bom_pb2")
        self.common = m("tariff.v1.common_pb2")
        self.pb = m("tariff.v1.cost_impact_service_pb2")
        self.svc = m("tariff.v1.cost_impact_service_pb2_grpc")
        self.health = m("attack_health.health_pb2")
        self.health_grpc = m("attack_health.health_pb2_grpc")


S = None  # Stubs, set in main()


def parse(msg_class, d):
    return json_format.ParseDict(d, msg_class())


# ---------------------------------------------------------------------------------------------
# Request builders
# ---------------------------------------------------------------------------------------------

IMPORT_CN = {"htsCode": "8505.11.0070", "origin": "CN", "transportMode": "TRANSPORT_MODE_OCEAN"}


def seed_dict():
    """The README's seed example: 1.8 kg Nd oxide + 0.2 kg Dy oxide, expected delta 315.00."""
    return {
        "bom": {"id": "ev-seed-example", "currency": "USD", "items": [
            {"id": "nd", "materialId": "nd-oxide", "quantity": "1.8", "unit": "UNIT_OF_MEASURE_KG"},
            {"id": "dy", "materialId": "dy-oxide", "quantity": "0.2", "unit": "UNIT_OF_MEASURE_KG"}]},
        "baselinePricesId": "ree-pre-restriction",
        "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02"},
    }


def seed_request():
    return parse(S.pb.CalculateImpactRequest, seed_dict())


def fanout_bom(levels, leaves=1, imported=True):
    """Shared assembly A0 = `leaves` nd-oxide lines (imported from CN when `imported`), A(k+1) =
    two refs to A(k); the only top item refs A(levels): leaves x 2^levels lines once expanded."""
    line = lambda i: dict({"id": f"m{i}", "materialId": "nd-oxide", "quantity": "1", "unit": "UNIT_OF_MEASURE_KG"},  # noqa: E731
                          **({"import": IMPORT_CN} if imported else {}))
    shared = [{"id": "A0", "children": [line(i) for i in range(leaves)]}]
    for k in range(1, levels + 1):
        shared.append({"id": f"A{k}", "children": [{"id": "a", "assemblyRef": f"A{k - 1}"},
                                                   {"id": "b", "assemblyRef": f"A{k - 1}"}]})
    return {"id": "fanout", "currency": "USD", "items": [{"id": "top", "assemblyRef": f"A{levels}"}],
            "sharedAssemblies": shared}


def measures_schedule(n):
    """An inline USD schedule of n 1% ad valorem measures on the full value (basis left unset,
    which the proto defines as the full customs value) with no HTS or origin filter, so every one
    matches every import; no fees."""
    return {"id": "wide", "currency": "USD", "measures": [
        {"id": f"m{i}", "program": "PROGRAM_OTHER", "rate": {"adValoremPercent": "1"}} for i in range(n)]}


def fanout_request(levels, measures, leaves=1):
    """CalculateImpact on fanout_bom(levels) under measures_schedule(measures)."""
    return parse(S.pb.CalculateImpactRequest, {
        "bom": fanout_bom(levels, leaves),
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineSchedule": measures_schedule(measures),
        "options": {"entryDate": "2026-03-02"},
    })


def grpc_frame(body: bytes) -> bytes:
    return b"\x00" + len(body).to_bytes(4, "big") + body


# Hand-built protobuf wire format, for messages the Python protobuf library would refuse to build.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def ld(field, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def vi(field, value) -> bytes:
    """A varint field (wire type 0)."""
    return varint(field << 3) + varint(value)


# CalculateImpactRequest fields: bom=2, baseline_prices_id=3, scenario_prices_id=5, baseline_schedule_id=7, options=11.
# Bom: id=1, currency=4, items=6. BomItem: id=1, quantity=3, unit=4, material_id=5, children=9.
RAW_TAIL = ld(3, b"ree-pre-restriction") + ld(5, b"ree-post-restriction") + ld(7, b"us-2026") + ld(11, ld(1, b"2026-03-02"))
RAW_LINE = ld(1, b"nd") + ld(5, b"nd-oxide") + ld(3, b"1.8") + vi(4, 1)


def raw_nested(depth):
    """A CalculateImpactRequest whose single BOM item is nested `depth` levels (children in children)."""
    item = RAW_LINE
    for i in range(depth - 1):
        item = ld(1, f"n{i}".encode()) + ld(9, item)
    return ld(2, ld(4, b"USD") + ld(6, item)) + RAW_TAIL


def raw_bad_utf8():
    """A CalculateImpactRequest whose bom.id is not UTF-8."""
    return ld(2, ld(1, b"ev-\xff\xfe\xc3(") + ld(4, b"USD") + ld(6, RAW_LINE)) + RAW_TAIL


def raw_wrong_wire_type():
    """A CalculateImpactRequest whose bom.id (a string) is sent as a varint."""
    return ld(2, vi(1, 7) + ld(4, b"USD") + ld(6, RAW_LINE)) + RAW_TAIL


# ---------------------------------------------------------------------------------------------
# Process and network helpers
# ---------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid, key):
    """A /proc/<pid>/status value in KiB (VmRSS, VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def machine_busy_seconds():
    """CPU seconds spent busy (not idle or iowait) by the whole machine since boot, all cores."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def own_cpu_seconds():
    """CPU seconds of this harness and its waited-for children (h2load)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_seconds(pid):
    """utime + stime of a process, in seconds, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def channel(port, max_receive=4 * 1024 * 1024, fresh=True):
    """A grpcio channel; `fresh` keeps it off the global subchannel pool (its own TCP connection)."""
    opts = [("grpc.enable_retries", 0), ("grpc.max_receive_message_length", max_receive)]
    if fresh:
        opts.append(("grpc.use_local_subchannel_pool", 1))
    return grpc.insecure_channel(f"127.0.0.1:{port}", options=opts)


def code_of(err):
    return err.code().name if isinstance(err, grpc.RpcError) else type(err).__name__


def short(s, n=100):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n] + "..."


def answer_of(err):
    """'CODE: message' for a failed call."""
    if isinstance(err, grpc.RpcError):
        return f"{err.code().name}: {short(err.details() or '')}"
    return f"{type(err).__name__}: {short(err)}"


def secs(t):
    return "-" if t is None else (f"{t * 1000:.0f} ms" if t < 1 else f"{t:.1f} s")


def mib(kib):
    return None if kib is None else round(kib / 1024, 1)


def timed_call(fn, *args, **kwargs):
    """(result or None, error or None, seconds)."""
    t0 = time.monotonic()
    try:
        return fn(*args, **kwargs), None, time.monotonic() - t0
    except Exception as e:  # noqa: BLE001 - grpc.RpcError and transport errors alike
        return None, e, time.monotonic() - t0


class RawH2:
    """A minimal HTTP/2 client on a plain socket (the `h2` library), for what grpcio hides or
    refuses: reading trailers of any size, sending without reading, never granting window."""

    def __init__(self, port, timeout=10.0):
        import h2.config
        import h2.connection
        import h2.frame_buffer
        import h2.settings

        h2.frame_buffer.CONTINUATION_BACKLOG = 1 << 16  # accept header blocks of any size (row 11)

        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8", validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        big = 1 << 26
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
            h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: big,
            h2.settings.SettingCodes.MAX_FRAME_SIZE: (1 << 24) - 1})
        self.conn.decoder.max_header_list_size = big
        # Settings given as initial values count as in force: apply the frame size limit locally too.
        self.conn.max_inbound_frame_size = (1 << 24) - 1
        self.conn.incoming_buffer.max_frame_size = (1 << 24) - 1
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def open_stream(self, path, timeout_header=None):
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
                   (":authority", f"127.0.0.1:{self.port}"), ("content-type", "application/grpc"), ("te", "trailers")]
        if timeout_header:
            headers.append(("grpc-timeout", timeout_header))
        self.conn.send_headers(sid, headers)
        self.flush()
        return sid

    def send_body(self, sid, data, end_stream=True, timeout=30.0):
        """Sends `data` on stream `sid` in frames within the flow-control window, reading the socket
        for WINDOW_UPDATEs as needed; returns the events read meanwhile."""
        events, pos, deadline = [], 0, time.monotonic() + timeout
        while pos < len(data) and time.monotonic() < deadline:
            n = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size, len(data) - pos)
            if n <= 0:
                got = self.read(0.5)
                if got is None:
                    break
                events += got
                continue
            self.conn.send_data(sid, data[pos:pos + n])
            pos += n
            self.flush()
        if pos == len(data) and end_stream:
            self.conn.end_stream(sid)
            self.flush()
        return events

    def read(self, timeout):
        """Events from at most one socket read (waiting up to `timeout`); [] on timeout, None at EOF."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return []
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, OSError):
            return None
        if not data:
            return None
        events = self.conn.receive_data(data)
        self.flush()  # SETTINGS and PING acknowledgements only: DATA is never acknowledged here
        return events

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def raw_unary(port, path, body, timeout=30.0):
    """One unary gRPC call over RawH2; returns the response headers, trailers and their sizes."""
    import h2.events as ev

    c = RawH2(port, timeout)
    try:
        sid = c.open_stream(path)
        pending = c.send_body(sid, grpc_frame(body), timeout=timeout)
        out = {"headers": {}, "trailers": {}, "trailer_bytes": 0, "data_bytes": 0}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [] if pending else c.read(0.5)
            if got is None:
                out["eof"] = True
                return out
            events, pending = pending + got, []
            for e in events:
                if isinstance(e, ev.ResponseReceived):
                    out["headers"] = dict(e.headers)
                elif isinstance(e, ev.DataReceived):
                    out["data_bytes"] += len(e.data)
                    c.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                    c.flush()
                elif isinstance(e, ev.TrailersReceived):
                    out["trailers"] = dict(e.headers)
                    out["trailer_bytes"] = sum(len(k) + len(v) for k, v in e.headers)
                elif isinstance(e, (ev.StreamEnded, ev.StreamReset, ev.ConnectionTerminated)):
                    if isinstance(e, ev.StreamReset):
                        out["reset"] = getattr(e.error_code, "name", str(e.error_code))
                    if isinstance(e, ev.ConnectionTerminated):
                        out["goaway"] = getattr(e.error_code, "name", str(e.error_code))
                    return out
        return out
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# Server process and probes
# ---------------------------------------------------------------------------------------------


LIVE_SERVERS = set()  # pids of servers this harness started and has not seen exit


@atexit.register
def _kill_leftover_servers():
    """If the harness dies (an error, Ctrl-C), SIGKILL the servers it started, by pid."""
    for pid in list(LIVE_SERVERS):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Server:
    """One `tariff-impact serve` process on a free loopback port, with an RSS sampler."""

    def __init__(self, binary, flags=(), wrapper=(), log_path=None, rss_kill_mib=8192):
        self.port = free_port()
        # The health service is also served apart, on a thread of its own (--health-listen):
        # the port an orchestrator's probes use.
        self.health_port = free_port()
        flags = [*flags, "--health-listen", f"127.0.0.1:{self.health_port}"]
        self.log_path = log_path
        self.log = open(log_path, "w") if log_path else subprocess.DEVNULL
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        cmd = [*wrapper, binary, "serve", "--listen", f"127.0.0.1:{self.port}", *flags]
        self.cmd = cmd
        # prlimit and `bash -c '...; exec'` both exec the server: the pid is the server's.
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        LIVE_SERVERS.add(self.pid)
        self.max_rss_kib = 0
        self.last_hwm_kib = None  # VmHWM as last sampled: the peak of a process that has died since
        self.last_cpu = 0.0
        self.watchdog_killed = False
        self._rss_kill_kib = rss_kill_mib * 1024
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        while not self._stop.is_set() and self.proc.poll() is None:
            rss = proc_status(self.pid, "VmRSS")
            hwm = proc_status(self.pid, "VmHWM")
            if hwm:
                self.last_hwm_kib = hwm
            cpu = cpu_seconds(self.pid)
            if cpu is not None:
                self.last_cpu = cpu
            if rss:
                self.max_rss_kib = max(self.max_rss_kib, rss)
                if rss > self._rss_kill_kib and not self.watchdog_killed:
                    self.watchdog_killed = True
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self.pid, signal.SIGKILL)
            self._stop.wait(0.05)

    def alive(self):
        return self.proc.poll() is None

    def wait_healthy(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"server exited at start with {self.proc.returncode}: {self.log_tail()}")
            ok, _, _ = health_check(self.port, 1.0)
            if ok:
                return
            time.sleep(0.1)
        raise RuntimeError("server not healthy after 30 s")

    def hwm_kib(self):
        return proc_status(self.pid, "VmHWM")

    def cpu(self):
        return cpu_seconds(self.pid)

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT: (seconds to exit, how it ended)."""
        if not self.alive():
            LIVE_SERVERS.discard(self.pid)
            self._stop.set()
            return None, self.death()
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
            how = f"exit {self.proc.returncode}"
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            how = f"still running {STOP_TIMEOUT:.0f} s after SIGTERM: killed -9"
        took = time.monotonic() - t0
        self._stop.set()
        LIVE_SERVERS.discard(self.pid)
        return took, how

    def death(self):
        rc = self.proc.returncode
        if self.watchdog_killed:
            return f"SIGKILLed by the harness watchdog (RSS > {self._rss_kill_kib // 1024} MiB)"
        if rc is not None and rc < 0:
            return f"died by {signal.Signals(-rc).name}"
        return f"exited on its own with {rc}"

    def log_tail(self, n=300):
        if not self.log_path:
            return ""
        with contextlib.suppress(OSError):
            self.log.flush()
            with open(self.log_path, errors="replace") as f:
                lines = [l.strip() for l in f if l.strip()]
            key = [l for l in lines if re.search(r"memory allocation|panicked|fatal|error", l, re.I)]
            return short(" | ".join(key[:2] or lines[-2:]), n)
        return ""


def health_check(port, timeout):
    """(SERVING?, status name or error code, seconds) for one Health/Check on a fresh connection."""
    ch = channel(port)
    try:
        stub = S.health_grpc.HealthStub(ch)
        r, err, t = timed_call(stub.Check, S.health.HealthCheckRequest(), timeout=timeout)
        if err:
            return False, code_of(err), t
        name = S.health.HealthCheckResponse.ServingStatus.Name(r.status)
        return name == "SERVING", name, t
    finally:
        ch.close()


class ProbeResult:
    def __init__(self, what, ok, seconds, detail):
        self.what, self.ok, self.seconds, self.detail = what, ok, seconds, detail

    @property
    def bad(self):
        return not self.ok or self.seconds > SLOW

    def label(self):
        if not self.ok:
            return self.detail
        return "SLOW" if self.seconds > SLOW else "ok"

    def json(self):
        return {"ok": self.ok, "seconds": round(self.seconds, 4), "detail": self.detail, "bad": self.bad}


def probe_round(port, timeout=PROBE_TIMEOUT):
    """The two probes at once on one fresh connection: (calc ProbeResult, health ProbeResult)."""
    ch = channel(port)
    try:
        t0 = time.monotonic()
        futs = {"calc": S.svc.CostImpactServiceStub(ch).CalculateImpact.future(seed_request(), timeout=timeout),
                "health": S.health_grpc.HealthStub(ch).Check.future(S.health.HealthCheckRequest(), timeout=timeout)}
        ended = {name: threading.Event() for name in futs}
        when = {}
        for name, fut in futs.items():
            fut.add_done_callback(lambda f, n=name: (when.setdefault(n, time.monotonic() - t0), ended[n].set()))
        results = []
        for name, fut in futs.items():
            ended[name].wait(timeout + 5)
            try:
                r = fut.result(timeout=1)
                if name == "calc":
                    ok = r.delta.amount == "315.00"
                    detail = "ok" if ok else f"WRONG delta {r.delta.amount}"
                else:
                    status = S.health.HealthCheckResponse.ServingStatus.Name(r.status)
                    ok, detail = status == "SERVING", status
            except Exception as e:  # noqa: BLE001
                ok, detail = False, code_of(e)
            results.append(ProbeResult(name, ok, when.get(name, time.monotonic() - t0), detail))
        return tuple(results)
    finally:
        ch.close()


def summarize(results):
    """One table cell for a list of ProbeResults."""
    if not results:
        return "-"
    worst = max(r.seconds for r in results)
    bad = [r for r in results if r.bad]
    if len(results) == 1:
        r = results[0]
        return f"{r.label()} {secs(r.seconds)}" if r.bad else secs(r.seconds)
    if not bad:
        return f"{secs(worst)} max (n={len(results)})"
    kinds = {}
    for r in bad:
        kinds[r.label()] = kinds.get(r.label(), 0) + 1
    kinds_s = ", ".join(f"{k} x{v}" for k, v in kinds.items())
    return f"{len(bad)}/{len(results)} bad ({kinds_s}), worst {secs(worst)}"


# ---------------------------------------------------------------------------------------------
# One case: a fresh server, an attack, probes during and after, a timed stop
# ---------------------------------------------------------------------------------------------


class Case:
    """Context manager: starts a fresh server, records the attack's answer, probes, RSS and exit."""

    def __init__(self, h, key, attack, flags=(), wrapper=()):
        self.h, self.key, self.attack = h, key, attack
        self.flags, self.wrapper = list(flags), list(wrapper)
        self.answer, self.latency = "-", None
        self.notes = []
        self.during_results = []
        self.apart_results = []
        self.after_results = None
        self.extra = {}
        self.ended_by_harness = False  # the row itself stopped the server (row 4)
        self.stop_override = None

    def __enter__(self):
        print(f"\n== {self.key}: {self.attack}", flush=True)
        log = os.path.join(self.h.log_dir, f"server-{self.key}.log")
        self.server = Server(self.h.binary, self.h.server_flags + self.flags, self.h.wrapper + self.wrapper, log, self.h.rss_kill_mib)
        self.server.wait_healthy()
        self.port = self.server.port
        self.t_start = time.monotonic()
        self.busy0, self.own0 = machine_busy_seconds(), own_cpu_seconds()
        return self

    # -- recording --
    def set_answer(self, result, err, seconds, ok_text="ok"):
        self.answer = answer_of(err) if err else ok_text
        self.latency = seconds
        print(f"   answer after {secs(seconds)}: {self.answer}", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(f"   {text}", flush=True)

    @contextlib.contextmanager
    def during(self, interval=1.0, first_delay=0.3):
        """Runs probe rounds in the background while the block (the attack in flight) runs."""
        stop = threading.Event()

        def loop():
            if stop.wait(first_delay):
                return
            while True:
                self.during_results.append(probe_round(self.port))
                ok, detail, t = health_check(self.server.health_port, PROBE_TIMEOUT)
                self.apart_results.append(ProbeResult("health apart", ok, t, detail))
                if stop.wait(interval):
                    return

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()
            if not self.during_results:  # the attack ended before the first probe: probe now
                self.during_results.append(probe_round(self.port))

    def burn_after(self, since, what, limit=60.0):
        """Notes how long the server's CPU kept running after `since` (a deadline), up to `limit` s."""
        burn = wait_cpu_idle(self.server, since, limit=limit)
        self.extra["cpu_after_deadline_s"] = None if burn is None else round(burn, 1)
        self.note("server CPU kept running " + (f"{burn:.1f} s after {what}" if burn is not None
                                                else f"for more than {limit:.0f} s after {what} (stopped watching)"))

    def after(self):
        """The probes right after the attack (once)."""
        if self.after_results is None:
            if self.server.alive():
                self.after_results = probe_round(self.port)
            else:
                dead = ProbeResult("calc", False, 0.0, "server dead")
                self.after_results = (dead, ProbeResult("health", False, 0.0, "server dead"))
        return self.after_results

    def __exit__(self, exc_type, exc, tb):
        if exc is not None:
            self.note(f"harness error: {type(exc).__name__}: {short(exc, 300)}")
        self.after()
        elapsed = time.monotonic() - self.t_start
        server_cpu = (self.server.cpu() if self.server.alive() else None) or self.server.last_cpu
        own = own_cpu_seconds() - self.own0
        if self.server.proc.returncode is not None:  # reaped: its CPU is already in our children's times
            own -= server_cpu
        other = machine_busy_seconds() - self.busy0 - server_cpu - own
        other_share = max(0.0, other) / (elapsed * (os.cpu_count() or 1))
        self.extra["server_cpu_s"] = round(server_cpu, 1)
        self.extra["other_processes_cpu_share"] = round(other_share, 2)
        if other_share > 0.15:
            self.note(f"other processes used {other_share * 100:.0f}% of the machine's CPU during this case")
        alive = self.server.alive()
        hwm = (self.server.hwm_kib() if alive else None) or self.server.last_hwm_kib
        time.sleep(0.06)
        sampled = self.server.max_rss_kib
        if not alive and not self.ended_by_harness:
            self.note(f"server {self.server.death()}; log: {self.server.log_tail()}")
        exit_s, how = self.server.stop()
        if self.stop_override:
            exit_s, how = self.extra.get("sigterm_to_exit_s"), self.stop_override
        if alive:
            print(f"   SIGTERM -> {how} after {secs(exit_s)}", flush=True)
        calc_d = [r[0] for r in self.during_results]
        health_d = [r[1] for r in self.during_results]
        if self.apart_results:
            self.notes.append("health on the --health-listen port during the attack: "
                              + summarize(self.apart_results))
        self.h.results.append({
            "row": self.key,
            "attack": self.attack,
            "answer": self.answer,
            "attacker_latency_s": None if self.latency is None else round(self.latency, 3),
            "peak_rss_mib": mib(hwm),
            "sampled_max_rss_mib": mib(sampled),
            "during_calc": summarize(calc_d), "during_health": summarize(health_d),
            "after_calc": summarize([self.after_results[0]]), "after_health": summarize([self.after_results[1]]),
            "during_probes": [{"calc": c.json(), "health": hh.json()} for c, hh in self.during_results],
            "after_probes": {"calc": self.after_results[0].json(), "health": self.after_results[1].json()},
            "alive_after": None if self.ended_by_harness else alive,
            "sigterm_exit_s": None if exit_s is None else round(exit_s, 2),
            "stop": how,
            "notes": self.notes,
            **self.extra,
        })
        return exc is not None and not isinstance(exc, KeyboardInterrupt)  # record harness errors and go on


class Harness:
    def __init__(self, binary, log_dir, rss_kill_mib, as_cap_mib):
        self.binary = os.path.abspath(binary)
        self.log_dir = log_dir
        self.rss_kill_mib = rss_kill_mib
        self.server_flags = []
        self.wrapper = ["prlimit", f"--as={as_cap_mib * 1024 * 1024}"] if as_cap_mib else []
        self.results = []

    def case(self, key, attack, flags=(), wrapper=()):
        return Case(self, key, attack, flags, wrapper)


def wait_cpu_idle(server, since, limit=90.0, quiet=1.0):
    """Seconds from `since` (a monotonic time) until the server's CPU time stops growing (no more
    than 20 ms over `quiet` seconds), sampled every 100 ms; None if it was still busy at `limit`."""
    last_cpu, last_change = server.cpu(), time.monotonic()
    end = time.monotonic() + limit
    while time.monotonic() < end:
        time.sleep(0.1)
        c = server.cpu()
        if c is None:
            return last_change - since
        if c - last_cpu > 0.02:
            last_cpu, last_change = c, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            return max(0.0, last_change - since)
    return None


# ---------------------------------------------------------------------------------------------
# The rows of the table
# ---------------------------------------------------------------------------------------------


def row1(h, runaway_s=60.0):
    """Row 1. Sends one ~11 KB CalculateImpact: a shared-assembly fan-out (A0 = one imported
    nd-oxide line, A(k+1) = two refs to A(k), the top item refs A15: 32,768 imported lines) under
    an inline schedule of 700 1% FULL_VALUE measures that all match (22.9 M duty atoms per side).
    The client gives up after `runaway_s` (--runaway-seconds, default 60: waiting for the
    out-of-memory abort takes minutes; run `--rows 1 --runaway-seconds 600 --as-cap-mib 4096`
    to see it). Then 4,096 lines x 700 measures with a 1 s client deadline, measuring how long the server's
    CPU keeps running after the deadline.
    Healthy: refused at once by a work budget (RESOURCE_EXHAUSTED naming the budget and flag),
    RSS flat; with the deadline, DEADLINE_EXCEEDED at ~1 s and the CPU stops within ms."""
    req = fanout_request(15, 700)
    size = req.ByteSize()
    with h.case("1", f"CalculateImpact {size / 1024:.1f} KB: 32,768 imported lines (fan-out) x 700 measures, client deadline {runaway_s:.0f} s") as c:
        ch = channel(c.port)
        with c.during():
            r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CalculateImpact, req, timeout=runaway_s)
        c.set_answer(r, err, t, f"ok ({r.ByteSize() if r else 0} B response)")
        ch.close()

    req = fanout_request(12, 700)
    with h.case("1b", f"CalculateImpact {req.ByteSize() / 1024:.1f} KB: 4,096 lines x 700 measures, 1 s deadline") as c:
        ch = channel(c.port)
        with c.during():
            t0 = time.monotonic()
            r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CalculateImpact, req, timeout=1.0)
        c.set_answer(r, err, t)
        c.after()
        c.burn_after(t0 + 1.0, "the 1 s client deadline", limit=90)
        ch.close()


def row2(h):
    """Row 2. Sends one CompareScenarios (~4 KB): 64 scenarios (alternating preset decks and
    schedules) x a 16,383-item fan-out BOM (8,192 imported nd-oxide lines under us-2025/us-2026),
    full view. Healthy: RESOURCE_EXHAUSTED at once from a work or response-size budget (the gRPC
    default 4 MiB response), RSS flat, probes fast."""
    scen = []
    for i in range(64):
        scen.append({"name": f"scenario-{i:02d}", "pricesId": ["ree-post-restriction", "ree-pre-restriction"][i % 2],
                     "scheduleId": ["us-2026", "us-2025"][i // 2 % 2], "entryDate": f"2026-{1 + i % 12:02d}-1{i % 10}"})
    req = parse(S.pb.CompareScenariosRequest, {
        "bom": fanout_bom(12, leaves=2), "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2025",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500"}, "scenarios": scen})
    with h.case("2", f"CompareScenarios {req.ByteSize() / 1024:.1f} KB: 64 scenarios x 16,383-item fan-out BOM, full view") as c:
        ch = channel(c.port)
        with c.during():
            r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CompareScenarios, req, timeout=240)
        c.set_answer(r, err, t, f"ok ({r.ByteSize() if r else 0} B)")
        if isinstance(err, grpc.RpcError) and err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            c.after()
            c.burn_after(time.monotonic(), "its DEADLINE_EXCEEDED answer", limit=60)
        m = re.search(r"\((\d+) vs\. (\d+)\)", err.details() or "") if isinstance(err, grpc.RpcError) else None
        if m:
            c.note(f"the server sent a {int(m.group(1)) / 2**20:.0f} MiB response (the client's limit is {int(m.group(2)) / 2**20:.0f} MiB)")
        ch.close()


def sensitivity_request(inputs=64, levels=6):
    """AnalyzeSensitivity on `inputs` top items q0.. each referencing a 2^levels-line fan-out of
    nd-oxide imported from CN, prices falling (post -> pre restriction) under us-2026, one quantity
    input per top item (0-2): duties and goods move in opposite directions, so the bound search
    does not converge and spends its whole evaluation budget."""
    bom = fanout_bom(levels)
    bom["items"] = [{"id": f"q{i}", "assemblyRef": f"A{levels}"} for i in range(inputs)]
    return parse(S.pb.AnalyzeSensitivityRequest, {
        "calculation": {"bom": bom, "baselinePricesId": "ree-post-restriction", "scenarioPricesId": "ree-pre-restriction",
                        "baselineScheduleId": "us-2026", "options": {"entryDate": "2026-03-02"}},
        "inputs": [{"name": f"quantity of q{i}", "quantity": {"itemPaths": [f"q{i}"]}, "low": "0", "base": "1", "high": "2"}
                   for i in range(inputs)]})


def row3(h):
    """Row 3. Sends 64 concurrent AnalyzeSensitivity calls (~3.1 KB each: 64 quantity inputs on a
    4,096-line fan-out BOM) with a 1 s deadline, then probes CalculateImpact (and health) every
    second for 30 s. Healthy: DEADLINE_EXCEEDED (or RESOURCE_EXHAUSTED from a budget) at ~1 s,
    the work cancelled with the deadline so its permits free at once: no probe afterwards gets
    RESOURCE_EXHAUSTED, health stays SERVING."""
    req = sensitivity_request()
    with h.case("3", f"64 x AnalyzeSensitivity {req.ByteSize() / 1024:.1f} KB, 1 s deadline; then CalculateImpact each second for 30 s") as c:
        ch = channel(c.port)
        stub = S.svc.CostImpactServiceStub(ch)
        with c.during():
            t0 = time.monotonic()
            futs = [stub.AnalyzeSensitivity.future(req, timeout=1.0) for _ in range(64)]
            codes, last = {}, 0.0
            for f in futs:
                try:
                    f.result()
                    k = "ok"
                except grpc.RpcError as e:
                    k = e.code().name
                last = time.monotonic() - t0
                codes[k] = codes.get(k, 0) + 1
        c.answer = ", ".join(f"{k} x{v}" for k, v in codes.items())
        c.latency = last
        print(f"   answers: {c.answer} (all within {secs(last)})", flush=True)
        c.after()
        # 30 s of probes, one per second
        series, t_end = [], time.monotonic() + 30
        while time.monotonic() < t_end:
            tr = time.monotonic()
            calc, health = probe_round(c.port, timeout=5.0)
            series.append((round(tr - t0, 1), calc.detail, health.detail))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tr)))
        exhausted = [s for s in series if s[1] == "RESOURCE_EXHAUSTED"]
        c.extra["probe_series"] = series
        if exhausted:
            c.note(f"{len(exhausted)}/{len(series)} CalculateImpact probes in the 30 s after the deadline got RESOURCE_EXHAUSTED, "
                   f"from {exhausted[0][0]} s to {exhausted[-1][0]} s after the calls started"
                   + (" (still at the end)" if series[-1][1] == "RESOURCE_EXHAUSTED" else "")
                   + f"; health said {sorted(set(s[2] for s in exhausted))} meanwhile")
        else:
            c.note(f"0/{len(series)} CalculateImpact probes in the 30 s after the deadline got RESOURCE_EXHAUSTED")
        ch.close()


def row4(h):
    """Row 4. Starts row 1's runaway call (32,768 lines x 700 measures), sends SIGTERM 2 s later
    and times the exit (SIGKILL after 30 s). Healthy: drain (health NOT_SERVING for the grace
    period), the runaway cancelled, exit within grace + drain timeout (22 s at most on the
    defaults), the client answered UNAVAILABLE or CANCELLED rather than cut off."""
    req = fanout_request(15, 700)
    with h.case("4", "SIGTERM 2 s into row 1's runaway CalculateImpact") as c:
        ch = channel(c.port)
        t0 = time.monotonic()
        fut = S.svc.CostImpactServiceStub(ch).CalculateImpact.future(req, timeout=120)
        fut.add_done_callback(lambda f: c.extra.setdefault("client_answered_at_s", round(time.monotonic() - t0, 2)))
        time.sleep(1.0)
        c.during_results.append(probe_round(c.port, timeout=0.9))
        time.sleep(max(0.0, 2.0 - (time.monotonic() - t0)))
        alive_at_term = c.server.alive()
        t_term = time.monotonic()
        c.server.proc.send_signal(signal.SIGTERM)
        c.ended_by_harness = True
        exit_s = None
        while time.monotonic() - t_term < STOP_TIMEOUT and c.server.alive():
            c.server.last_hwm_kib = proc_status(c.server.pid, "VmHWM") or c.server.last_hwm_kib
            time.sleep(0.05)
        if c.server.alive():
            how = f"was still running {STOP_TIMEOUT:.0f} s after SIGTERM: killed -9"
            c.server.proc.kill()
            c.server.proc.wait()
        else:
            exit_s = time.monotonic() - t_term
            how = f"exited after {exit_s:.1f} s ({c.server.death()})"
        c.extra["sigterm_to_exit_s"] = exit_s
        try:
            fut.result(timeout=5)
            c.set_answer(True, None, time.monotonic() - t0)
        except grpc.FutureTimeoutError:
            c.answer, c.latency = "no answer 5 s after the server was gone", time.monotonic() - t0
        except grpc.RpcError as e:
            c.set_answer(None, e, c.extra.get("client_answered_at_s") or time.monotonic() - t0)
        c.note(f"running at SIGTERM: {alive_at_term}; the server {how}; the client's call ended "
               f"{c.extra.get('client_answered_at_s', '-')} s after it started (SIGTERM at 2 s)")
        dead = ProbeResult("calc", False, 0.0, "server gone")
        c.after_results = (dead, ProbeResult("health", False, 0.0, "server gone"))
        c.stop_override = how
        ch.close()


def row5(h):
    """Row 5. Opens 64 CalculateBatch streams that send nothing and keeps them open 8 s, then
    tries a 65th, probing meanwhile. Healthy: idle streams hold no calculation permit (permits
    per item) and are closed by an idle-stream timeout; probes keep getting answers."""
    with h.case("5", "64 CalculateBatch streams that send nothing, held 8 s") as c:
        ch = channel(c.port)
        stub = S.svc.CostImpactServiceStub(ch)
        release = threading.Event()

        def silent():
            release.wait()
            return
            yield  # noqa: unreachable - makes this a generator that sends nothing

        with c.during():
            t0 = time.monotonic()
            calls = [stub.CalculateBatch(silent()) for _ in range(64)]
            time.sleep(1.0)
            # A 65th stream: does it get in?
            ch2 = channel(c.port)
            extra = S.svc.CostImpactServiceStub(ch2).CalculateBatch(iter([S.pb.CalculateBatchRequest(request_id="65th", calculation=seed_request())]), timeout=5)
            r, err, _ = timed_call(lambda: list(extra))
            c.note("a 65th stream sending one seed item: " + (answer_of(err) if err else f"ok ({len(r)} responses)"))
            time.sleep(7.0)
            ended = [x for x in calls if x.done()]
            c.note(f"{len(ended)}/64 idle streams ended by the server within 8 s"
                   + (f" ({answer_of(ended[0].exception()) if ended[0].exception() else 'ok'})" if ended else ""))
        c.set_answer(True, None, time.monotonic() - t0, f"{64 - len(ended)} of 64 streams accepted and held open")
        release.set()
        for x in calls:
            x.cancel()
        time.sleep(0.3)
        ch.close()
        ch2.close()


def row6(h):
    """Row 6. Opens 2 CalculateBatch streams on 2 connections, the second 0.5 s after the first
    (so its task lands on the other async worker), each sending one ~9.4 KB heavy item (512
    imported lines x 620 measures, full view) and closing; probes every 0.5 s meanwhile.
    Healthy: the items run off the async workers (or are refused by a work budget), so health
    and the small call answer in milliseconds throughout."""
    item = fanout_request(9, 620)
    with h.case("6", f"2 CalculateBatch streams with one {item.ByteSize() / 1024:.1f} KB heavy item each") as c:
        chans = [channel(c.port, max_receive=256 * 1024 * 1024) for _ in range(2)]

        def one(i):
            time.sleep(0.5 * i)
            stub = S.svc.CostImpactServiceStub(chans[i])
            return list(stub.CalculateBatch(iter([S.pb.CalculateBatchRequest(request_id=f"heavy-{i}", calculation=item)]), timeout=120))

        with c.during(interval=0.5):
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                outs = [f.result() for f in [pool.submit(timed_call, one, i) for i in range(2)]]
        answers = []
        for r, err, _ in outs:
            if err:
                answers.append(answer_of(err))
            else:
                answers.append(" + ".join(x.WhichOneof("outcome") + (f" {x.error.code}" if x.WhichOneof("outcome") == "error" else "") for x in r))
        c.answer = "; ".join(f"stream {i + 1}: {a}" for i, a in enumerate(answers))
        c.latency = max(o[2] for o in outs)
        print(f"   {c.answer} after {secs(c.latency)}", flush=True)
        for ch in chans:
            ch.close()


def h2load_body(path, view="RESULT_VIEW_FULL"):
    """A ~39 KB CalculateImpact: an inline BOM of 710 imported lines (distinct ids, Nd and Dy
    oxide from CN) under us-2025 -> us-2026, full view, framed for gRPC."""
    items = []
    for i in range(710):
        items.append({"id": f"line-{i:04d}", "materialId": ["nd-oxide", "dy-oxide"][i % 2], "quantity": "0.0125",
                      "unit": "UNIT_OF_MEASURE_KG", "import": IMPORT_CN})
    req = parse(S.pb.CalculateImpactRequest, {
        "bom": {"id": "h2load", "currency": "USD", "items": items},
        "baselinePricesId": "ree-pre-restriction", "scenarioPricesId": "ree-post-restriction",
        "baselineScheduleId": "us-2025", "scenarioScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "unitsPerEntry": "500", "view": view}})
    body = req.SerializeToString()
    with open(path, "wb") as f:
        f.write(grpc_frame(body))
    return len(body)


def row7(h, duration=60, requests=None, nice=0):
    """Row 7. h2load -c200 -m100 (20,000 streams in flight) with a 39 KB CalculateImpact (summary
    view, so responses stay small and the row measures admission, not response size), for
    `duration` s (-D; --h2load-duration) or -n `requests` (--h2load-requests, bounded at 300 s).
    Healthy: excess shed at once (RESOURCE_EXHAUSTED or UNAVAILABLE: h2load counts these as HTTP
    200 since gRPC statuses travel in trailers), admitted calls fast, thousands of answers per
    second, RSS bounded during and back down after, probes answered."""
    path = os.path.join(h.log_dir, "h2load-body.bin")
    size = h2load_body(path, view="RESULT_VIEW_SUMMARY")
    bound = ["-n", str(requests)] if requests else ["-D", str(duration)]
    with h.case("7", f"h2load -c200 -m100 {' '.join(bound)}, {size / 1024:.0f} KB CalculateImpact") as c:
        # With --generator-nice, h2load runs at a lower CPU priority: on a machine it shares with
        # the server, it stands in for an attacker elsewhere instead of taking the server's cores.
        niced = ["nice", "-n", str(nice)] if nice else []
        cmd = [*niced, "h2load", *bound, "-c", "200", "-m", "100", "-t", "1", "-H", "content-type: application/grpc",
               "-H", "te: trailers", "-d", path, f"http://127.0.0.1:{c.port}{CALC}"]
        wall_limit = 300 if requests else duration + 60
        with c.during(interval=2.0):
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                out, _ = p.communicate(timeout=wall_limit)
                cut = False
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
                cut = True
            t = time.monotonic() - t0
        c.after()
        with open(os.path.join(h.log_dir, "h2load.txt"), "w") as f:
            f.write(out)
        rps = re.search(r"finished in ([^,]+), ([0-9.]+) req/s", out)
        reqs = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
        lat = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out)
        parts = []
        if cut:
            parts.append(f"h2load killed after {wall_limit} s (no statistics)")
        if rps:
            parts.append(f"{float(rps.group(2)):.1f} req/s")
        if reqs:
            parts.append(f"{reqs.group(3)} done of {reqs.group(2)} started ({reqs.group(4)} succeeded, {reqs.group(5)} failed)")
        if codes:
            parts.append(f"HTTP {codes.group(1)} 2xx / {codes.group(4)} 5xx")
        if lat and reqs and int(reqs.group(3)):
            parts.append(f"latency of those done: min {lat.group(1)}, max {lat.group(2)}, mean {lat.group(3)}")
        c.answer = "; ".join(parts) or short(out, 200)
        c.latency = t
        c.extra["h2load"] = {"cmd": " ".join(cmd), "output_tail": out[-1500:]}
        print(f"   {c.answer}", flush=True)
        time.sleep(5.0)
        rss = proc_status(c.server.pid, "VmRSS")
        c.extra["rss_5s_after_mib"] = mib(rss)
        c.note(f"server RSS 5 s after h2load ended: {mib(rss)} MiB")


def row8(h):
    """Row 8. CalculateImpact with 100,000 sibling material lines with unique ids (summary view),
    then one with 60,000 distinct materials (inline baseline deck pricing all of them). Healthy:
    linear validation and summaries: well under a second each (or refused by a budget). The
    server runs with --max-call-seconds 120 here so the attacker's latency is the real work."""
    req = S.pb.CalculateImpactRequest(baseline_prices_id="ree-pre-restriction", scenario_prices_id="ree-post-restriction",
                                      baseline_schedule_id="us-2026")
    req.options.entry_date = "2026-03-02"
    req.options.view = S.pb.RESULT_VIEW_SUMMARY
    req.bom.id, req.bom.currency = "siblings", "USD"
    for i in range(100_000):
        req.bom.items.add(id=f"l{i}", material_id="nd-oxide", quantity="1", unit=S.common.UNIT_OF_MEASURE_KG)
    flags = ["--max-call-seconds", "120"]  # time the work instead of cutting it at the default 30 s
    with h.case("8", f"CalculateImpact, 100,000 sibling lines with unique ids ({req.ByteSize() / 2**20:.1f} MiB, summary view; server --max-call-seconds 120)", flags) as c:
        ch = channel(c.port, max_receive=256 * 1024 * 1024)
        with c.during():
            r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CalculateImpact, req, timeout=120)
        c.set_answer(r, err, t, f"ok (delta {r.delta.amount})" if r else "ok")
        ch.close()

    req = S.pb.CalculateImpactRequest(baseline_schedule_id="us-2026")
    req.options.entry_date = "2026-03-02"
    req.options.view = S.pb.RESULT_VIEW_SUMMARY
    req.bom.id, req.bom.currency = "materials", "USD"
    req.baseline_prices.id, req.baseline_prices.currency = "deck", "USD"
    for i in range(60_000):
        req.bom.items.add(id=f"l{i}", material_id=f"mat-{i}", quantity="1", unit=S.common.UNIT_OF_MEASURE_KG)
        req.baseline_prices.prices.add(material_id=f"mat-{i}", price="1.5", unit=S.common.UNIT_OF_MEASURE_KG)
    with h.case("8b", f"CalculateImpact, 60,000 distinct materials priced inline ({req.ByteSize() / 2**20:.1f} MiB, summary view; server --max-call-seconds 120)", flags) as c:
        ch = channel(c.port, max_receive=256 * 1024 * 1024)
        with c.during():
            r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CalculateImpact, req, timeout=120)
        c.set_answer(r, err, t, f"ok ({len(r.materials)} materials)" if r else "ok")
        ch.close()


def row9(h):
    """Row 9. Sends a just-under-4-MiB CalculateImpact whose BOM is 2,000,000 empty items
    (2 bytes each on the wire), hand-encoded. Healthy: INVALID_ARGUMENT (or RESOURCE_EXHAUSTED)
    quickly, with decode memory bounded (admission before decode; tens of MiB)."""
    body = ld(2, ld(4, b"USD") + b"\x32\x00" * 2_000_000) + RAW_TAIL
    with h.case("9", f"CalculateImpact {len(body) / 2**20:.2f} MiB: 2,000,000 empty BOM items") as c:
        ch = channel(c.port)
        call = ch.unary_unary(CALC, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        with c.during():
            r, err, t = timed_call(call, body, timeout=60)
        c.set_answer(r, err, t)
        ch.close()


def open_sockets(port, n, payload=b"", timeout=3.0):
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            if payload:
                s.sendall(payload)
            socks.append(s)
        except OSError:
            failed += 1
    return socks, failed


def closed_by_peer(s):
    """True if the server closed or reset this socket (reads whatever it sent first)."""
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def row10(h, wait_s=70):
    """Row 10. Opens 2,000 idle TCP connections (no bytes) and 200 that send half of the HTTP/2
    client preface, waits 70 s and counts how many the server closed. Then restarts the server
    under a 256-descriptor limit, opens 300 connections and measures its CPU over 5 s.
    Healthy: handshake and idle timeouts close them all within the wait; on EMFILE the accept
    loop backs off (CPU near 0) and probes still get through once descriptors free up."""
    preface_half = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[:12]
    with h.case("10", "2,000 idle TCP connections + 200 half HTTP/2 prefaces, 70 s") as c:
        with c.during(interval=5.0):
            t0 = time.monotonic()
            idle, f1 = open_sockets(c.port, 2000)
            half, f2 = open_sockets(c.port, 200, preface_half)
            opened = time.monotonic() - t0
            time.sleep(max(0.0, wait_s - opened))
        closed_idle = sum(closed_by_peer(s) for s in idle)
        closed_half = sum(closed_by_peer(s) for s in half)
        c.answer = f"after {wait_s} s the server had closed {closed_idle}/{len(idle)} idle and {closed_half}/{len(half)} half-preface connections"
        c.latency = time.monotonic() - t0
        if f1 or f2:
            c.note(f"{f1 + f2} connections could not be opened")
        print(f"   {c.answer}", flush=True)
        c.extra["fds_open_at_end"] = len(os.listdir(f"/proc/{c.server.pid}/fd")) if c.server.alive() else None
        for s in idle + half:
            s.close()

    wrapper = ["prlimit", "--nofile=256:256"]
    with h.case("10b", "server under ulimit -n 256, 300 connections held, CPU over 5 s", wrapper=wrapper) as c:
        with c.during(interval=1.0):
            t0 = time.monotonic()
            socks, failed = open_sockets(c.port, 300, timeout=2.0)
            cpu0, w0 = c.server.cpu(), time.monotonic()
            time.sleep(5.0)
            cpu1, w1 = c.server.cpu(), time.monotonic()
        share = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (w1 - w0)
        c.extra["cpu_share_of_one_core"] = share
        c.answer = f"{len(socks)} connected ({failed} failed); server CPU {share * 100:.0f}% of one core over 5 s" if share is not None else "server gone"
        c.latency = time.monotonic() - t0
        print(f"   {c.answer}", flush=True)
        for s in socks:
            s.close()
        time.sleep(0.5)


def row11(h):
    """Row 11. (a) CalculateImpact naming a 1 MB unknown bom_id; (b) one with 100 BOM lines whose
    quantity is a 10 KB invalid decimal. Reports the code the Python grpcio client sees and, over
    a raw HTTP/2 connection, the trailers' size. Healthy: NOT_FOUND / INVALID_ARGUMENT with
    details, echoed values truncated and violations capped so the trailers stay a few KiB."""
    big_id = "x" * 1_000_000
    req = parse(S.pb.CalculateImpactRequest, dict(seed_dict()))
    req.ClearField("bom")
    req.bom_id = big_id
    cases = [("11", "CalculateImpact with a 1 MB unknown bom_id", req)]
    req2 = parse(S.pb.CalculateImpactRequest, seed_dict())
    del req2.bom.items[:]
    for i in range(100):
        req2.bom.items.add(id=f"l{i}", material_id="nd-oxide", quantity="9" * 10_000, unit=S.common.UNIT_OF_MEASURE_KG)
    cases.append(("11b", "CalculateImpact with 100 invalid 10 KB decimals", req2))
    for key, what, r_ in cases:
        with h.case(key, f"{what} ({r_.ByteSize() / 1024:.0f} KB)") as c:
            ch = channel(c.port)
            with c.during():
                r, err, t = timed_call(S.svc.CostImpactServiceStub(ch).CalculateImpact, r_, timeout=30)
            c.set_answer(r, err, t)
            raw = raw_unary(c.port, CALC, r_.SerializeToString())
            tr = raw["trailers"] or raw["headers"]
            details = tr.get("grpc-status-details-bin", "")
            c.extra["raw"] = {"grpc_status": tr.get("grpc-status"), "trailer_bytes": raw["trailer_bytes"] or sum(len(k) + len(v) for k, v in raw["headers"].items()),
                              "status_details_bin_bytes": len(details), "grpc_message_bytes": len(tr.get("grpc-message", ""))}
            c.note(f"raw HTTP/2: grpc-status {tr.get('grpc-status')}, trailers {c.extra['raw']['trailer_bytes'] / 1024:.0f} KiB "
                   f"(grpc-message {len(tr.get('grpc-message', '')) / 1024:.0f} KiB, grpc-status-details-bin {len(details) / 1024:.0f} KiB)"
                   + (f", {raw['reset']}" if raw.get("reset") else "") + (f", GOAWAY {raw['goaway']}" if raw.get("goaway") else ""))
            ch.close()


def row12(h, frames=10_000, limit_s=20.0):
    """Row 12. A raw HTTP/2 client opens one CalculateBatch stream and sends up to 10,000 small
    valid batch requests (preset ids) as separate DATA frames for up to 20 s, reading the socket
    (to see GOAWAY / RST_STREAM) but never acknowledging data (no WINDOW_UPDATE). Then a second,
    normal connection makes the probe calls. Healthy: the server stops reading (flow control) and
    then ends that stream (an idle or slow-reader timeout) without a connection-level GOAWAY;
    other connections are unaffected."""
    import h2.events as ev

    item = S.pb.CalculateBatchRequest(request_id="r", calculation=parse(S.pb.CalculateImpactRequest, {
        "bomId": "ev-low-ree", "baselinePricesId": "ree-pre-restriction", "baselineScheduleId": "us-2026",
        "options": {"entryDate": "2026-03-02", "view": "RESULT_VIEW_SUMMARY"}}))
    frame = grpc_frame(item.SerializeToString())
    with h.case("12", f"raw HTTP/2 batch stream: {frames} x {len(frame)} B DATA frames, responses never acknowledged") as c:
        conn = RawH2(c.port)
        sid = conn.open_stream(BATCH)
        sent = received = 0
        goaway = reset = trailers = None
        eof = False
        t0 = time.monotonic()
        blocked_at = None
        with c.during(interval=2.0):
            while time.monotonic() - t0 < limit_s and not (goaway or reset or eof):
                while sent < frames and conn.conn.local_flow_control_window(sid) >= len(frame) and conn.conn.max_outbound_frame_size >= len(frame):
                    conn.conn.send_data(sid, frame)
                    sent += 1
                    if sent % 50 == 0:
                        break
                try:
                    conn.flush()
                except OSError:
                    eof = True
                    break
                if sent < frames and conn.conn.local_flow_control_window(sid) < len(frame) and blocked_at is None:
                    blocked_at = sent
                can_send = sent < frames and conn.conn.local_flow_control_window(sid) >= len(frame)
                try:
                    events = conn.read(0.005 if can_send else 0.2)
                except Exception as e:  # noqa: BLE001 - a protocol error in the h2 library
                    c.note(f"h2 client error: {type(e).__name__}: {short(e)}")
                    break
                if events is None:
                    eof = True
                    break
                for e in events:
                    if isinstance(e, ev.DataReceived):
                        received += len(e.data)
                    elif isinstance(e, ev.ConnectionTerminated):
                        goaway = (getattr(e.error_code, "name", str(e.error_code)), e.last_stream_id, (e.additional_data or b"")[:80])
                    elif isinstance(e, ev.StreamReset):
                        reset = getattr(e.error_code, "name", str(e.error_code))
                    elif isinstance(e, ev.TrailersReceived):
                        trailers = dict(e.headers)
                    elif isinstance(e, ev.StreamEnded):
                        eof = True
        t = time.monotonic() - t0
        conn.close()
        c.latency = t
        parts = [f"sent {sent} frames"]
        if blocked_at is not None:
            parts.append(f"send window exhausted after {blocked_at}")
        parts.append(f"received {received / 1024:.0f} KiB of responses")
        if goaway:
            parts.append(f"GOAWAY {goaway[0]} (last stream {goaway[1]}, {goaway[2]!r})")
        if reset:
            parts.append(f"RST_STREAM {reset}")
        if trailers:
            parts.append(f"stream ended: grpc-status {trailers.get('grpc-status')} {short(trailers.get('grpc-message', ''), 80)}")
        elif eof and not goaway:
            parts.append("connection closed")
        if not (goaway or reset or eof):
            parts.append(f"no GOAWAY or RST_STREAM within {limit_s:.0f} s")
        c.answer = "; ".join(parts)
        c.extra["goaway"] = goaway[0] if goaway else None
        print(f"   {c.answer}", flush=True)


def row13(h):
    """Row 13. Hand-built gRPC messages to CalculateImpact: a BOM item nested 120 levels deep,
    invalid UTF-8 in bom.id, a varint where bom.id (a string) belongs; then a CalculateBatch
    stream of good, bad (invalid UTF-8), good items. Healthy: INVALID_ARGUMENT with a BadRequest
    violation for each (a client fault, not INTERNAL); in the batch, the bad item alone gets an
    error and the stream goes on."""
    bad = [("nested 120 levels", raw_nested(120)), ("invalid UTF-8 in bom.id", raw_bad_utf8()),
           ("wrong wire type for bom.id", raw_wrong_wire_type())]
    with h.case("13", "malformed protobuf: 120-deep nesting, invalid UTF-8, wrong wire type; and one in a batch") as c:
        ch = channel(c.port)
        call = ch.unary_unary(CALC, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        answers = []
        with c.during():
            t0 = time.monotonic()
            for name, body in bad:
                r, err, t = timed_call(call, body, timeout=10)
                answers.append((name, err))
            items = [("good-1", S.pb.CalculateBatchRequest(request_id="good-1", calculation=seed_request()).SerializeToString()),
                     ("bad-utf8", ld(1, b"bad-utf8") + ld(2, raw_bad_utf8())),
                     ("good-2", S.pb.CalculateBatchRequest(request_id="good-2", calculation=seed_request()).SerializeToString())]
            stream = ch.stream_stream(BATCH, request_serializer=lambda b: b, response_deserializer=S.pb.CalculateBatchResponse.FromString)
            got, end = {}, "OK"
            try:
                for resp in stream(iter([b for _, b in items]), timeout=10):
                    kind = resp.WhichOneof("outcome")
                    got[resp.request_id or "summary"] = kind + (f" {resp.error.code}" if kind == "error" else "")
            except grpc.RpcError as e:
                end = answer_of(e)
            t = time.monotonic() - t0
        c.answer = " / ".join(f"{name}: " + (f"{code_of(err)}: {short(err.details(), 60)}" if err else "ok") for name, err in answers)
        c.latency = t
        for name, err in answers:
            if err:
                c.note(f"{name}: message ends ...{(err.details() or '')[-70:]!r}")
        c.note("batch stream good-1, bad-utf8, good-2 -> " + ", ".join(f"{rid}: {got.get(rid, 'no answer')}" for rid, _ in items)
               + (f", summary: {got['summary']}" if "summary" in got else "") + f"; stream ended {end}")
        ch.close()


ROWS = {1: row1, 2: row2, 3: row3, 4: row4, 5: row5, 6: row6, 7: row7, 8: row8, 9: row9, 10: row10,
        11: row11, 12: row12, 13: row13}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(results):
    out = ["| # | attack | answer the attacker got | attacker latency | peak RSS MiB (VmHWM / sampled) | "
           "during: calc | during: health | after: calc | after: health | alive after | SIGTERM -> exit |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        hwm = "-" if r["peak_rss_mib"] is None else f"{r['peak_rss_mib']:.0f}"
        sampled = "-" if r["sampled_max_rss_mib"] is None else f"{r['sampled_max_rss_mib']:.0f}"
        if r["sigterm_exit_s"] is None:
            stop = r["stop"]
        else:
            stop = f"{r['sigterm_exit_s']:.1f} s" + ("" if r["stop"] == "exit 0" else f" ({r['stop']})")
        out.append("| " + " | ".join(cell(x) for x in [
            r["row"], r["attack"], r["answer"], secs(r["attacker_latency_s"]), f"{hwm} / {sampled}",
            r["during_calc"], r["during_health"], r["after_calc"], r["after_health"],
            {True: "yes", False: "**no**", None: "n/a (row stops it)"}[r["alive_after"]], stop]) + " |")
    notes = [f"- **{r['row']}**: " + "; ".join(r["notes"]) for r in results if r["notes"]]
    if notes:
        out += ["", "Notes:", ""] + notes
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", help="path to the tariff-impact binary")
    ap.add_argument("row", nargs="*", type=int, help="rows to run (default: 1-13)")
    ap.add_argument("--rows", help="comma-separated rows to run, e.g. 1,5,9")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--log-dir", default=os.path.join(ROOT, "target", "attack"), help="server logs and h2load output")
    ap.add_argument("--rss-kill-mib", type=int, default=8192, help="SIGKILL a server whose RSS passes this (machine safety)")
    ap.add_argument("--as-cap-mib", type=int, default=0, help="run the server under prlimit --as=<this MiB> (0: no cap)")
    ap.add_argument("--h2load-duration", type=int, default=60, help="h2load -D (seconds) for row 7")
    ap.add_argument("--h2load-requests", type=int, default=0, help="h2load -n for row 7 instead of -D (bounded at 300 s)")
    ap.add_argument("--generator-nice", type=int, default=0,
                    help="run row 7's h2load under nice -n N (an attacker that does not share the server's cores)")
    ap.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for every `serve` (repeatable), e.g. --server-arg=--max-call-seconds=300")
    ap.add_argument("--runaway-seconds", type=float, default=60.0, help="client deadline of row 1's runaway call")
    args = ap.parse_args()
    rows = list(args.row)
    if args.rows:
        rows += [int(x) for x in args.rows.split(",") if x.strip()]
    rows = sorted(set(rows)) or sorted(ROWS)
    bad = [r for r in rows if r not in ROWS]
    if bad:
        sys.exit(f"unknown rows {bad}: rows are 1-13 (row 14 is about cargo test)")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"not an executable: {args.binary}")
    os.makedirs(args.log_dir, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("attack.py: terminated"))
    global S
    S = Stubs()
    h = Harness(args.binary, args.log_dir, args.rss_kill_mib, args.as_cap_mib)
    h.server_flags = list(args.server_arg)
    load0 = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    for r in rows:
        try:
            if r == 1:
                row1(h, runaway_s=args.runaway_seconds)
            elif r == 7:
                row7(h, duration=args.h2load_duration, requests=args.h2load_requests or None,
                     nice=args.generator_nice)
            else:
                ROWS[r](h)
        except Exception as e:  # noqa: BLE001 - one broken row must not lose the others' results
            print(f"row {r} failed in the harness: {type(e).__name__}: {e}", flush=True)
            h.results.append({"row": str(r), "attack": ROWS[r].__doc__.split(".")[1].strip(), "answer": f"harness error: {short(e)}",
                              "attacker_latency_s": None, "peak_rss_mib": None, "sampled_max_rss_mib": None,
                              "during_calc": "-", "during_health": "-", "after_calc": "-", "after_health": "-",
                              "alive_after": False, "sigterm_exit_s": None, "stop": "-", "notes": []})
    took = time.monotonic() - t0
    header = (f"tariff-impact attack run: `{' '.join(sys.argv)}`, {started:%Y-%m-%d %H:%M} UTC, {took / 60:.1f} min; "
              f"probes: seed CalculateImpact (delta 315.00) and Health/Check, each on a fresh connection, "
              f"bad = failed or > {SLOW:.0f} s (timeout {PROBE_TIMEOUT:.0f} s)"
              + (f"; server under prlimit --as={args.as_cap_mib} MiB" if args.as_cap_mib else "")
              + (f"; extra serve arguments {' '.join(args.server_arg)}" if args.server_arg else "")
              + f"; load average {load0[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)")
    table = markdown(h.results)
    print("\n" + header + "\n\n" + table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": sys.argv, "started_utc": started.isoformat(), "minutes": round(took / 60, 2),
                       "binary": h.binary, "results": h.results}, f, indent=2, default=str)


if __name__ == "__main__":
    main()
