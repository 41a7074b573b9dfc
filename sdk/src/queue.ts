// The offline queue: events wait in IndexedDB (shared by the origin's tabs, survives reloads and browser
// restarts) until the collector acknowledges them. When IndexedDB is missing, blocked or full, events wait in
// memory instead, and are spilled to localStorage when the page goes away. The queue is capped: past
// `cap` events the oldest are dropped and reported through `onDrop`, so client-side loss is counted.
import type { Event } from "./contract.gen";
import type { KV } from "./storage";

const STORE = "q";

function openDb(): Promise<IDBDatabase | null> {
  return new Promise((done) => {
    try {
      const r = indexedDB.open("clickstream", 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: "event_id" }).createIndex("ts", "ts");
      r.onsuccess = () => done(r.result);
      r.onerror = r.onblocked = () => done(null);
    } catch {
      done(null);
    }
  });
}

/** Runs `fn` in one transaction; resolves when it commits, rejects when it aborts (e.g. quota exceeded). */
function tx(db: IDBDatabase, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => void): Promise<void> {
  return new Promise((done, fail) => {
    const t = db.transaction(STORE, mode);
    fn(t.objectStore(STORE));
    t.oncomplete = () => done();
    t.onerror = t.onabort = () => fail(t.error);
  });
}

export class Queue {
  /** The store when IndexedDB is unusable; oldest first. */
  _mem: Event[] = [];
  /** ids put in IndexedDB whose transaction has not committed yet. */
  private _unsaved = new Map<string, Event>();
  private _db: Promise<IDBDatabase | null>;

  constructor(
    private _kv: KV,
    private _cap: number,
    private _onDrop: (ids: string[]) => void,
  ) {
    this._db = openDb();
  }

  async _add(e: Event): Promise<void> {
    const db = await this._db;
    if (db) {
      this._unsaved.set(e.event_id, e);
      const dropped: string[] = [];
      try {
        await tx(db, "readwrite", (s) => {
          s.put(e);
          s.count().onsuccess = (c) => {
            let over = (c.target as IDBRequest<number>).result - this._cap;
            if (over > 0)
              s.index("ts").openCursor().onsuccess = (ev) => {
                const cur = (ev.target as IDBRequest<IDBCursorWithValue | null>).result;
                if (cur && over-- > 0) {
                  dropped.push(cur.primaryKey as string);
                  cur.delete();
                  cur.continue();
                }
              };
          };
        });
        if (dropped.length) this._onDrop(dropped);
        return;
      } catch {
        /* quota exceeded or the database went away: keep the event in memory */
      } finally {
        this._unsaved.delete(e.event_id);
      }
    }
    this._mem.push(e);
    if (this._mem.length > this._cap) this._onDrop(this._mem.splice(0, this._mem.length - this._cap).map((x) => x.event_id));
  }

  /** Up to `n` queued events, oldest first, leaving out the ids in `skip` (in flight or already sent). */
  async _peek(n: number, skip: Set<string>): Promise<Event[]> {
    const db = await this._db;
    let found: Event[] = [];
    if (db)
      try {
        await tx(db, "readonly", (s) => {
          s.index("ts").getAll(null, n + skip.size).onsuccess = (ev) => {
            found = (ev.target as IDBRequest<Event[]>).result;
          };
        });
      } catch {
        /* unreadable: what memory holds is all we can send */
      }
    return found
      .concat(this._mem)
      .filter((e) => !skip.has(e.event_id))
      .sort((a, b) => (a.ts < b.ts ? -1 : 1))
      .slice(0, n);
  }

  /** Rejects when IndexedDB did not commit the removal (the page went away): callers keep their ledger. */
  async _remove(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    this._mem = this._mem.filter((e) => !gone.has(e.event_id));
    const db = await this._db;
    if (db) await tx(db, "readwrite", (s) => ids.forEach((id) => s.delete(id)));
  }

  /** Synchronously saves what is not durable yet (memory, uncommitted puts) to localStorage; see restore(). */
  _spill(): void {
    const events = this._mem.concat([...this._unsaved.values()]);
    if (!events.length || !this._kv.local) return;
    const old = this._kv.get<Event[]>("cs_spill") || [];
    this._kv.set("cs_spill", old.concat(events).slice(-this._cap));
  }

  /** Moves spilled events back into the queue (the put is idempotent: event_id is the key). */
  async _restore(): Promise<void> {
    const spilled = this._kv.get<Event[]>("cs_spill");
    if (!spilled) return;
    this._kv.del("cs_spill");
    const seen = new Set<string>();
    for (const e of spilled) if (!seen.has(e.event_id) && seen.add(e.event_id)) await this._add(e);
  }

  async _clear(): Promise<void> {
    this._mem = [];
    this._kv.del("cs_spill");
    const db = await this._db;
    if (db) await tx(db, "readwrite", (s) => s.clear()).catch(() => {});
  }
}
