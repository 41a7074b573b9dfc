"""Fixtures for the SDK's end-to-end test: the built SDK, the storefront on a local HTTP server, the real
collector (clickstream-ingest) as a subprocess with a recording pass-through in front of it, and Debian's
chromium driven by Playwright."""

from __future__ import annotations

import functools
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from tests_sdk_support import SDK_DIR, free_port

CHROMIUM = os.environ.get("CLICKSTREAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def sdk_bundle() -> Path:
    """sdk/dist/clickstream.min.js built from the current source (npm run build: contract types, tsc, esbuild)."""
    npm = shutil.which("npm")
    if npm is None or not (SDK_DIR / "node_modules").is_dir():
        pytest.fail("the SDK needs `npm ci` in sdk/ (scripts/setup-test.sh does it; `make setup-test`)")
    build = subprocess.run([npm, "run", "build", "--silent"], cwd=SDK_DIR, capture_output=True, text=True, timeout=180, check=False)
    assert build.returncode == 0, f"npm run build failed:\n{build.stdout}\n{build.stderr}"
    bundle = SDK_DIR / "dist" / "clickstream.min.js"
    assert bundle.is_file()
    return bundle


class StorefrontHandler(SimpleHTTPRequestHandler):
    """Serves sdk/ (storefront/ and dist/) and this run's storefront/config.js."""

    config_js = b""

    def do_GET(self):
        if self.path.split("?")[0] == "/storefront/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(self.config_js)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(self.config_js)
            return
        super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture
def collector(tmp_path):
    """The real collector on 127.0.0.1 writing to a fresh raw store; yields (events URL, raw root, write key, set_origin)."""
    raw = tmp_path / "raw"
    port = free_port()
    write_key = "wk_e2e_storefront"
    storefront_port = free_port()
    origin = f"http://127.0.0.1:{storefront_port}"
    env = {**os.environ, "CLICKSTREAM_HOME": str(tmp_path / "home")}
    log = open(tmp_path / "ingest.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "clickstream-ingest"), "--host", "127.0.0.1", "--port", str(port), "--raw-uri", str(raw),
         "--write-keys", write_key, "--allowed-origins", origin, "--flush-interval-ms", "20"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"clickstream-ingest did not start:\n{(tmp_path / 'ingest.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"url": f"{base}/v1/events", "base": base, "raw": raw, "write_key": write_key,
               "origin": origin, "storefront_port": storefront_port, "log": tmp_path / "ingest.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


class RecordingProxy(BaseHTTPRequestHandler):
    """Passes every request through to the real collector unchanged and records what the browser sent: the
    exact set of event ids, beacons and requests made while a page goes away included (Playwright's own
    request events miss some of those)."""

    protocol_version = "HTTP/1.1"
    upstream: ClassVar[tuple[str, int]] = ("127.0.0.1", 0)
    record: ClassVar[list] = []

    def _relay(self):
        started = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "keep-alive")}
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if self.command == "POST":
            self.record.append({"at": time.time(), "path": self.path, "status": resp.status,
                                "referer": self.headers.get("Referer", ""), "started": started,
                                "body": body.decode("utf-8", "replace")})
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_OPTIONS = _relay

    def log_message(self, format, *args):
        pass


@pytest.fixture
def wire(collector):
    """A recording pass-through in front of the collector; yields (events URL, the list of POSTs it relayed)."""
    record: list = []
    host, port = collector["base"].rsplit("//", 1)[1].split(":")
    handler = type("Proxy", (RecordingProxy,), {"upstream": (host, int(port)), "record": record})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_address[1]}/v1/events", "requests": record}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def storefront(sdk_bundle, collector, wire):
    """The demo shop at http://127.0.0.1:<port>/storefront/, configured to send to the collector."""
    config = {"endpoint": wire["url"], "writeKey": collector["write_key"], "flushInterval": 1000,
              "heartbeat": 3000}
    handler = type("Handler", (StorefrontHandler,), {"config_js": f"window.SHOP_CONFIG = {json.dumps(config)};\n".encode()})
    server = ThreadingHTTPServer(("127.0.0.1", collector["storefront_port"]),
                                 functools.partial(handler, directory=str(SDK_DIR)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"{collector['origin']}/storefront"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: run scripts/setup-test.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
