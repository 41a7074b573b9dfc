// A recording collector for unit tests (the real one runs in tests/sdk/, the Playwright end-to-end test) and
// small controls over the browser: online/offline, visibility, Do Not Track, Web Locks.
import { vi } from "vitest";
import { Client, type Event, type Options } from "../src/index";

export const ENDPOINT = "https://collect.example.test/v1/events";
export const WRITE_KEY = "wk_test";

export interface Request {
  url: string;
  headers: Record<string, string>;
  body: { events: Event[]; sent_at: string };
  via: "fetch" | "beacon";
}

/**
 * Stubs fetch and sendBeacon. `replies` are the statuses fetch answers in turn (0 = network error, then 200
 * once they run out); a [status, headers] pair sets response headers such as Retry-After.
 */
export function collector(replies: (number | [number, Record<string, string>])[] = []) {
  const requests: Request[] = [];
  const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
    requests.push({
      url,
      headers: init.headers as Record<string, string>,
      body: JSON.parse(init.body as string),
      via: "fetch",
    });
    const reply = replies.shift() ?? 200;
    const [status, headers] = Array.isArray(reply) ? reply : [reply, {}];
    if (status === 0) throw new TypeError("Failed to fetch");
    return new Response(null, { status, headers });
  });
  vi.stubGlobal("fetch", fetchMock);
  let beaconOk = true;
  const sendBeacon = vi.fn((url: string, body: string) => {
    if (!beaconOk) return false;
    requests.push({ url, headers: {}, body: JSON.parse(body), via: "beacon" });
    return true;
  });
  Object.defineProperty(navigator, "sendBeacon", { configurable: true, value: sendBeacon });
  return {
    requests,
    fetch: fetchMock,
    sendBeacon,
    refuseBeacons: () => (beaconOk = false),
    /** Every event the collector received, in order, duplicates included. */
    events: () => requests.flatMap((r) => r.body.events),
  };
}

export function setOnline(online: boolean): void {
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => online });
  window.dispatchEvent(new window.Event(online ? "online" : "offline"));
}

export function setHidden(hidden: boolean): void {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  document.dispatchEvent(new window.Event("visibilitychange"));
}

/** The page goes away (navigation, tab closed). */
export function pagehide(): void {
  window.dispatchEvent(new window.Event("pagehide"));
}

/** Lets pending IndexedDB work (it runs on real setImmediate ticks) and promise chains finish. */
export async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Moves fake time forward, letting IndexedDB work run between timers. */
export async function advance(ms: number, step = 250): Promise<void> {
  for (let left = ms; left > 0; left -= step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, left));
    await settle(5);
  }
  await settle();
}

/** A fetch reply the test decides when to give. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const clients: Client[] = [];

/** A client with page views and heartbeats off unless asked for, shut down after the test. */
export async function start(options: Partial<Options> = {}): Promise<Client> {
  const c = new Client({ endpoint: ENDPOINT, writeKey: WRITE_KEY, pageview: false, heartbeat: 0, ...options });
  clients.push(c);
  // A page waits a second for the page before it to finish leaving, then flushes what waits.
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(1000);
  await c.ready;
  await settle();
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(1); // setTimeout(fn, 0) fires after 1 ms
  await settle();
  return c;
}

export async function shutdownAll(): Promise<void> {
  await settle();
  while (clients.length) clients.pop()!.shutdown();
}

/** Web Locks for two clients in one test (two tabs): navigator.locks with ifAvailable, as browsers have it. */
export function installWebLocks(): void {
  const held = new Set<string>();
  const locks = {
    async request(name: string, _opts: { ifAvailable: boolean }, fn: (lock: unknown) => Promise<unknown>) {
      if (held.has(name)) return fn(null);
      held.add(name);
      try {
        return await fn({ name });
      } finally {
        held.delete(name);
      }
    },
  };
  Object.defineProperty(navigator, "locks", { configurable: true, value: locks });
}
