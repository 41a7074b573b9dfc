"""Endpoint mode: POST the simulated browsers' requests to a real collector (`POST /v1/events`).

Each request carries one visit's events with that browser's headers: its User-Agent (crawler names for
bots, so the collector classifies them), CloudFront-Viewer-Country, Accept-Language, Origin, and the
write key. The history is replayed at full speed, so each visit is one request per delivery (on time,
late after an offline spell, or a retry of a lost response): `sent_at` is the real send time in the
browser's (possibly skewed) clock, and the collector's skew correction recovers every event's true time.

Sending uses stdlib http.client with keep-alive, one connection per worker thread; 429/503 and dropped
connections are retried with backoff (a retry can duplicate events: the warehouse dedupes by event_id).
"""

from __future__ import annotations

import http.client
import queue
import threading
import time
from urllib.parse import urlsplit

import orjson

from contract import MAX_BATCH_EVENTS
from simulator.catalog import SHOP_ORIGIN
from simulator.collector import client_event, iso_ms, now_ms

MAX_ATTEMPTS = 6


class EndpointError(Exception):
    """The collector refused the traffic or could not be reached."""


class EndpointSink:
    def __init__(self, url: str, write_key: str | None = None, concurrency: int = 8,
                 origin: str | None = SHOP_ORIGIN, timeout_s: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EndpointError(f"--endpoint must be an http(s) URL, e.g. http://127.0.0.1:8080/v1/events (got {url!r})")
        self.url = url
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = (parts.path or "/v1/events") + (f"?{parts.query}" if parts.query else "")
        self.write_key, self.origin, self.timeout_s = write_key, origin, timeout_s
        self.queue: queue.Queue = queue.Queue(maxsize=4 * concurrency)
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "events_sent": 0, "accepted": 0, "duplicates": 0, "rejected": 0,
                      "unexpected_rejections": 0, "retries": 0}
        self.unexpected: list[dict] = []
        self.threads = [threading.Thread(target=self._worker, name=f"sender-{i}", daemon=True) for i in range(concurrency)]
        for t in self.threads:
            t.start()

    # --- producer side ---------------------------------------------------------------------------------
    def visit(self, v, watermark_ms: int) -> None:
        on_time, late, malformed = [], [], []
        retries = []
        for f in v.flushes:
            if f.retry:
                retries.append(f.events)
            elif f.late:
                late.extend(f.events)
            else:
                on_time.extend(f.events)
            if f.malformed:
                malformed.extend(f.malformed)
        headers = self._headers(v)
        for i, group in enumerate((on_time, late, *retries)):
            if not group:
                continue
            bodies = [client_event(v, e) for e in group]
            if i == 0 and malformed:
                bodies.extend(malformed)
            for start in range(0, len(bodies), MAX_BATCH_EVENTS):
                chunk = bodies[start:start + MAX_BATCH_EVENTS]
                expected_rejections = sum(1 for b in chunk if b in malformed) if malformed else 0
                self._put((headers, v.skew_ms, chunk, expected_rejections))

    def _headers(self, v) -> dict[str, str]:
        headers = {
            "User-Agent": v.agent.user_agent,
            # Beacons (pagehide) send text/plain to skip the CORS preflight; fetch sends JSON.
            "Content-Type": "text/plain;charset=UTF-8" if v.session_id[0] in "012" else "application/json",
            "Accept-Language": v.context["locale"],
            "CloudFront-Viewer-Country": v.country,
        }
        if self.origin:
            headers["Origin"] = self.origin
        if self.write_key:
            headers["X-Write-Key"] = self.write_key
        return headers

    def _put(self, item) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        for _ in self.threads:
            while True:
                try:
                    self.queue.put(None, timeout=0.5)
                    break
                except queue.Full:
                    if self.error is not None:
                        break
        for t in self.threads:
            t.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        self.error = self.error or EndpointError("aborted")

    # --- sender threads ----------------------------------------------------------------------------------
    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout_s)

    def _worker(self) -> None:
        conn = self._connect()
        try:
            while True:
                item = self.queue.get()
                if item is None or self.error is not None:
                    if item is not None:
                        continue  # drain after an error so the producer is never blocked
                    return
                try:
                    self._send(conn, *item)
                except BaseException as exc:  # noqa: BLE001 - handed to the producer thread
                    with self.lock:
                        self.error = self.error or exc
        finally:
            conn.close()

    def _send(self, conn, headers, skew_ms, events, expected_rejections) -> None:
        delay = 0.2
        last_problem = ""
        for attempt in range(MAX_ATTEMPTS):
            body = orjson.dumps({"events": events, "sent_at": iso_ms(now_ms() + skew_ms)})
            try:
                conn.request("POST", self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                last_problem = f"{type(exc).__name__}: {exc}"
                self._count("retries")
                time.sleep(delay)
                delay = min(delay * 2, 3.0)
                continue
            if resp.status == 202:
                self._account(orjson.loads(payload), len(events), expected_rejections)
                return
            if resp.status in (429, 502, 503, 504):
                last_problem = f"HTTP {resp.status}"
                self._count("retries")
                retry_after = resp.getheader("Retry-After")
                time.sleep(float(retry_after) if retry_after and retry_after.isdigit() else delay)
                delay = min(delay * 2, 3.0)
                continue
            raise EndpointError(f"the collector at {self.url} answered HTTP {resp.status}: "
                                f"{payload[:300].decode('utf-8', 'replace')}")
        raise EndpointError(f"cannot deliver to {self.url} after {MAX_ATTEMPTS} attempts ({last_problem}); "
                            "is clickstream-ingest running there?")

    def _count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.stats[key] += n

    def _account(self, answer: dict, sent: int, expected_rejections: int) -> None:
        rejected = answer.get("rejected") or []
        with self.lock:
            s = self.stats
            s["requests"] += 1
            s["events_sent"] += sent
            s["accepted"] += int(answer.get("accepted", 0))
            s["duplicates"] += int(answer.get("duplicates", 0))
            s["rejected"] += len(rejected)
            if len(rejected) > expected_rejections:
                # The collector refused an event the simulator meant to be valid: the truth would be off.
                s["unexpected_rejections"] += len(rejected) - expected_rejections
                if len(self.unexpected) < 5:
                    self.unexpected.extend(rejected[:2])
