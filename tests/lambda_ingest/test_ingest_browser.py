"""CORS from a real browser (Debian's chromium): a shop page on one origin sends events to the collector on
another, with fetch + X-Write-Key (a preflight) and with navigator.sendBeacon (text/plain, key in the query);
a page on a foreign origin is refused. Events land in the raw store."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from ingest_helpers import free_port, make_event, read_raw

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def serve_page(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    (root / "index.html").write_text("<!doctype html><title>shop</title><p>shop</p>")
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_fetch_preflight_and_beacon_from_a_real_browser(start_collector, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-test` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    shop_dir, evil_dir = tmp_path / "shop", tmp_path / "evil"
    shop_dir.mkdir()
    evil_dir.mkdir()
    shop, shop_origin = serve_page(shop_dir)
    evil, evil_origin = serve_page(evil_dir)
    collector = start_collector(env={"CLICKSTREAM_WRITE_KEYS": "site-key", "CLICKSTREAM_ALLOWED_ORIGINS": shop_origin})
    endpoint = f"{collector.url}/v1/events"
    fetched, beaconed, foreign = make_event(), make_event("heartbeat"), make_event()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"{shop_origin}/index.html")
                result = page.evaluate("""async ([endpoint, event]) => {
                    const r = await fetch(endpoint, {method: "POST", keepalive: true,
                        headers: {"Content-Type": "application/json", "X-Write-Key": "site-key"},
                        body: JSON.stringify({events: [event]})});
                    return {status: r.status, body: await r.json(), requestId: r.headers.get("x-request-id")};
                }""", [endpoint, fetched])
                assert result["status"] == 202 and result["body"]["accepted"] == 1
                assert result["requestId"]   # exposed to the page through Access-Control-Expose-Headers
                queued = page.evaluate("""([endpoint, event]) => navigator.sendBeacon(
                    endpoint + "?write_key=site-key", JSON.stringify({events: [event]}))""", [endpoint, beaconed])
                assert queued is True

                other = browser.new_page()
                other.goto(f"{evil_origin}/index.html")
                refused = other.evaluate("""async ([endpoint, event]) => {
                    try {
                        await fetch(endpoint, {method: "POST", headers: {"Content-Type": "application/json",
                            "X-Write-Key": "site-key"}, body: JSON.stringify({events: [event]})});
                        return "answered";
                    } catch (e) { return "blocked"; }
                }""", [endpoint, foreign])
                assert refused == "blocked"      # the preflight got a 403: the browser never sent the POST
                for _ in range(100):             # a beacon is delivered in the background: wait (bounded)
                    if beaconed["event_id"] in {e["event_id"] for e in read_raw(collector.raw)}:
                        break
                    page.wait_for_timeout(100)
            finally:
                browser.close()
    finally:
        shop.shutdown()
        evil.shutdown()
    stored = {e["event_id"] for e in read_raw(collector.raw)}
    assert fetched["event_id"] in stored and beaconed["event_id"] in stored
    assert foreign["event_id"] not in stored
