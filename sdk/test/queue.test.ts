// The offline queue: capped, with the dropped events counted and reported to the collector as a
// delivery_report; a memory fallback when IndexedDB is missing or full; spilled to localStorage on pagehide.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { advance, collector, pagehide, setOnline, settle, shutdownAll, start } from "./helpers";

describe("queue", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    vi.setSystemTime(Date.parse("2026-11-22T10:00:00Z"));
    setOnline(true);
  });
  afterEach(shutdownAll);

  it("caps the queue, drops the oldest, and reports how many it dropped", async () => {
    const net = collector();
    setOnline(false);
    const c = await start({ maxQueue: 5 });
    for (let i = 0; i < 8; i++) {
      await c.track("click", { n: i });
      vi.advanceTimersByTime(10);
    }
    setOnline(true);
    await advance(1000);
    const sent = net.events();
    expect(sent.filter((e) => e.event_type === "click").map((e) => e.props?.n)).toEqual([3, 4, 5, 6, 7]);
    const reports = sent.filter((e) => e.event_type === "delivery_report");
    expect(reports.map((e) => e.props)).toEqual([{ dropped_events: 3 }]);
    await advance(30000);
    expect(net.events().filter((e) => e.event_type === "delivery_report")).toHaveLength(1); // reported once
  });

  it("the loss count survives a reload until it is reported", async () => {
    const net = collector();
    setOnline(false);
    const c = await start({ maxQueue: 2 });
    for (let i = 0; i < 5; i++) await c.track("click");
    pagehide();
    c.shutdown();
    setOnline(true);
    await start({ maxQueue: 2 });
    await advance(1000);
    expect(net.events().find((e) => e.event_type === "delivery_report")?.props).toEqual({ dropped_events: 3 });
  });

  it("falls back to memory without IndexedDB, and spills to localStorage when the page goes away", async () => {
    vi.stubGlobal("indexedDB", undefined);
    const net = collector();
    setOnline(false);
    const c = await start();
    await c.track("click");
    await c.track("checkout");
    pagehide();
    c.shutdown();
    expect(JSON.parse(localStorage.getItem("cs_spill")!)).toHaveLength(2);
    setOnline(true);
    await start(); // the next page takes them back and sends them
    await advance(1000);
    expect(net.events().map((e) => e.event_type).sort()).toEqual(["checkout", "click"]);
    expect(localStorage.getItem("cs_spill")).toBeNull();
  });

  it("keeps events in memory when IndexedDB is full, and caps memory too", async () => {
    const put = vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(() => {
      throw new DOMException("the quota has been exceeded", "QuotaExceededError");
    });
    const net = collector();
    setOnline(false);
    const c = await start({ maxQueue: 3 });
    for (let i = 0; i < 4; i++) await c.track("click", { n: i });
    expect(put).toHaveBeenCalled();
    setOnline(true);
    await advance(1000);
    const sent = net.events();
    expect(sent.filter((e) => e.event_type === "click").map((e) => e.props?.n)).toEqual([1, 2, 3]);
    expect(sent.find((e) => e.event_type === "delivery_report")?.props).toEqual({ dropped_events: 1 });
  });

  it("sends a long backlog in several requests of at most 100 events", async () => {
    const net = collector();
    setOnline(false);
    const c = await start();
    for (let i = 0; i < 250; i++) await c.track("click");
    setOnline(true);
    await advance(1000);
    await c.flush();
    expect(net.requests.map((r) => r.body.events.length)).toEqual([100, 100, 50]);
  });
});
