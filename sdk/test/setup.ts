// Each test starts from an empty browser profile: a fresh IndexedDB (fake-indexeddb), localStorage, cookies.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, beforeEach, vi } from "vitest";

beforeEach(() => {
  // Unit tests never reach a network: a test that sends installs collector() (test/helpers.ts).
  vi.stubGlobal("fetch", () => Promise.reject(new TypeError("no network in unit tests")));
  globalThis.indexedDB = new IDBFactory();
  localStorage.clear();
  for (const c of document.cookie.split("; ")) if (c) document.cookie = `${c.split("=")[0]}=;path=/;max-age=0`;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
