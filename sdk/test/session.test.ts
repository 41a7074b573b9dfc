// Identity and sessions: one anonymous_id per browser; the session rolls after 30 minutes idle (an exactly
// 30-minute gap included, as the warehouse counts it) and at 24 hours; tabs share both through localStorage.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SESSION_CAP_MS, SESSION_IDLE_MS, anonymousId, sessionId } from "../src/session";
import { openStorage } from "../src/storage";
import { collector, settle, shutdownAll, start } from "./helpers";

const MIN = 60 * 1000;
const T0 = Date.parse("2026-11-22T10:00:00Z");

describe("sessions", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    vi.setSystemTime(T0);
  });
  afterEach(shutdownAll);

  it("keeps the session while events come less than 30 minutes apart", () => {
    const kv = openStorage();
    const first = sessionId(kv, T0);
    expect(sessionId(kv, T0 + 29 * MIN)).toBe(first);
    expect(sessionId(kv, T0 + 58 * MIN)).toBe(first);
  });

  it("starts a new session after exactly 30 minutes idle", () => {
    const kv = openStorage();
    const first = sessionId(kv, T0);
    expect(sessionId(kv, T0 + SESSION_IDLE_MS - 1)).toBe(first);
    const second = sessionId(kv, T0 + 2 * SESSION_IDLE_MS - 1);
    expect(second).not.toBe(first);
  });

  it("caps a session at 24 hours even when it never goes idle", () => {
    const kv = openStorage();
    const first = sessionId(kv, T0);
    let t = T0;
    while (t + 20 * MIN < T0 + SESSION_CAP_MS) expect(sessionId(kv, (t += 20 * MIN))).toBe(first);
    expect(sessionId(kv, T0 + SESSION_CAP_MS)).not.toBe(first);
  });

  it("does not let a delivery report extend the session", () => {
    const kv = openStorage();
    const first = sessionId(kv, T0);
    expect(sessionId(kv, T0 + 20 * MIN, false)).toBe(first);
    expect(sessionId(kv, T0 + 35 * MIN)).not.toBe(first);
  });

  it("creates the anonymous id once and keeps it; falls back to a cookie without localStorage", () => {
    const id = anonymousId(openStorage());
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(anonymousId(openStorage())).toBe(id);

    vi.stubGlobal("localStorage", undefined); // blocked, as in some private modes
    const cookieKv = openStorage();
    expect(cookieKv.local).toBe(false);
    const cookieId = anonymousId(cookieKv);
    expect(document.cookie).toContain(`cs_aid=${encodeURIComponent(JSON.stringify(cookieId))}`);
    expect(anonymousId(openStorage())).toBe(cookieId);
  });

  it("shares identity and session between tabs, and rolls them for every tab", async () => {
    const net = collector();
    const tabA = await start();
    const tabB = await start();
    await tabA.track("click");
    vi.setSystemTime(T0 + 10 * MIN);
    await tabB.track("click");
    vi.setSystemTime(T0 + 35 * MIN); // 25 minutes after tab B's event: still the same session
    await tabA.track("click");
    vi.setSystemTime(T0 + 70 * MIN); // 35 minutes idle: a new one, in both tabs
    await tabB.track("click");
    await tabA.track("click");
    await tabA.flush();
    await tabB.flush();
    await settle();
    const events = net.events().sort((a, b) => a.ts.localeCompare(b.ts));
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.anonymous_id)).size).toBe(1);
    const [s1, s2, s3, s4, s5] = events.map((e) => e.session_id);
    expect([s2, s3]).toEqual([s1, s1]);
    expect(s4).not.toBe(s1);
    expect(s5).toBe(s4);
  });

  it("reset() starts a new visitor: new anonymous id, new session, no user id", async () => {
    const net = collector();
    const c = await start();
    await c.identify("customer-42");
    vi.setSystemTime(T0 + 1000);
    await c.track("click");
    c.reset();
    vi.setSystemTime(T0 + 2000);
    await c.track("click");
    await c.flush();
    const [identify, before, after] = net.events().sort((a, b) => a.ts.localeCompare(b.ts));
    expect(identify.user_id).toBe("customer-42");
    expect(before.user_id).toBe("customer-42");
    expect(after.user_id).toBeUndefined();
    expect(after.anonymous_id).not.toBe(before.anonymous_id);
    expect(after.session_id).not.toBe(before.session_id);
  });

  it("identify() with an ID token uses its sub and sends it as a bearer token", async () => {
    const net = collector();
    const c = await start();
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const token = `${b64({ alg: "RS256" })}.${b64({ sub: "cognito-sub-7" })}.c2ln`;
    await c.identify(token);
    await c.flush();
    expect(net.events()[0].user_id).toBe("cognito-sub-7");
    expect(net.requests[0].headers.Authorization).toBe(`Bearer ${token}`);
  });

  it("drops a bearer token the collector refuses (401) and retries without it", async () => {
    const net = collector([401]);
    const c = await start();
    await c.identify("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2ln");
    await c.flush();
    vi.advanceTimersByTime(2000);
    await c.flush();
    expect(net.requests.map((r) => r.headers.Authorization)).toEqual(["Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2ln", undefined]);
    expect(net.requests[1].body.events[0].user_id).toBe("u-1");
  });
});
