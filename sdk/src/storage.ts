// Small persistent key/value state (ids, session, opt-out, counters): localStorage, shared by every tab of
// the origin, with a first-party cookie fallback where localStorage is blocked (some private modes).
export interface KV {
  get<T>(key: string): T | null;
  set(key: string, value: unknown): void;
  del(key: string): void;
  /** true when values live in localStorage (large values such as the spill need it). */
  local: boolean;
}

export function openStorage(): KV {
  let ls: Storage | null = null;
  try {
    ls = localStorage;
    ls.setItem("cs_t", "1");
    ls.removeItem("cs_t");
  } catch {
    ls = null;
  }
  const cookie = (key: string, value: string, age: number) => {
    document.cookie = `${key}=${encodeURIComponent(value)};path=/;max-age=${age};SameSite=Lax`;
  };
  const read = (key: string): string | null => {
    if (ls) return ls.getItem(key);
    const m = document.cookie.match(new RegExp(`(?:^|; )${key}=([^;]*)`));
    return m ? decodeURIComponent(m[1]) : null;
  };
  return {
    local: !!ls,
    get<T>(key: string): T | null {
      try {
        const raw = read(key);
        return raw == null ? null : (JSON.parse(raw) as T);
      } catch {
        return null;
      }
    },
    set(key, value) {
      const raw = JSON.stringify(value);
      try {
        if (ls) ls.setItem(key, raw);
        else cookie(key, raw, 31536000);
      } catch {
        /* storage full: state stays in memory for this page */
      }
    },
    del(key) {
      if (ls) ls.removeItem(key);
      else cookie(key, "", 0);
    },
  };
}
