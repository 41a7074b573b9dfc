// clickstream browser SDK: page views (SPA included), e-commerce events, identity and sessions shared by
// tabs, batched delivery with retries, an IndexedDB offline queue, beacons when the page goes away.
import { EVENT_TYPES } from "./contract.gen";
import type { Ecom, Event, EventType, ProductLine } from "./contract.gen";
import { Queue } from "./queue";
import { anonymousId, sessionId, uuid } from "./session";
import { cleanProps, scrub } from "./scrub";
import { openStorage, type KV } from "./storage";
import { beacon, chunks, post } from "./transport";

export type { Ecom, Event, EventType, ProductLine } from "./contract.gen";
export const VERSION = "0.1.0";

export interface Options {
  /** The collector's URL, e.g. https://collect.example.com/v1/events */
  endpoint: string;
  /** The site's write key (sent as X-Write-Key, or ?write_key= on beacons). */
  writeKey: string;
  /** Send queued events at most this long (ms) after they happen. Default 5000. */
  flushInterval?: number;
  /** Send at once when this many events wait. Default 20. */
  batchSize?: number;
  /** Events kept waiting at most; past it the oldest are dropped and reported. Default 1000. */
  maxQueue?: number;
  /** Longest wait (ms) between retries. Default 60000. */
  maxBackoff?: number;
  /** Engagement heartbeat period (ms) while the tab is visible and in use; 0 turns it off. Default 15000. */
  heartbeat?: number;
  /** Send a page view now and on every single-page-app navigation. Default true. */
  pageview?: boolean;
  /** Send nothing when the browser asks not to be tracked (Do Not Track). Default true. */
  respectDnt?: boolean;
}

export type Product = ProductLine & { currency?: string };
export interface Order {
  order_id: string;
  revenue: number;
  currency: string;
  items?: ProductLine[];
}
type Props = Record<string, unknown>;

// Heartbeats stop when nobody touched the page for this long: a forgotten tab is not engagement.
const IDLE_MS = 5 * 60 * 1000;

export class Client {
  o: Required<Options>;
  private _kv: KV;
  private _q: Queue;
  /** Settles when the queue has taken back what earlier pages left. */
  ready: Promise<void>;
  /** This page's events not yet acknowledged: what a beacon carries when the page goes away. */
  private _recent = new Map<string, Event>();
  private _inflight = new Set<string>();
  private _busy: Promise<unknown> | null = null;
  private _attempt = 0;
  private _retryAt = 0;
  private _timer: ReturnType<typeof setTimeout> | 0 = 0;
  private _token: string | null = null;
  private _ref: string | null;
  private _path = "";
  private _touched = Date.now();
  private _beat = Date.now();
  private _stops: (() => void)[] = [];

  constructor(options: Options) {
    const o = (this.o = {
      flushInterval: 5000,
      batchSize: 20,
      maxQueue: 1000,
      maxBackoff: 60000,
      heartbeat: 15000,
      pageview: true,
      respectDnt: true,
      ...options,
    });
    this._kv = openStorage();
    this._ref = document.referrer ? scrub(document.referrer, 2048) : null;
    this._q = new Queue(this._kv, o.maxQueue, (ids) => {
      ids.forEach((id) => this._recent.delete(id));
      this._lost(ids.length);
    });
    this.ready = this._start();

    const on = (target: EventTarget, type: string, fn: () => void) => {
      target.addEventListener(type, fn, { passive: true });
      this._stops.push(() => target.removeEventListener(type, fn));
    };
    // pagehide and visibilitychange, never unload: unload breaks the back/forward cache and is unreliable.
    on(window, "pagehide", () => this._leave());
    on(document, "visibilitychange", () => (document.hidden ? this._leave() : (this._beat = Date.now())));
    on(window, "online", () => {
      this._attempt = this._retryAt = 0;
      this.flush();
    });
    for (const type of ["pointerdown", "keydown", "scroll"])
      on(window, type, () => (this._touched = Date.now()));
    if (o.heartbeat) {
      const t = setInterval(() => this._heartbeat(), o.heartbeat);
      this._stops.push(() => clearInterval(t));
    }
    if (o.pageview) {
      for (const m of ["pushState", "replaceState"] as const) {
        const orig = history[m];
        history[m] = (...args: Parameters<History["pushState"]>) => {
          orig.apply(history, args);
          this._navigated();
        };
        this._stops.push(() => (history[m] = orig));
      }
      on(window, "popstate", () => this._navigated());
      this.page();
    }
  }

  /** Finishes what earlier pages left: spilled events go back in the queue, sent ones leave it. */
  private async _start(): Promise<void> {
    // The page before this one may still be leaving, in another renderer process: give its pagehide time to
    // write the ledger and the spill (localStorage reaches other processes asynchronously).
    await new Promise((r) => setTimeout(r, 1000));
    await this._q._restore();
    this._schedule(0);
  }

  private _off(): boolean {
    return !!this._kv.get("cs_out") || (this.o.respectDnt && navigator.doNotTrack == "1");
  }

  /** Records an event. Resolves with it once it is queued (null when tracking is off or the type unknown). */
  async track(type: EventType, props?: Props, ecom?: Ecom): Promise<Event | null> {
    const e = this._event(type, props, ecom);
    if (!e) return null;
    this._recent.set(e.event_id, e);
    await this._q._add(e);
    this._schedule(this.o.flushInterval);
    if (this._recent.size >= this.o.batchSize) this.flush();
    return e;
  }

  private _event(type: EventType, props?: Props, ecom?: Ecom): Event | null {
    if (this._off()) return null;
    if (!EVENT_TYPES.includes(type)) {
      console.warn("clickstream: no event type", type);
      return null;
    }
    const now = Date.now();
    const e: Event = {
      event_id: uuid(),
      event_type: type,
      ts: new Date(now).toISOString(),
      session_id: sessionId(this._kv, now, type != "delivery_report"),
      anonymous_id: anonymousId(this._kv),
      page_url: scrub(location.href, 2048),
      page_title: scrub(document.title, 512),
      referrer: this._ref,
      device: { screen_width: screen.width, screen_height: screen.height },
      context: {
        library: "clickstream-js/" + VERSION,
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        // Automation (Selenium, Playwright ...) says so here; the collector marks such events is_bot.
        webdriver: !!navigator.webdriver,
      },
    };
    const uid = this._kv.get<string>("cs_uid");
    if (uid) e.user_id = uid;
    if (props) e.props = cleanProps(props);
    if (ecom) e.ecom = { ...ecom }; // as it is now: the caller may change its object before the event is stored
    return e;
  }

  /** A page view; the next view's referrer is this page. */
  page(props?: Props, ecom?: Ecom): Promise<Event | null> {
    this._path = location.pathname + location.search;
    const sent = this.track("view", props, ecom);
    this._ref = scrub(location.href, 2048);
    return sent;
  }

  private _navigated(): void {
    if (location.pathname + location.search != this._path) this.page();
  }

  /** Logs the visitor in: a user id, or an ID token (JWT) whose `sub` becomes the user id and which is sent as a bearer token. */
  identify(userIdOrToken: string, props?: Props): Promise<Event | null> {
    let uid: string | undefined = userIdOrToken;
    const jwt = userIdOrToken.split(".");
    if (jwt.length == 3)
      try {
        uid = JSON.parse(atob(jwt[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
        this._token = userIdOrToken;
      } catch {
        /* not a token: a user id with dots */
      }
    if (!uid) return Promise.resolve(null);
    this._kv.set("cs_uid", uid);
    return this.track("identify", props);
  }

  /** Logs out: a new anonymous id and session, no user id. */
  reset(): void {
    for (const k of ["cs_uid", "cs_aid", "cs_s"]) this._kv.del(k);
    this._token = null;
  }

  viewProduct(product: Product, props?: Props) {
    return this.page(props, product);
  }
  search(query: string, props?: Props) {
    return this.track("search", { ...props, search_query: query });
  }
  addToCart(product: Product, props?: Props) {
    return this.track("add_to_cart", props, { qty: 1, ...product });
  }
  removeFromCart(product: Product, props?: Props) {
    return this.track("remove_from_cart", props, { qty: 1, ...product });
  }
  checkout(cart: { items: ProductLine[]; revenue?: number; currency?: string }, props?: Props) {
    return this.track("checkout", props, cart);
  }
  purchase(order: Order, props?: Props) {
    return this.track("purchase", props, order);
  }

  /** Stops all tracking in this browser (kept in storage) and forgets what waits to be sent. */
  optOut(): Promise<void> {
    this._kv.set("cs_out", 1);
    this._recent.clear();
    return this._q._clear();
  }
  optIn(): void {
    this._kv.del("cs_out");
  }

  private _heartbeat(): void {
    const now = Date.now();
    // Engaged time: only while the tab is visible and someone used it lately.
    if (!document.hidden && now - this._touched < IDLE_MS) this.track("heartbeat", { engaged_ms: now - this._beat });
    this._beat = now;
  }

  /** Events the SDK had to drop, counted in storage until a delivery_report carries them to the collector. */
  private _lost(n: number): void {
    this._kv.set("cs_drop", (this._kv.get<number>("cs_drop") || 0) + n);
  }

  /** Ids sent by beacon (or in flight) as the page went away: skipped and removed from the queue later. */
  private _ledger(ids: string[], add = true): void {
    const drop = new Set(ids);
    const old = (this._kv.get<string[]>("cs_sent") || []).filter((id) => !drop.has(id));
    if (add || old.length) this._kv.set("cs_sent", add ? old.concat(ids).slice(-5000) : old);
    else this._kv.del("cs_sent");
  }

  /** Removes sent events from the queue, then from the ledger; if the removal fails the ledger keeps them. */
  private _unledger(ids: string[]): Promise<void> {
    return this._q._remove(ids).then(
      () => this._ledger(ids, false),
      () => {},
    );
  }

  private _schedule(delay: number): void {
    if (!this._timer) this._timer = setTimeout(() => this.flush(), delay);
  }

  /** Sends what waits, one tab at a time, in batches; on failure retries with backoff. */
  async flush(): Promise<void> {
    while (this._busy) await this._busy; // one drain at a time in this tab; then look again
    clearTimeout(this._timer);
    this._timer = 0;
    if (this._off() || !navigator.onLine || Date.now() + 50 < this._retryAt) return;
    this._busy = this.ready
      .then(() => this._lock(() => this._drain()))
      .then((done) => done || this._schedule(this.o.flushInterval))
      .finally(() => (this._busy = null));
    await this._busy;
  }

  /**
   * Runs fn holding the flush lock, so one tab flushes at a time; false if another tab holds it. Browsers
   * without Web Locks (pre-2022) flush from every tab: a rare duplicate that the warehouse dedupes by event_id.
   */
  private async _lock(fn: () => Promise<void>): Promise<boolean> {
    const locks = navigator.locks;
    if (!locks) return fn().then(() => true);
    return locks.request("clickstream-flush", { ifAvailable: true }, async (l) => !!l && (await fn(), true));
  }

  private async _drain(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      // Loss is reported by a delivery_report that rides ahead of the next batch. It is built once and kept
      // in storage until the collector takes it (same event_id on retries), outside the capped queue.
      let report = this._kv.get<Event>("cs_rep");
      const dropped = this._kv.get<number>("cs_drop");
      if (!report && dropped && (report = this._event("delivery_report", { dropped_events: dropped }))) {
        this._kv.set("cs_rep", report);
        this._kv.del("cs_drop");
      }
      // Events the ledger names were sent (by beacon, or just before a page went away): remove them.
      const ledger = this._kv.get<string[]>("cs_sent");
      if (ledger) await this._unledger(ledger);
      const skip = new Set(this._kv.get<string[]>("cs_sent"));
      const queued = await this._q._peek(report ? 99 : 100, skip);
      const batch = chunks(report ? [report, ...queued] : queued)[0];
      // Not while offline (checked here, next to the send): a request made then can still reach the
      // collector without the page learning it did, and the same events would go again.
      if (!batch || !navigator.onLine) return;
      const ids = batch.map((e) => e.event_id);
      ids.forEach((id) => this._inflight.add(id));
      const { status, wait } = await post(this.o.endpoint, this.o.writeKey, this._token, batch);
      ids.forEach((id) => this._inflight.delete(id));
      // 2xx: stored. 400/413: the collector can never take this request: drop it, and count the loss.
      if ((status > 199 && status < 300) || status == 400 || status == 413) {
        if (report) this._kv.del("cs_rep");
        if (status > 299) this._lost(queued.length + (report ? (report.props!.dropped_events as number) : 0));
        this._attempt = 0;
        ids.forEach((id) => this._recent.delete(id));
        // Stored: ledger them first, so a page that goes away before the removal commits never resends them.
        this._ledger(ids);
        await this._unledger(ids);
        continue;
      }
      // A bearer token the collector cannot verify: go on without it (user_id still says who it is).
      if (status == 401) this._token = null;
      // Network error, 401, 408, 429, 5xx ...: keep the events, retry later with exponential backoff, full jitter
      // above half the step, and never sooner than Retry-After.
      const sent = new Set(this._kv.get<string[]>("cs_sent"));
      const back = batch.filter((e) => sent.has(e.event_id));
      if (back.length) {
        // The page hid while these were in flight and counted them as sent: they were not.
        this._ledger(ids, false);
        for (const e of back) await this._q._add(e);
      }
      const step = Math.min(this.o.maxBackoff, 1000 * 2 ** this._attempt++);
      const delay = Math.max(wait, step * (0.5 + Math.random() / 2));
      this._retryAt = Date.now() + delay;
      clearTimeout(this._timer);
      this._timer = setTimeout(() => this.flush(), delay);
      return;
    }
  }

  /**
   * The page is hidden or going away. Online, this page's unsent events go by beacon and are written to the
   * ledger (with those in a keepalive fetch) so no later flush sends them again. Offline or while retrying,
   * a beacon would be lost: the events stay queued, and what is not durable yet is spilled to localStorage.
   */
  private _leave(): void {
    if (this._off()) return;
    if (navigator.onLine && !this._attempt) {
      const rest = [...this._recent.values()].filter((e) => !this._inflight.has(e.event_id));
      const ids = [...this._inflight].concat(beacon(this.o.endpoint, this.o.writeKey, rest).map((e) => e.event_id));
      if (ids.length) {
        ids.forEach((id) => this._recent.delete(id));
        this._ledger(ids); // no IndexedDB work here: a transaction left open would block the next page
      }
    }
    this._q._spill();
  }

  /** Removes listeners and timers (tests, or before a second init). */
  shutdown(): void {
    this._stops.forEach((stop) => stop());
    clearTimeout(this._timer);
  }
}

let client: Client | null = null;

/** Starts the SDK (a second call replaces the first) and returns it; see also window.clickstream. */
export function init(options: Options): Client {
  client?.shutdown();
  return (client = new Client(options));
}
/** The client init() started last, if any. */
export const current = () => client;
/** Opt-out and opt-in work before init too (a consent banner may run first). */
export const optIn = () => openStorage().del("cs_out");
export const optOut = () => (client ? client.optOut() : openStorage().set("cs_out", 1));
