// Delivery: batching, retries with exponential backoff + jitter, 429 Retry-After, beacons when the page goes
// away (no event sent twice), the offline queue across reloads, one tab flushing at a time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_BODY } from "../src/transport";
import {
  ENDPOINT, WRITE_KEY, advance, collector, deferred, installWebLocks, pagehide, setHidden, setOnline, settle,
  shutdownAll, start,
} from "./helpers";

const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id).sort();

describe("delivery", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    vi.setSystemTime(Date.parse("2026-11-22T10:00:00Z"));
    setOnline(true);
    setHidden(false);
  });
  afterEach(shutdownAll);

  it("batches events: one request per flush interval, with the write key and sent_at", async () => {
    const net = collector();
    const c = await start({ flushInterval: 5000 });
    await c.track("click");
    await advance(1000);
    await c.track("click");
    await c.track("click");
    await advance(3000);
    expect(net.requests).toHaveLength(0);
    await advance(1000);
    expect(net.requests).toHaveLength(1);
    const [r] = net.requests;
    expect(r.url).toBe(ENDPOINT);
    expect(r.headers["X-Write-Key"]).toBe(WRITE_KEY);
    expect(r.body.events).toHaveLength(3);
    expect(r.body.sent_at).toBe(new Date().toISOString());
  });

  it("takes any 2xx (the collector answers 202) as stored", async () => {
    const net = collector([202, 204]);
    const c = await start();
    await c.track("click");
    await c.flush();
    await c.track("click");
    await c.flush();
    await advance(60000);
    expect(net.requests).toHaveLength(2);
    expect(new Set(ids(net.events())).size).toBe(2);
  });

  it("sends at once when batchSize events wait", async () => {
    const net = collector();
    const c = await start({ flushInterval: 60000, batchSize: 5 });
    for (let i = 0; i < 4; i++) await c.track("click");
    await settle();
    expect(net.requests).toHaveLength(0);
    await c.track("click");
    await settle();
    expect(net.requests).toHaveLength(1);
    expect(net.requests[0].body.events).toHaveLength(5);
  });

  it("retries failures with exponential backoff and jitter, and delivers each event once", async () => {
    const net = collector([0, 503, 500]); // network error, then two server errors, then 200
    vi.spyOn(Math, "random").mockReturnValue(1); // the top of the jitter range: 1 s, 2 s, 4 s
    const c = await start();
    await c.track("click");
    await c.flush();
    await advance(999, 111);
    expect(net.requests).toHaveLength(1);
    await advance(10000, 20);
    // Gaps between attempts (to the 20 ms the fake clock moves in): 1 s, 2 s, 4 s.
    const sent = net.requests.map((r) => Date.parse(r.body.sent_at));
    const gaps = sent.slice(1).map((t, i) => t - sent[i]);
    expect(gaps).toHaveLength(3);
    [1000, 2000, 4000].forEach((step, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(step);
      expect(gaps[i]).toBeLessThan(step + 60);
    });
    expect(new Set(ids(net.events())).size).toBe(1); // the same event each time ...
    await advance(60000);
    expect(net.requests).toHaveLength(4); // ... and, once stored, never again
  });

  it("draws the jitter between half and all of the backoff step", async () => {
    const net = collector([0, 0, 0]);
    vi.spyOn(Math, "random").mockReturnValue(0); // the bottom of the jitter range: 0.5 s, 1 s, 2 s
    const c = await start();
    await c.track("click");
    await c.flush();
    await advance(10000, 20);
    const sent = net.requests.map((r) => Date.parse(r.body.sent_at));
    const gaps = sent.slice(1).map((t, i) => t - sent[i]);
    expect(gaps).toHaveLength(3);
    [500, 1000, 2000].forEach((step, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(step);
      expect(gaps[i]).toBeLessThan(step + 60);
    });
  });

  it("honours 429 Retry-After over a shorter backoff", async () => {
    const net = collector([[429, { "Retry-After": "30" }]]);
    vi.spyOn(Math, "random").mockReturnValue(1);
    const c = await start();
    await c.track("click");
    await c.flush();
    await advance(29000, 1000);
    expect(net.requests).toHaveLength(1);
    await advance(1000);
    expect(net.requests).toHaveLength(2);
    expect(net.requests[1].body.events[0].event_id).toBe(net.requests[0].body.events[0].event_id);
  });

  it("drops a request the collector can never take (400) and reports the loss", async () => {
    const net = collector([400]);
    const c = await start();
    await c.track("click");
    await c.track("click");
    await c.flush();
    await c.flush();
    const report = net.events().find((e) => e.event_type === "delivery_report");
    expect(report?.props).toEqual({ dropped_events: 2 });
  });

  it("beacons this page's unsent events as text/plain chunks below 64 KB when the page goes away", async () => {
    const net = collector();
    const c = await start({ flushInterval: 60000, batchSize: 1000 });
    const big = "x".repeat(1000);
    for (let i = 0; i < 150; i++) await c.track("click", { note: big, n: i });
    pagehide();
    const beacons = net.sendBeacon.mock.calls;
    expect(beacons.length).toBeGreaterThan(2);
    for (const [url, body] of beacons) {
      expect(url).toBe(`${ENDPOINT}?write_key=${WRITE_KEY}`);
      expect(typeof body).toBe("string"); // a string body is sent as text/plain: no CORS preflight
      expect(new Blob([body]).size).toBeLessThanOrEqual(MAX_BODY);
    }
    expect(net.events()).toHaveLength(150);
    expect(net.fetch).not.toHaveBeenCalled();

    // The next page (a reload) sends none of them again.
    c.shutdown();
    await settle();
    const next = await start();
    await next.flush();
    await advance(10000);
    expect(ids(net.events())).toEqual([...new Set(ids(net.events()))]);
    expect(net.events()).toHaveLength(150);
  });

  it("hiding the tab beacons too, and a later pagehide sends nothing twice", async () => {
    const net = collector();
    const c = await start({ flushInterval: 60000 });
    await c.track("click");
    setHidden(true);
    setHidden(false);
    await c.track("click");
    pagehide();
    await c.flush();
    await settle();
    expect(net.requests.map((r) => r.via)).toEqual(["beacon", "beacon"]);
    expect(new Set(ids(net.events())).size).toBe(2);
  });

  it("counts a fetch in flight at pagehide as sent, but queues it again if it then fails", async () => {
    const net = collector();
    const reply = deferred<Response>();
    net.fetch.mockImplementationOnce(async (url: string, init: RequestInit) => {
      net.requests.push({ url, headers: {}, body: JSON.parse(init.body as string), via: "fetch" });
      return reply.promise;
    });
    const c = await start();
    await c.track("click");
    const flushing = c.flush();
    await settle();
    setHidden(true); // the tab is hidden while the keepalive request is in flight
    expect(net.sendBeacon).not.toHaveBeenCalled();
    reply.resolve(new Response(null, { status: 503 }));
    await flushing;
    setHidden(false);
    await advance(5000);
    expect(net.requests).toHaveLength(2);
    expect(net.requests[1].body.events[0].event_id).toBe(net.requests[0].body.events[0].event_id);
  });

  it("never resends a batch the collector took, even if the page died before it left IndexedDB", async () => {
    const net = collector();
    const c = await start();
    await c.track("click");
    // The removal after the 202 fails, as when the page goes away in the middle of it.
    const del = vi.spyOn(IDBObjectStore.prototype, "delete").mockImplementation(() => {
      throw new DOMException("the page is gone", "AbortError");
    });
    await c.flush();
    expect(net.requests).toHaveLength(1);
    c.shutdown();
    del.mockRestore();
    const next = await start(); // the next page: the ledger names the event, so it is removed, not resent
    await next.flush();
    await advance(30000);
    expect(net.requests).toHaveLength(1);
    expect(localStorage.getItem("cs_sent")).toBeNull();
  });

  it("keeps events offline across reloads and sends them once when the browser is back online", async () => {
    const net = collector();
    setOnline(false);
    const page1 = await start();
    await page1.track("checkout");
    await page1.track("click");
    pagehide(); // a reload while offline: no beacon (it would be lost), the events stay in IndexedDB
    page1.shutdown();
    expect(net.sendBeacon).not.toHaveBeenCalled();
    const page2 = await start();
    await page2.track("click");
    await advance(20000);
    expect(net.requests).toHaveLength(0);

    setOnline(true);
    await settle();
    await advance(100);
    expect(net.events().map((e) => e.event_type).sort()).toEqual(["checkout", "click", "click"]);
    await advance(60000);
    expect(net.events()).toHaveLength(3);
  });

  it("does not beacon while retrying: a network that fails fetch would lose the beacon too", async () => {
    const net = collector([0]);
    const c = await start();
    await c.track("purchase", undefined, { order_id: "o-1", revenue: 10, currency: "EUR" });
    await c.flush();
    pagehide();
    expect(net.sendBeacon).not.toHaveBeenCalled();
    c.shutdown();
    await settle();
    await start(); // the next visit sends it
    expect(net.requests.map((r) => r.body.events.map((e) => e.event_type))).toEqual([["purchase"], ["purchase"]]);
  });

  it("lets one tab flush at a time", async () => {
    installWebLocks();
    const net = collector();
    const reply = deferred<Response>();
    net.fetch.mockImplementationOnce(async (url: string, init: RequestInit) => {
      net.requests.push({ url, headers: {}, body: JSON.parse(init.body as string), via: "fetch" });
      return reply.promise;
    });
    const tabA = await start();
    const tabB = await start();
    await tabA.track("click");
    await tabB.track("click");
    const a = tabA.flush();
    await settle();
    await tabB.flush(); // tab A holds the lock: tab B sends nothing now
    expect(net.requests).toHaveLength(1);
    expect(net.requests[0].body.events).toHaveLength(2); // tab A sent both tabs' events (one shared queue)
    reply.resolve(new Response(null, { status: 200 }));
    await a;
    await advance(30000);
    expect(net.events()).toHaveLength(2);
  });
});
