// The script-tag build: window.clickstream.init(...), then window.clickstream.page(), .purchase(...) ...
// Calls before init are ignored.
import { Client, VERSION, current, init, optIn, optOut } from "./index";

type Api = Pick<
  Client,
  | "page" | "track" | "identify" | "reset" | "flush" | "viewProduct" | "search" | "addToCart" | "removeFromCart" | "checkout" | "purchase"
> & { init: typeof init; optIn: typeof optIn; optOut: typeof optOut; VERSION: string };

declare global {
  interface Window {
    clickstream: Api;
  }
}

const api = { init, optIn, optOut, VERSION } as Api & Record<string, unknown>;
for (const name of "page track identify reset flush viewProduct search addToCart removeFromCart checkout purchase".split(" "))
  api[name] = (...args: unknown[]) => {
    const c = current() as unknown as Record<string, (...a: unknown[]) => unknown> | null;
    return c && c[name](...args);
  };
window.clickstream = api;
