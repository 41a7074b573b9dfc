// Where the shop sends its events. The defaults match `clickstream-ingest` on this machine; a deployment
// (or the demo, or the end-to-end test) serves its own config.js.
window.SHOP_CONFIG = {
  endpoint: "http://127.0.0.1:8080/v1/events",
  writeKey: "demo-write-key",
};
