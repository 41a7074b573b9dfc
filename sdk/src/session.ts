// Identity and client sessions. The state lives in storage (localStorage), so every tab of the origin shares
// one anonymous_id and one session; each event reads and touches it.
import type { KV } from "./storage";

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_CAP_MS = 24 * 60 * 60 * 1000;

interface SessionState {
  id: string;
  /** epoch ms of the session's first event */
  start: number;
  /** epoch ms of the session's latest activity */
  last: number;
}

/** A random (v4) UUID; getRandomValues also works outside secure contexts, unlike randomUUID. */
export function uuid(): string {
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16),
  );
}

export function anonymousId(kv: KV): string {
  let id = kv.get<string>("cs_aid");
  if (!id) kv.set("cs_aid", (id = uuid()));
  return id;
}

/**
 * The session id for an event at `now`. A new session starts after 30 minutes without activity (an exactly
 * 30-minute gap included, as the warehouse counts it) or when the session reaches 24 hours. `activity: false`
 * (delivery reports) reads the current session without extending or rolling it.
 */
export function sessionId(kv: KV, now: number, activity = true): string {
  let s = kv.get<SessionState>("cs_s");
  if (s && !activity) return s.id;
  if (!s || now - s.last >= SESSION_IDLE_MS || now - s.start >= SESSION_CAP_MS) {
    s = { id: uuid(), start: now, last: now };
  }
  s.last = Math.max(s.last, now);
  kv.set("cs_s", s);
  return s.id;
}
