// Getting batches to the collector: fetch (keepalive, so a send survives navigation) while the page lives,
// sendBeacon as text/plain (no CORS preflight) when it goes away. Both keep each request body below the
// browsers' 64 KB keepalive/beacon limit.
import type { Event } from "./contract.gen";

export const MAX_BODY = 60000;

const size = (s: string) => new Blob([s]).size;

export function envelope(events: Event[]): string {
  return JSON.stringify({ events, sent_at: new Date().toISOString() });
}

/** Splits events into runs whose envelope stays below MAX_BODY bytes (an oversized event goes alone). */
export function chunks(events: Event[]): Event[][] {
  const out: Event[][] = [];
  let run: Event[] = [];
  let bytes = 64;
  for (const e of events) {
    const n = size(JSON.stringify(e)) + 1;
    if (run.length && bytes + n > MAX_BODY) {
      out.push(run);
      run = [];
      bytes = 64;
    }
    run.push(e);
    bytes += n;
  }
  if (run.length) out.push(run);
  return out;
}

export interface Sent {
  /** HTTP status, 0 when the request failed on the network. */
  status: number;
  /** ms the server asked us to wait (Retry-After), 0 if none. */
  wait: number;
}

export async function post(endpoint: string, writeKey: string, token: string | null, events: Event[]): Promise<Sent> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Write-Key": writeKey };
  if (token) headers.Authorization = "Bearer " + token;
  try {
    const r = await fetch(endpoint, { method: "POST", keepalive: true, headers, body: envelope(events) });
    const ra = r.headers.get("Retry-After") || "";
    const wait = ra ? (+ra >= 0 ? +ra * 1000 : Date.parse(ra) - Date.now()) : 0;
    return { status: r.status, wait: wait > 0 ? wait : 0 };
  } catch {
    return { status: 0, wait: 0 };
  }
}

/** Beacons the events in chunks; returns the events the browser accepted to deliver. */
export function beacon(endpoint: string, writeKey: string, events: Event[]): Event[] {
  const url = endpoint + "?write_key=" + encodeURIComponent(writeKey);
  const sent: Event[] = [];
  for (const run of chunks(events)) {
    if (!navigator.sendBeacon || !navigator.sendBeacon(url, envelope(run))) break;
    sent.push(...run);
  }
  return sent;
}
