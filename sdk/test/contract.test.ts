// The SDK cannot drift from the collector: what it sends validates against contract/event.v1.schema.json,
// the same file the ingest server compiles its validator from, and its generated types are current.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVENT_FIELDS, EVENT_TYPES } from "../src/contract.gen";
import { collector, settle, shutdownAll, start } from "./helpers";

const schemaPath = resolve(__dirname, "../../contract/event.v1.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(schema);
const validateEvent = ajv.compile({ $ref: `${schema.$id}#/definitions/event` });
const validateBatch = ajv.compile({ $ref: `${schema.$id}#/definitions/batch` });

describe("contract", () => {
  beforeEach(() => history.replaceState(null, "", "/product/nb-1?ref=mail&email=jane.doe%40example.com"));
  afterEach(shutdownAll);

  it("generated types list the contract's event types and fields", () => {
    expect([...EVENT_TYPES]).toEqual(schema.definitions.event_type.enum);
    expect([...EVENT_FIELDS]).toEqual(Object.keys(schema.definitions.event.properties));
    const generated = readFileSync(resolve(__dirname, "../src/contract.gen.ts"), "utf8");
    execFileSync(process.execPath, [resolve(__dirname, "../scripts/gen-contract.mjs")]);
    expect(readFileSync(resolve(__dirname, "../src/contract.gen.ts"), "utf8")).toBe(generated);
  });

  it("every event the SDK sends, and the batch around them, validates against the contract", async () => {
    const net = collector();
    document.title = "Notebook 14 | Shop";
    const c = await start({ pageview: true });
    const nb = { product_id: "nb-1", product_name: "Notebook 14", brand: "Acme", category: "computers.notebook", price: 899.5 };
    await c.viewProduct({ ...nb, currency: "EUR" });
    await c.search("usb-c dock", { results: 12 });
    await c.addToCart({ ...nb, qty: 2 });
    await c.removeFromCart(nb);
    await c.checkout({ items: [{ ...nb, qty: 1 }], revenue: 899.5, currency: "EUR" });
    await c.identify("customer-42");
    await c.purchase({ order_id: "o-1001", revenue: 899.5, currency: "EUR", items: [{ ...nb, qty: 1 }] });
    await c.track("click", { element: "newsletter", nested: { not: "scalar" } as unknown as string });
    await c.track("heartbeat", { engaged_ms: 15000 });
    await c.track("delivery_report", { dropped_events: 3 });
    await c.flush();
    await settle();

    const sent = net.events();
    // (Events of the same millisecond may leave in any order: the warehouse orders by event time.)
    expect(sent.map((e) => e.event_type).sort()).toEqual(
      ["view", "view", "search", "add_to_cart", "remove_from_cart", "checkout", "identify", "purchase", "click",
       "heartbeat", "delivery_report"].sort(),
    );
    for (const e of sent) expect(validateEvent(e), JSON.stringify(validateEvent.errors)).toBe(true);
    for (const r of net.requests) expect(validateBatch(r.body), JSON.stringify(validateBatch.errors)).toBe(true);
    // No personal data: the e-mail in the URL never leaves the browser.
    expect(JSON.stringify(sent)).not.toMatch(/jane\.doe/);
    expect(sent[0].page_url).toContain("email=[email]");
  });

  it("rejects event types the contract does not know, and keeps the rest", async () => {
    const net = collector();
    const c = await start();
    // @ts-expect-error: not a contract event type
    expect(await c.track("pageview")).toBeNull();
    await c.track("click");
    await c.flush();
    expect(net.events().map((e) => e.event_type)).toEqual(["click"]);
  });
});
