"""End to end in a real browser: a scripted shopper on the demo storefront (Debian's chromium, Playwright)
browses, searches, adds to cart, goes offline mid-checkout, reloads, comes back online and buys. Every event
the browser sent reaches the real collector's raw store exactly once; after clickstream-load and dbt build the
visit is one converted session with the order's revenue in marts.fct_sessions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from tests_sdk_support import REPO_ROOT, collector_metrics, event_id_counts, raw_lines

from clickstream.warehouse import libpq_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIN = Path(sys.executable).parent
# nb-aero-14 x 1 + ssd-2tb-nvme x 2 (sdk/storefront/catalog.js)
EXPECTED_REVENUE = 1099.00 + 2 * 139.90


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25, state=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f"; state: {state()}" if state else ""))
        time.sleep(interval)


SDK_STATE_JS = """() => Promise.all([
    new Promise((done) => {
        const open = indexedDB.open("clickstream");
        open.onsuccess = () => {
            const count = open.result.transaction("q").objectStore("q").count();
            count.onsuccess = () => done(count.result);
        };
        open.onerror = () => done(null);
    }),
    navigator.locks.query(),
]).then(([queued, locks]) => ({queued, locks, ledger: localStorage.getItem("cs_sent"), online: navigator.onLine}))"""


def sdk_state(page) -> dict:
    """What the SDK has in IndexedDB (events waiting), its ledger, the Web Locks held, and navigator.onLine."""
    return page.evaluate(SDK_STATE_JS)


def sent_ids(requests: list[dict]) -> Counter:
    """How many times each event id went over the wire (fetch and beacon bodies the proxy relayed)."""
    return Counter(e["event_id"] for r in requests for e in json.loads(r["body"])["events"])


def resends(requests: list[dict]) -> list[str]:
    """Every request, marking the events it carried that another request carried too (for a failure message)."""
    counts = sent_ids(requests)
    out = []
    for r in requests:
        events = json.loads(r["body"])["events"]
        out.append(f"{'beacon' if 'write_key' in r['path'] else 'fetch'} from {r.get('referer', '')[-30:]} "
                   f"arrived {r.get('started', 0):.3f} answered {r['at']:.3f} sent_at "
                   f"{json.loads(r['body']).get('sent_at')}: "
                   + ", ".join(f"{'**' if counts[e['event_id']] > 1 else ''}{e['event_type']}@{e['ts'][17:23]}"
                               f"/{e.get('page_url', '').rsplit('/', 1)[-1][:12]}" for e in events))
    return out


def test_shopper_offline_mid_checkout_is_one_converted_session(browser, storefront, collector, wire, pg_dsn, tmp_path):
    raw: Path = collector["raw"]
    t0 = time.monotonic()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-IE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(15_000)

    # Browse: home -> category -> product, add to cart; search; second product x2.
    page.goto(f"{storefront}/index.html?utm_source=newsletter&utm_medium=email&utm_campaign=black-friday")
    page.click("text=Notebooks")
    page.wait_for_url("**/category.html?c=notebooks")
    page.click("a[href='product.html?id=nb-aero-14']")
    page.wait_for_selector("#add")
    page.click("#add")
    page.wait_for_selector("#added:not([hidden])")
    page.fill("header input[name=q]", "nvme ssd")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search.html?q=nvme+ssd")
    page.click("a[href='product.html?id=ssd-2tb-nvme']")
    page.fill("#qty", "2")
    page.click("#add")
    page.wait_for_selector("#added:not([hidden])")
    page.click("#cart-link")
    page.wait_for_selector("#to-checkout")
    page.click("#to-checkout")
    page.wait_for_selector("#checkout")

    # Offline mid-checkout: the shopper keeps going; the SDK queues in IndexedDB.
    wait_until(lambda: sdk_state(page)["queued"] == 0, 20, "the SDK to send what it queued so far",
               state=lambda: sdk_state(page))
    offline_at = time.time()
    context.set_offline(True)
    wait_until(lambda: page.evaluate("!navigator.onLine"), 5, "the page to see it is offline")
    page.fill("#name", "Jane Doe")
    page.fill("#email", "jane.doe@example.com")
    page.click("#payment")  # a tracked click, made offline
    page.select_option("#payment", "PayPal")
    # Reloading offline fails (the browser's offline page): whatever was queued must survive it.
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.reload()

    # Back online: reload the checkout and buy (signed in with a customer number).
    context.set_offline(False)
    online_at = time.time()
    page.goto(f"{storefront}/checkout.html")
    page.wait_for_selector("#checkout")
    page.fill("#customer", "100042")
    page.fill("#name", "Jane Doe")
    page.fill("#email", "jane.doe@example.com")
    page.fill("#address", "1 Main Street, Dublin")
    page.click("#place-order")
    page.wait_for_url("**/order.html?order=*")
    order_id = page.inner_text("#order-id")

    # Everything the browser created gets delivered: wait until the page's queue is empty.
    wait_until(lambda: sdk_state(page)["queued"] == 0, 20, "the SDK's IndexedDB queue to drain",
               state=lambda: sdk_state(page))
    page.wait_for_timeout(3500)  # one more heartbeat, then the page goes away (pagehide: beacons)
    context.close()
    wait_until(lambda: wire["requests"] and set(event_id_counts(raw)) >= set(sent_ids(wire["requests"])), 20,
               "every sent event in the raw store")

    t_browser = time.monotonic() - t0
    # Exactly once on the wire, but for the reconnect: an event made offline can go out as the network comes
    # back while the page is being left, and its answer be lost with the page; then the next page sends it
    # again (at least once, by design) and the collector drops the copy (below, the raw store).
    sent = sent_ids(wire["requests"])
    resent = {i for i, n in sent.items() if n > 1}
    made_offline = {e["event_id"] for r in wire["requests"] for e in json.loads(r["body"])["events"]
                    if offline_at <= datetime.fromisoformat(e["ts"]).timestamp() <= online_at}
    assert resent <= made_offline, "the browser sent events twice (**):\n" + "\n".join(resends(wire["requests"]))
    counts = event_id_counts(raw)
    assert max(counts.values()) == 1, f"events stored twice: {[i for i, n in counts.items() if n > 1]}"
    assert set(counts) == set(sent)
    assert {r["status"] for r in wire["requests"]} == {202}
    assert raw_lines(raw, "rejected") == [], "the collector rejected events the SDK sent"

    lines = raw_lines(raw)
    metrics = collector_metrics(collector["base"])
    assert metrics["clickstream_ingest_events_duplicate_total"] == sum(sent.values()) - len(sent)
    assert metrics["clickstream_ingest_events_accepted_total"] == len(lines)
    # Nothing lost: every event the script caused is there (heartbeats depend on timing: any number).
    assert Counter(e["event_type"] for e in lines if e["event_type"] != "heartbeat") == {
        "view": 9,  # home, category, 2 products, search, cart, checkout twice (the offline reload failed), order
        "click": 7, "add_to_cart": 2, "search": 1, "checkout": 2, "identify": 1, "purchase": 1,
    }
    assert Counter(e["props"]["element"] for e in lines if e["event_type"] == "click") == {
        "product_card": 2, "add_to_cart_button": 2, "checkout_button": 1, "payment_method": 1, "place_order": 1,
    }
    by_type: dict[str, list[dict]] = {}
    for line in lines:
        by_type.setdefault(line["event_type"], []).append(line)
    assert len(by_type["purchase"]) == 1
    purchase = by_type["purchase"][0]["ecom"]
    assert purchase["order_id"] == order_id
    assert purchase["revenue"] == pytest.approx(EXPECTED_REVENUE)
    assert purchase["currency"] == "EUR"
    assert sorted((i["product_id"], i["qty"]) for i in purchase["items"]) == [("nb-aero-14", 1), ("ssd-2tb-nvme", 2)]
    assert [e["props"]["search_query"] for e in by_type["search"]] == ["nvme ssd"]
    assert sorted(e["ecom"]["product_id"] for e in by_type["add_to_cart"]) == ["nb-aero-14", "ssd-2tb-nvme"]
    assert len(by_type["checkout"]) == 2  # before going offline, and after the reload
    # The click made offline (payment method) survived the failed reload.
    assert "payment_method" in {e["props"]["element"] for e in by_type["click"]}
    assert [e["user_id"] for e in by_type["identify"]] == ["cust-100042"]
    product_views = [e for e in by_type["view"] if (e.get("ecom") or {}).get("product_id")]
    assert sorted(e["ecom"]["product_id"] for e in product_views) == ["nb-aero-14", "ssd-2tb-nvme"]
    assert len({e["anonymous_id"] for e in lines}) == 1
    assert len({e["session_id"] for e in lines}) == 1
    # No personal data: the e-mail typed at checkout never reached the collector.
    assert "jane.doe" not in json.dumps(lines)
    # Playwright drives the browser: the SDK reports navigator.webdriver, the collector marks it a bot.
    assert {(e["is_bot"], e["bot_reason"]) for e in lines} == {(True, "webdriver")}

    # Load into PostgreSQL and build the dbt project.
    t1 = time.monotonic()
    env = {**os.environ, "CLICKSTREAM_HOME": str(tmp_path / "home")}
    load = subprocess.run([str(BIN / "clickstream-load"), "--source", str(raw), "--dsn", pg_dsn, "--since", "2h"],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    t_load = time.monotonic() - t1
    assert load.returncode == 0, f"clickstream-load failed:\n{load.stdout}\n{load.stderr}"
    dbt_env = {k: v for k, v in env.items() if not k.startswith("PG")}
    dbt_env.update(libpq_env(pg_dsn), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    # The shopper is automation (a bot): count it in the marts for this check. Build (and test) fct_sessions and
    # everything it is made from; the report models are other tests' business.
    build = subprocess.run(
        [str(BIN / "dbt"), "build", "--project-dir", str(REPO_ROOT / "dbt"), "--profiles-dir", str(REPO_ROOT / "dbt"),
         "--target-path", str(tmp_path / "dbt-target"), "--log-path", str(tmp_path / "dbt-logs"),
         "--vars", "{clickstream__include_bots: true}", "--select", "+fct_sessions", "--indirect-selection", "cautious"],
        capture_output=True, text=True, timeout=300, env=dbt_env, check=False,
    )
    print(f"browser {t_browser:.1f} s, load {t_load:.1f} s, dbt build {time.monotonic() - t1 - t_load:.1f} s")
    assert build.returncode == 0, f"dbt build failed:\n{build.stdout[-5000:]}\n{build.stderr[-2000:]}"

    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("select count(*), count(distinct event_id) from raw.events").fetchone() == (len(lines), len(lines))
        sessions = conn.execute(
            "select visitor_id, is_converted, orders, revenue, is_bot from marts.fct_sessions"
        ).fetchall()
    assert len(sessions) == 1, sessions
    visitor_id, is_converted, orders, revenue, is_bot = sessions[0]
    assert visitor_id == "cust-100042"  # identity stitching: the anonymous visit belongs to the customer
    assert is_converted and orders == 1 and is_bot
    assert float(revenue) == pytest.approx(EXPECTED_REVENUE)
