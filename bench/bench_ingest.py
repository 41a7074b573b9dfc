"""Benchmark: the local collector against a bare ASGI reference, side by side, in one run.

    .venv/bin/python bench/bench_ingest.py [--quick] [--seconds 5] [--connections 64] [--floor]
    .venv/bin/python bench/bench_ingest.py --against <git rev> [--pairs 3] [--offered-rps 150] [--seconds 3]
    .venv/bin/python bench/bench_ingest.py --in-process [--against <git rev>] [--blocks 60]

Both servers run under the same uvicorn (one worker) on 127.0.0.1, each in its own process, and a
closed-loop load generator (a third process, raw HTTP/1.1 over asyncio, bounded in time) drives them
with 64 keep-alive connections, for batches of 20 events and of 1 event. Every event has a fresh
event_id, so the collector does all its work (validation, PII scrub, enrichment, durable group-commit
writes with fsync). The reference only parses the body with orjson and appends it to a buffered file.

Then the Lambda handler runs in-process on 10-event batches and its CPU time per request gives the AWS
cost per million events (API Gateway HTTP API + Lambda + one S3 PUT per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
EVENT_TEMPLATE = (
    '{"event_id":"%s","event_type":"view","ts":"2026-11-22T10:%02d:%02d.%03dZ","session_id":"s-%d",'
    '"anonymous_id":"anon-%d","page_url":"https://shop.example/p/1005115?utm_source=google&utm_medium=cpc",'
    '"page_title":"Apple iPhone 15 128GB","referrer":"https://www.google.com/",'
    '"device":{"type":"desktop","screen_width":1920,"screen_height":1080},'
    '"ecom":{"product_id":"1005115","category":"electronics.smartphone","brand":"apple","price":949.0,"currency":"USD"},'
    '"props":{"position":3,"list":"search"},"context":{"library":"clickstream-js/0.1.0","locale":"en-US"}}'
)


# --- the reference: a bare ASGI handler --------------------------------------------------------------


def reference_app(out_path: str):
    import orjson

    sink = open(out_path, "ab")  # buffered on purpose: this is the "no durability" baseline

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    sink.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        data = orjson.loads(body)
        events = data["events"] if isinstance(data, dict) and "events" in data else [data]
        sink.write(body + b"\n")
        response = orjson.dumps({"accepted": len(events)})
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(response)).encode())]})
        await send({"type": "http.response.body", "body": response})

    return app


def serve_reference(port: int, out_path: str) -> None:
    import uvicorn

    uvicorn.run(reference_app(out_path), host="127.0.0.1", port=port, log_level="warning", access_log=False)



class NoStore:
    """The store write replaced by nothing (--floor, --in-process): the request path alone, not durable."""

    busy_requests = 0

    async def store(self, event_lines, rejected_lines, received_at) -> None:
        return None

    def poke(self) -> None:
        return None

def serve_unstored(port: int) -> None:
    """A diagnostic, not a product mode: the collector's whole request path (auth, body, validation, PII scrub,
    enrichment, NDJSON lines, the answer) with the raw store write replaced by nothing, so nothing is durable. It
    shows what the group commit costs and what the request path alone allows."""
    import uvicorn

    from lambda_ingest.server import create_app
    from lambda_ingest.settings import Settings

    app = create_app(Settings.from_env({}, raw_uri=os.path.join(tempfile.gettempdir(), "bench-unstored-never-written")))
    app.events.sink = NoStore()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on",
                proxy_headers=False, server_header=False)


# --- the load generator -----------------------------------------------------------------------------

class _Conn(asyncio.Protocol):
    """One keep-alive connection. Closed loop (interval None): the next request as soon as the answer is in.
    Open loop: one request every `interval` seconds, latency counted from the scheduled time (so a slow
    answer that delays the next send is charged to the server, not hidden: no coordinated omission)."""

    def __init__(self, gen, done, interval=None, offset=0.0):
        self.gen, self.done, self.buf, self.sent_at = gen, done, bytearray(), 0.0
        self.interval = interval
        self.next_at = time.perf_counter() + offset

    def connection_made(self, transport):
        self.transport = transport
        self.send()

    def send(self):
        now = time.perf_counter()
        if now >= self.gen.stop_at:
            self.transport.close()
            return
        if self.interval is not None and now < self.next_at:
            asyncio.get_running_loop().call_later(self.next_at - now, self._send_now)
            return
        self._send_now()

    def _send_now(self):
        if self.interval is not None:
            self.sent_at = self.next_at
            self.next_at += self.interval
        else:
            self.sent_at = time.perf_counter()
        self.transport.write(self.gen.next_request())

    def data_received(self, data):
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buf[:head_end]).lower()
            i = head.find(b"content-length:")
            length = int(head[i + 15:head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0 else None]) if i >= 0 else 0
            if len(self.buf) < head_end + 4 + length:
                return
            status = int(head[9:12])
            del self.buf[:head_end + 4 + length]
            self.gen.record(status, time.perf_counter() - self.sent_at, self.sent_at)
            self.send()

    def connection_lost(self, exc):
        if not self.done.done():
            self.gen.open -= 1
            if self.gen.open == 0:
                self.done.set_result(None)


class LoadGenerator:
    def __init__(self, port: int, batch: int, seconds: float, warmup: float, path: str = "/v1/events"):
        self.port, self.batch, self.path = port, batch, path
        self.counter = 0
        self.prefix = os.urandom(4).hex()
        self.start_at = time.perf_counter() + warmup
        self.stop_at = self.start_at + seconds
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.all_ok = 0        # 202s including the warm-up, to divide the server's CPU time by
        self.open = 0

    def next_request(self) -> bytes:
        events = []
        for _ in range(self.batch):
            self.counter += 1
            n = self.counter
            event_id = f"{self.prefix}-0000-4000-8000-{n:012x}"
            # a distinct ts per event (1 ms apart), as real clients send: no cache may flatter the collector
            events.append(EVENT_TEMPLATE % (event_id, n // 60000 % 60, n // 1000 % 60, n % 1000, n // 7, n // 13))
        body = ('{"events":[' + ",".join(events) + "]}").encode()
        return (f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    def record(self, status: int, latency: float, sent_at: float) -> None:
        self.all_ok += status == 202
        if sent_at >= self.start_at:  # measured window only
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    async def run(self, connections: int, rate: float | None = None) -> dict:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.open = connections
        interval = connections / rate if rate else None
        for i in range(connections):
            offset = interval * i / connections if interval else 0.0
            await loop.create_connection(lambda: _Conn(self, done, interval, offset), "127.0.0.1", self.port)
        await asyncio.wait_for(done, timeout=(self.stop_at - time.perf_counter()) + 30)
        lat = sorted(self.latencies)
        seconds = self.stop_at - self.start_at
        ok = self.statuses.get(202, 0)
        return {
            "requests_per_s": ok / seconds,
            "events_per_s": ok * self.batch / seconds,
            "p50_ms": lat[len(lat) // 2] * 1000 if lat else None,
            "p99_ms": lat[int(len(lat) * 0.99)] * 1000 if lat else None,
            "statuses": self.statuses,
            "all_events": self.all_ok * self.batch,
        }


def load(port: int, batch: int, seconds: float, warmup: float, connections: int, rate: float | None = None) -> None:
    result = asyncio.run(LoadGenerator(port, batch, seconds, warmup).run(connections, rate))
    print(json.dumps(result))


# --- orchestration ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(port: int, batch: int, seconds: float, warmup: float, connections: int, pid: int,
             rate: float | None = None) -> dict:
    cpu_before = cpu_seconds(pid)
    out = subprocess.run([PY, __file__, "--load", str(port), "--batch", str(batch), "--seconds", str(seconds),
                          "--warmup", str(warmup), "--connections", str(connections),
                          *(["--rate", str(rate)] if rate else [])],
                         capture_output=True, text=True, timeout=seconds + warmup + 120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["server_cpu_s"] = cpu_seconds(pid) - cpu_before
    result["events_per_cpu_s"] = result["all_events"] / result["server_cpu_s"] if result["server_cpu_s"] else 0.0
    return result


def start(kind: str, port: int, workdir: Path, code: Path = REPO) -> subprocess.Popen:
    """kind "reference", "collector" or "unstored" (--floor); `code` is a folder holding lambda_ingest/ and contract/."""
    if kind == "reference":
        cmd = [PY, __file__, "--serve-reference", str(port), "--out", str(workdir / "reference.ndjson")]
        env = dict(os.environ)
    elif kind == "unstored":
        cmd = [PY, __file__, "--serve-unstored", str(port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    else:
        cmd = [PY, "-m", "lambda_ingest.cli", "--host", "127.0.0.1", "--port", str(port),
               "--raw-uri", str(workdir / f"raw-{code.name}" if code != REPO else workdir / "raw"), "--log-level", "warning"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
        if code != REPO:
            env["PYTHONPATH"] = str(code)
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def count_stored_events(raw: Path) -> int:
    import gzip

    return sum(sum(1 for _ in gzip.open(p, "rb")) for p in (raw / "events").rglob("*.ndjson.gz"))


def lambda_cost(requests: int, events_per_request: int, memory_mb: int, s3_put_ms: float) -> dict:
    """Measure the Lambda handler's CPU time per request in-process and price a million events."""
    import importlib

    # In Lambda the sink is one S3 PutObject (priced and its latency billed below); locally the handler writes to
    # RAM (/dev/shm) so that this disk's fsync time is not counted as handler CPU.
    shm = Path("/dev/shm")
    workdir = Path(tempfile.mkdtemp(prefix="bench-lambda-", dir=shm if shm.is_dir() else None))
    os.environ["CLICKSTREAM_RAW_URI"] = str(workdir / "raw")
    os.environ.pop("CLICKSTREAM_WRITE_KEYS", None)
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "clickstream")
    import logging

    logging.disable(logging.CRITICAL)
    handler = importlib.import_module("lambda_ingest.handler")
    devnull = open(os.devnull, "w")

    class Context:
        function_name = "clickstream-ingest"
        memory_limit_in_mb = memory_mb
        invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:clickstream-ingest"
        aws_request_id = "bench"

    gen = LoadGenerator(0, events_per_request, 0, 0)

    def event(i: int) -> dict:
        raw = gen.next_request()
        body = raw[raw.index(b"\r\n\r\n") + 4:]
        return {"version": "2.0", "routeKey": "POST /v1/events", "rawPath": "/v1/events", "rawQueryString": "",
                "headers": {"content-type": "text/plain", "user-agent": UA},
                "requestContext": {"http": {"method": "POST", "path": "/v1/events", "protocol": "HTTP/1.1",
                                            "sourceIp": "192.0.2.1", "userAgent": UA},
                                   "requestId": f"bench-{i}", "routeKey": "POST /v1/events", "stage": "$default"},
                "body": body.decode(), "isBase64Encoded": False}

    events = [event(i) for i in range(requests)]
    saved = sys.stdout
    sys.stdout = devnull  # EMF and JSON logs go to stdout in Lambda; keep them out of the report
    try:
        for e in events[:20]:
            handler.lambda_handler(e, Context())
        cpu0 = time.process_time()
        for e in events[20:]:
            response = handler.lambda_handler(e, Context())
            assert response["statusCode"] == 202, response
        cpu = (time.process_time() - cpu0) / (requests - 20)
    finally:
        sys.stdout = saved
    shutil.rmtree(workdir, ignore_errors=True)
    requests_per_million = 1_000_000 / events_per_request
    vcpu_share = min(1.0, memory_mb / 1769)         # Lambda gives 1 vCPU at 1,769 MB
    billed_s = cpu / vcpu_share + s3_put_ms / 1000
    api = requests_per_million * 1.00 / 1e6
    lam_req = requests_per_million * 0.20 / 1e6
    lam_gbs = requests_per_million * billed_s * memory_mb / 1024 * 0.0000166667
    s3 = requests_per_million * 0.005 / 1000
    return {"cpu_ms_per_request": cpu * 1000, "billed_ms": billed_s * 1000, "api_gateway": api,
            "lambda_requests": lam_req, "lambda_compute": lam_gbs, "s3_put": s3, "total": api + lam_req + lam_gbs + s3}


def against_revision(rev: str, seconds: float, connections: int, rate: float, pairs: int, workdir_root: str | None = None) -> None:
    """This tree's collector against the collector of git revision `rev`, same server stack, interleaved pairs:
    saturated and at a fixed offered rate (requests/s), batches of 20 and single events. Medians of the pairs."""
    import statistics

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-against-", dir=workdir_root))
    old = workdir / f"rev-{rev[:12]}"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "lambda_ingest", "contract"],
                             capture_output=True, check=True, timeout=60).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True, timeout=60)
    print(f"collector at this tree vs at {rev} ({seconds:g} s per run, {connections} connections, {pairs} interleaved pairs)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    try:
        for batch, offered in ((20, None), (20, rate), (1, None), (1, rate * 5)):
            runs: dict[str, list[dict]] = {"old": [], "new": []}
            for _ in range(pairs):
                for which, code in (("old", old), ("new", REPO)):
                    port = free_port()
                    proc = start("collector", port, workdir, code)
                    try:
                        runs[which].append(run_load(port, batch, seconds, 1.0, connections, proc.pid, offered))
                    finally:
                        stop(proc)
            med = {w: {k: statistics.median(r[k] for r in rs) for k in ("events_per_s", "events_per_cpu_s", "p50_ms", "p99_ms")}
                   for w, rs in runs.items()}
            label = f"batch={batch}, " + (f"{offered:g} requests/s offered" if offered else "saturated")
            o, n = med["old"], med["new"]
            print(f"  {label:<34} events/s {o['events_per_s']:>9,.0f} -> {n['events_per_s']:>9,.0f} ({n['events_per_s'] / o['events_per_s']:.2f}x)"
                  f"  events/CPU-s {o['events_per_cpu_s']:>8,.0f} -> {n['events_per_cpu_s']:>8,.0f} ({n['events_per_cpu_s'] / o['events_per_cpu_s']:.2f}x)"
                  f"  p50 {o['p50_ms']:.1f} -> {n['p50_ms']:.1f} ms  p99 {o['p99_ms']:.1f} -> {n['p99_ms']:.1f} ms")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

def in_process(rev: str | None, blocks: int) -> None:
    """CPU of the collector's request path in this process: EventsEndpoint (headers, body, auth, validation, PII scrub,
    enrichment, NDJSON lines, the answer) with the store write replaced by nothing, on fresh bodies, batches of 20 and
    single events. With `rev`, against that revision's collector loaded side by side (a copy of its lambda_ingest
    renamed lambda_ingest_rev; the contract package is this tree's), alternating blocks, so that both sides see the
    same noise from other tenants; the stored lines of both are compared byte for byte first (same received_at and
    request id)."""
    import importlib
    import logging
    import statistics

    logging.disable(logging.CRITICAL)
    sides = {"this tree": "lambda_ingest"}
    tmp = None
    if rev:
        tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-inprocess-"))
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "lambda_ingest"],
                                 capture_output=True, check=True, timeout=60).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True, timeout=60)
        (tmp / "lambda_ingest").rename(tmp / "lambda_ingest_rev")
        for py in (tmp / "lambda_ingest_rev").glob("*.py"):
            py.write_text(py.read_text().replace("lambda_ingest.", "lambda_ingest_rev.")
                          .replace("from lambda_ingest import", "from lambda_ingest_rev import"))
        sys.path.insert(0, str(tmp))
        sides = {rev: "lambda_ingest_rev", **sides}

    apps = {}
    for name, package in sides.items():
        server = importlib.import_module(f"{package}.server")
        settings = importlib.import_module(f"{package}.settings")
        app = server.create_app(settings.Settings.from_env({}, raw_uri=os.path.join(tempfile.gettempdir(), "never-written")))
        app.events.sink = NoStore()
        apps[name] = (app, importlib.import_module(f"{package}.pipeline").IngestRequest)
    try:
        for batch in (20, 1):
            times = _in_process_times(apps, batch, blocks)
            unit = "us per event" if batch > 1 else "us per request"
            medians = {name: statistics.median(t) for name, t in times.items()}
            shown = "  ".join(f"{name}: median {medians[name]:.2f}, p10 {sorted(t)[len(t) // 10]:.2f}" for name, t in times.items())
            ratio = f"  ({medians['this tree'] / medians[rev]:.2f}x)" if rev else ""
            print(f"  batch={batch:<3} {unit}: {shown}{ratio}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _in_process_times(apps: dict, batch: int, blocks: int) -> dict[str, list[float]]:
    """Thread CPU per event of each side's EventsEndpoint, block by block (the sides alternate; fresh bodies each)."""
    from datetime import UTC, datetime

    gen = LoadGenerator(0, batch, 0, 0)

    def body() -> bytes:
        raw = gen.next_request()
        return raw[raw.index(b"\r\n\r\n") + 4:]

    headers = {"host": "127.0.0.1", "user-agent": UA, "content-type": "application/json"}
    for _ in range(20):  # the same lines and answers on both sides
        b, now = body(), datetime.now(UTC)
        results = [app.collector.handle(request(b, headers, now, "r-1")) for app, request in apps.values()]
        assert all(r.event_lines == results[0].event_lines and r.response_bytes() == results[0].response_bytes()
                   for r in results), "the revisions store different lines"
    per_block = max(1, 600 // batch)
    times: dict[str, list[float]] = {name: [] for name in apps}
    scope_headers = [(b"host", b"127.0.0.1"), (b"user-agent", UA.encode()), (b"content-type", b"application/json")]

    async def send(message) -> None:
        return None

    async def run() -> None:
        for i in range(blocks):
            for name in (list(apps) if i % 2 == 0 else list(apps)[::-1]):
                endpoint = apps[name][0].events
                messages = [{"type": "http.request", "body": body(), "more_body": False} for _ in range(per_block)]
                started = time.thread_time()
                for message in messages:
                    async def receive(message=message):
                        return message
                    scope = {"type": "http", "method": "POST", "path": "/v1/events", "query_string": b"",
                             "headers": [*scope_headers, (b"content-length", b"%d" % len(message["body"]))]}
                    await endpoint(scope, receive, send)
                times[name].append((time.thread_time() - started) / (per_block * batch) * 1e6)

    asyncio.run(run())
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short runs (2 s each) for a smoke check")
    p.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--lambda-memory-mb", type=int, default=256)
    p.add_argument("--s3-put-ms", type=float, default=25.0, help="assumed S3 PutObject latency billed in Lambda")
    p.add_argument("--against", metavar="GIT_REV", help="instead: this collector against the one at GIT_REV, interleaved")
    p.add_argument("--pairs", type=int, default=3, help="with --against: interleaved run pairs (medians are printed)")
    p.add_argument("--offered-rps", type=float, default=150.0,
                   help="with --against: fixed offered rate for batches of 20 (singles get 5x)")
    p.add_argument("--in-process", action="store_true",
                   help="instead: the request path's CPU in this process (no server, no store write), on fresh bodies; "
                        "with --against REV, against that revision side by side in alternating blocks")
    p.add_argument("--blocks", type=int, default=60, help="with --in-process: measured blocks per side and batch size")
    p.add_argument("--workdir", metavar="DIR", default=None,
                   help="where the raw stores are written (a temp folder inside DIR, removed after); default: the system "
                        "temp dir. On the shared bench machine a file created under /tmp costs ~0.35 ms of CPU against "
                        "~0.02 ms elsewhere on the same disk (ext4 inode allocation), which each flush pays once")
    p.add_argument("--floor", action="store_true",
                   help="also run the collector's request path with the raw store write replaced by nothing "
                        "(a diagnostic: what the request path alone allows, and what durability costs)")
    p.add_argument("--serve-reference", type=int, help=argparse.SUPPRESS)
    p.add_argument("--serve-unstored", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--load", type=int, help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=20, help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=float, default=1.0, help=argparse.SUPPRESS)
    p.add_argument("--rate", type=float, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_reference:
        serve_reference(args.serve_reference, args.out)
        return
    if args.serve_unstored:
        serve_unstored(args.serve_unstored)
        return
    if args.load:
        load(args.load, args.batch, args.seconds, args.warmup, args.connections, args.rate)
        return

    seconds = 2.0 if args.quick else args.seconds
    if args.in_process:
        blocks = 6 if args.quick else args.blocks
        print(f"request path CPU in process (EventsEndpoint, store write replaced by nothing, {blocks} blocks a side, "
              f"thread CPU); load average {os.getloadavg()[0]:.1f}")
        in_process(args.against, blocks)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        return
    if args.against:
        against_revision(args.against, seconds, args.connections, args.offered_rps, 1 if args.quick else args.pairs,
                         args.workdir)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=args.workdir))
    results: dict[tuple[str, int], dict] = {}
    paced: dict[int, dict] = {}
    try:
        for batch in (20, 1):
            for kind in ("reference", "collector", *(("unstored",) if args.floor else ())):
                port = free_port()
                proc = start(kind, port, workdir)
                try:
                    results[(kind, batch)] = run_load(port, batch, seconds, 1.0, args.connections, proc.pid)
                    if kind == "collector":
                        # Latency without saturation: half the measured capacity, offered at a steady rate.
                        rate = max(1.0, results[(kind, batch)]["requests_per_s"] / 2)
                        paced[batch] = run_load(port, batch, seconds, 1.0, args.connections, proc.pid, rate)
                        paced[batch]["offered_rps"] = rate
                finally:
                    stop(proc)
        stored = count_stored_events(workdir / "raw")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cost = lambda_cost(300 if args.quick else 2000, 10, args.lambda_memory_mb, args.s3_put_ms)

    print(f"\nclickstream ingest benchmark ({seconds:g} s per run, {args.connections} connections, one uvicorn worker, 127.0.0.1)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other processes share this machine); "
          f"raw stores under {args.workdir or tempfile.gettempdir()}")
    print(f"{'run':<28}{'events/s':>12}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'events/CPU-s':>14}  statuses")
    for (kind, batch), r in results.items():
        print(f"{kind + f' batch={batch}':<28}{r['events_per_s']:>12,.0f}{r['requests_per_s']:>12,.0f}"
              f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['events_per_cpu_s']:>14,.0f}  {r['statuses']}")
    c20, r20 = results[("collector", 20)], results[("reference", 20)]
    c1, r1 = results[("collector", 1)], results[("reference", 1)]
    print("\nratios (collector / reference, same run):")
    print(f"  events/s, batches of 20 : {c20['events_per_s'] / r20['events_per_s']:.2f}x  "
          f"({c20['events_per_s']:,.0f} events/s; target >= 50,000: {c20['events_per_s'] / 50_000:.2f}x of target)")
    print(f"  requests/s, single events: {c1['requests_per_s'] / r1['requests_per_s']:.2f}x  (target >= 0.50x)")
    print("  per server CPU-second (what one idle core would do; the load generator and other tenants excluded):")
    print(f"    batches of 20 : {c20['events_per_cpu_s']:,.0f} events/CPU-s = {c20['events_per_cpu_s'] / r20['events_per_cpu_s']:.2f}x "
          f"the reference; {c20['events_per_cpu_s'] / 50_000:.2f}x of the 50,000 target")
    print(f"    single events : {c1['events_per_cpu_s']:,.0f} requests/CPU-s = {c1['events_per_cpu_s'] / r1['events_per_cpu_s']:.2f}x the reference")
    worst_p99 = max(c20["p99_ms"], c1["p99_ms"])
    print(f"  p99 at {args.connections} connections  : {worst_p99:.1f} ms worst of the saturated collector runs "
          f"(target < 50 ms: {worst_p99 / 50:.2f}x of the limit; at saturation latency is queueing: {args.connections} / throughput)")
    for batch, r in paced.items():
        print(f"    at half capacity, batch={batch}: {r['offered_rps']:,.0f} requests/s offered over {args.connections} connections -> "
              f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms ({r['p99_ms'] / 50:.2f}x of the 50 ms limit)")
    if args.floor:
        u20, u1 = results[("unstored", 20)], results[("unstored", 1)]
        print("  diagnostic floor, the request path with the store write replaced by nothing (not durable):")
        print(f"    batches of 20 : {u20['events_per_s']:,.0f} events/s = {u20['events_per_s'] / r20['events_per_s']:.2f}x the reference "
              f"({u20['events_per_cpu_s']:,.0f} events/CPU-s); the durable collector does {c20['events_per_s'] / u20['events_per_s']:.2f}x of it")
        print(f"    single events : {u1['requests_per_s']:,.0f} requests/s = {u1['requests_per_s'] / r1['requests_per_s']:.2f}x the reference "
              f"({u1['events_per_cpu_s']:,.0f} requests/CPU-s); the durable collector does {c1['requests_per_s'] / u1['requests_per_s']:.2f}x of it")
    print(f"  events durably stored    : {stored:,} (every 202 above is in the raw store)")
    print(f"\nAWS cost per million events, 10 events per request, Lambda {args.lambda_memory_mb} MB, S3 PUT latency {args.s3_put_ms:g} ms assumed:")
    print(f"  handler CPU {cost['cpu_ms_per_request']:.2f} ms/request -> billed {cost['billed_ms']:.1f} ms at {args.lambda_memory_mb / 1769:.2f} vCPU")
    print(f"  API Gateway ${cost['api_gateway']:.3f} + Lambda requests ${cost['lambda_requests']:.3f} + Lambda compute "
          f"${cost['lambda_compute']:.4f} + S3 PUT ${cost['s3_put']:.3f} = ${cost['total']:.3f} "
          f"(target <= $0.70: {cost['total'] / 0.70:.2f}x of target)")


if __name__ == "__main__":
    main()
