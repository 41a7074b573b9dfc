// Respect: opt-out and Do Not Track send nothing; no e-mail leaves the browser; page views follow single-page
// app navigation; heartbeats only while the tab is visible and in use.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { init, optIn, optOut } from "../src/index";
import { advance, collector, setHidden, setOnline, settle, shutdownAll, start } from "./helpers";

describe("respect", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    vi.setSystemTime(Date.parse("2026-11-22T10:00:00Z"));
    setOnline(true);
    setHidden(false);
    Object.defineProperty(navigator, "doNotTrack", { configurable: true, value: null });
    history.replaceState(null, "", "/");
  });
  afterEach(async () => {
    await shutdownAll();
    init({ endpoint: "x", writeKey: "x", pageview: false, heartbeat: 0 }).shutdown();
  });

  it("opt-out stops tracking, forgets queued events and stores nothing new; opt-in resumes", async () => {
    const net = collector();
    const c = await start({ flushInterval: 60000 });
    await c.track("click"); // queued, not sent yet
    await c.optOut();
    expect(await c.track("click")).toBeNull();
    await advance(120000);
    expect(net.requests).toHaveLength(0);
    c.optIn();
    await c.track("search", { search_query: "ssd" });
    await c.flush();
    expect(net.events().map((e) => e.event_type)).toEqual(["search"]);
  });

  it("opt-out set before init (a consent banner) holds for the client started later", async () => {
    const net = collector();
    optOut();
    const c = await start({ pageview: true });
    await c.track("click");
    await advance(10000);
    expect(net.requests).toHaveLength(0);
    expect(localStorage.getItem("cs_aid")).toBeNull(); // no identifier is even created
    optIn();
    await c.track("click");
    await c.flush();
    expect(net.events()).toHaveLength(1);
  });

  it("honours Do Not Track unless told not to", async () => {
    const net = collector();
    Object.defineProperty(navigator, "doNotTrack", { configurable: true, value: "1" });
    const c = await start({ pageview: true });
    await c.track("click");
    await advance(10000);
    expect(net.requests).toHaveLength(0);
    const ignoring = await start({ respectDnt: false });
    await ignoring.track("click");
    await ignoring.flush();
    expect(net.events()).toHaveLength(1);
  });

  it("strips e-mail addresses from URLs, the referrer, the title and properties", async () => {
    const net = collector();
    history.replaceState(null, "", "/account/jane.doe@example.com/orders?to=bob%40example.org");
    document.title = "Orders of jane.doe@example.com";
    const c = await start();
    await c.track("click", { label: "mail max.mustermann@example.de now", count: 2 });
    await c.flush();
    const [e] = net.events();
    expect(JSON.stringify(e)).not.toMatch(/jane\.doe|bob|mustermann/);
    expect(e.page_url).toBe("http://localhost:3000/account/[email]/orders?to=[email]");
    expect(e.props).toEqual({ label: "mail [email] now", count: 2 });
  });

  it("sends a page view on load and on each single-page-app navigation, with the previous page as referrer", async () => {
    const net = collector();
    const c = await start({ pageview: true });
    vi.advanceTimersByTime(1000);
    history.pushState(null, "", "/category/notebooks");
    history.replaceState({ scroll: 1 }, "", "/category/notebooks"); // same page: no view
    vi.advanceTimersByTime(1000);
    history.pushState(null, "", "/product/nb-1");
    vi.advanceTimersByTime(1000);
    history.back();
    await settle();
    window.dispatchEvent(new PopStateEvent("popstate"));
    await settle();
    await c.flush();
    const views = net.events().filter((e) => e.event_type === "view").sort((a, b) => a.ts.localeCompare(b.ts));
    const paths = views.map((e) => new URL(e.page_url!).pathname);
    expect(paths.slice(0, 3)).toEqual(["/", "/category/notebooks", "/product/nb-1"]);
    expect(new URL(views[2].referrer!).pathname).toBe("/category/notebooks");
  });

  it("beats only while the tab is visible and someone used it in the last 5 minutes", async () => {
    const net = collector();
    const c = await start({ heartbeat: 15000, flushInterval: 1000 });
    window.dispatchEvent(new Event("pointerdown"));
    await advance(30000, 1000); // 2 beats
    setHidden(true);
    await advance(60000, 1000); // hidden: none
    setHidden(false);
    window.dispatchEvent(new Event("scroll"));
    await advance(15000, 1000); // 1 beat, counting only visible time
    await advance(10 * 60000, 5000); // nobody there: after 5 minutes, none
    const beats = net.events().filter((e) => e.event_type === "heartbeat");
    const engaged = beats.map((e) => e.props?.engaged_ms as number);
    // The page started at 1 s (see start()); beats tick at 15 s, 30 s, ... from 0. Visible and used: 15 s
    // and 30 s, 15000 ms each. Hidden from 31 s to 91 s: none. Visible again at 91 s: the 105 s beat counts
    // only the visible 14 s. Then every 15 s while the scroll at 91 s is under 5 minutes old (up to 390 s).
    expect(engaged.slice(0, 3)).toEqual([15000, 15000, 105000 - 91001]);
    expect(beats.length).toBe(2 + (390 - 105) / 15 + 1);
    void c;
  });
});
