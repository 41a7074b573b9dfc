"""What the simulator sends and what the collector would have written for it.

Two renderings of the same events:
- `client_event(...)`: the event as the browser SDK sends it (endpoint mode POSTs these);
- `CollectedRenderer`: the raw `collected_event` line the collector writes for it (direct mode), with
  the same enrichment: received_at, skew-corrected event_at, clock_skew_ms, device browser/os and bot
  classification from the User-Agent, referrer_host, UTM tags parsed from page_url. The parsing itself
  is the collector's (lambda_ingest.enrich), called once per distinct User-Agent / referrer / landing
  URL, so both paths classify identically; tests compare the two renderings line by line.

The direct-mode hot path builds lines by concatenating pre-serialized JSON fragments (catalog pages,
ecom payloads, per-visit constants), which is what makes >= 100,000 events/s possible in Python.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import lru_cache
import orjson

from lambda_ingest.enrich import referrer_host, user_agent_info, utm_params
from simulator.audience import Agent

SDK_LIBRARY = "clickstream-js/0.1.0"
NULL_UTM_FRAG = ""  # the collector writes utm only when page_url carries utm_ tags
_ECOM = ',"ecom":'
_PROPS = ',"props":'
_NULL_USER = ',"user_id":null,"user_id_source":null'
_USER_PREFIX = ',"user_id":"'
_USER_SUFFIX = '","user_id_source":"client"'

class _MinutePrefixes(dict):
    """'2026-11-22T12:34:' by UTC epoch minute, formatted on first use (a plain subscript on the hot path)."""

    def __missing__(self, minute: int) -> str:
        if len(self) > 500_000:
            self.clear()
        prefix = self[minute] = datetime.fromtimestamp(minute * 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:")
        return prefix


_MINUTE_PREFIX = _MinutePrefixes()
# "SS.mmmZ" for every millisecond of a minute: a timestamp is then two lookups and one concatenation.
_IN_MINUTE: list[str] = [f"{i // 1000:02d}.{i % 1000:03d}Z" for i in range(60_000)]


def iso_ms(ms: int) -> str:
    """UTC epoch milliseconds -> 2026-11-22T12:34:56.789Z (the render loop inlines the same lookups)."""
    return _MINUTE_PREFIX[ms // 60_000] + _IN_MINUTE[ms % 60_000]


def parse_iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def utm_of(url: str | None) -> dict | None:
    """The collector's UTM parsing (None when the URL carries no utm_ tags)."""
    return utm_params(url)


@lru_cache(maxsize=256)
def classify_agent(user_agent: str) -> tuple[dict, bool, str | None]:
    """(collected device fields, is_bot, bot_reason) for a User-Agent, by the collector's own rules."""
    info = user_agent_info(user_agent)
    fields = {"type": info.device_type, "browser": info.browser, "browser_version": info.browser_version,
              "os": info.os, "os_version": info.os_version}
    return fields, info.bot_reason is not None, info.bot_reason


def collected_device(agent: Agent, screen: tuple[int, int]) -> dict:
    fields, _, _ = classify_agent(agent.user_agent)
    device = {"type": fields.get("type") or agent.device_type, "screen_width": screen[0], "screen_height": screen[1]}
    for key in ("browser", "browser_version", "os", "os_version"):
        device[key] = fields.get(key)
    return device


def client_event(visit, event) -> dict:
    """The event as the SDK sends it (endpoint mode): no collector fields, ts in the client's clock."""
    t, etype, page, ecom, props, uid, eid, ref_page = event
    body = {
        "event_id": eid,
        "event_type": etype,
        "ts": iso_ms(t + visit.skew_ms),
        "session_id": visit.session_id,
        "anonymous_id": visit.anonymous_id,
        "user_id": uid,
        "page_url": page.url,
        "page_title": page.title,
        "referrer": ref_page.url if ref_page is not None else visit.referrer,
        "device": visit.client_device,
        "context": visit.context,
    }
    if ecom is not None:
        body["ecom"] = ecom[0]
    if props is not None:
        body["props"] = props[0]
    return body


class CollectedRenderer:
    """Renders events into raw `collected_event` lines, as the collector would have written them."""

    def __init__(self):
        self._tails: dict = {}  # (user agent, screen, country, context) -> tail fragment
        self._ext_refs: dict = {}
        self._utms: dict = {}

    def visit_fragments(self, visit) -> None:
        """Per-visit constant JSON fragments, computed once and reused for every event of the visit."""
        visit.ids_frag = f',"session_id":"{visit.session_id}","anonymous_id":"{visit.anonymous_id}"'
        ref = visit.referrer
        frag = self._ext_refs.get(ref)
        if frag is None:
            frag = self._ext_refs[ref] = (
                f',"referrer":{orjson.dumps(ref).decode()},"referrer_host":"{referrer_host(ref)}"'
                if ref else ',"referrer":null,"referrer_host":null')
        visit.ext_ref_frag = frag
        url = visit.landing_page.url
        frag = NULL_UTM_FRAG
        if "utm_" in url:
            frag = self._utms.get(url)
            if frag is None:
                utm = utm_of(url)
                frag = self._utms[url] = ',"utm":' + orjson.dumps(utm).decode() if utm else NULL_UTM_FRAG
        visit.landing_utm_frag = frag
        key = (visit.agent.user_agent, visit.screen, visit.country, visit.context["locale"], visit.context["timezone"])
        cached = self._tails.get(key)
        if cached is None:
            _, is_bot, reason = classify_agent(visit.agent.user_agent)
            device = collected_device(visit.agent, visit.screen)
            tail = (f',"is_bot":{"true" if is_bot else "false"},"bot_reason":{orjson.dumps(reason).decode()}'
                    f',"device":{orjson.dumps(device).decode()},"geo":{orjson.dumps({"country": visit.country}).decode()}'
                    f',"context":{orjson.dumps(visit.context).decode()}')
            cached = self._tails[key] = (tail, is_bot)
        visit.tail_frag, visit.is_bot_collected = cached

    @staticmethod
    def render(visit, flushes, first_serial: int, request_prefix: str, hours: dict, new_hour) -> None:
        """Append the lines of a visit's requests (flushes) to the hour partitions they are received in.

        The client stamped ts and sent_at with its own (possibly skewed) clock; the collector corrects:
        event_at = received_at - (sent_at - ts), clock_skew_ms = sent_at - received_at. This loop runs once
        per event of the whole run (a request carries 1.1 events on average), hence one f-string per line
        from cached pieces: timestamps are two lookups (minute prefix, "SS.mmmZ"), the rest pre-serialized.
        """
        minute_prefix, in_minute = _MINUTE_PREFIX, _IN_MINUTE
        skew = visit.skew_ms
        ids, tail, landing = visit.ids_frag, visit.tail_frag, visit.landing_page
        ext_ref, landing_utm = visit.ext_ref_frag, visit.landing_utm_frag
        serial_head = request_prefix + "0" * 16  # request ids are the prefix and a 24-digit hex serial
        serial = first_serial
        for f in flushes:
            received = f.send_ms + f.latency_ms
            sent = f.send_ms + skew
            hour_start = received - received % 3_600_000
            bucket = hours.get(hour_start) or new_hour(hour_start)
            if received > bucket.last_received:
                bucket.last_received = received
            sent_minute, sent_rest = minute_prefix[sent // 60_000], in_minute[sent % 60_000]
            received_minute, received_rest = minute_prefix[received // 60_000], in_minute[received % 60_000]
            request_id = (f"{serial_head}{serial:08x}" if serial < 0x1_0000_0000
                          else request_id_of(request_prefix, serial))
            serial += 1
            clock_skew = sent - received
            append = bucket.events.append
            for t, etype, page, ecom, props, uid, eid, ref_page in f.events:
                ts = t + skew
                at = ts - clock_skew  # event_at = ts + (received_at - sent_at)
                append(
                    f'{{"event_id":"{eid}","event_type":"{etype}","ts":"{minute_prefix[ts // 60_000]}{in_minute[ts % 60_000]}'
                    f'","event_at":"{minute_prefix[at // 60_000]}{in_minute[at % 60_000]}'
                    f'","sent_at":"{sent_minute}{sent_rest}","received_at":"{received_minute}{received_rest}",'
                    f'"clock_skew_ms":{clock_skew},"request_id":"{request_id}"{ids}'
                    f'{_NULL_USER if uid is None else _USER_PREFIX + uid + _USER_SUFFIX}{page.page_frag}'
                    f'{ext_ref if ref_page is None else ref_page.ref_frag}{landing_utm if page is landing else ""}'
                    f'{"" if ecom is None else _ECOM + ecom[1]}{"" if props is None else _PROPS + props[1]}{tail}}}\n'
                )


def request_id_of(prefix: str, serial: int) -> str:
    """The request_id of a shard's serial-th request (direct mode): the shard's 8-hex prefix, then 24 hex digits."""
    return f"{prefix}{serial:024x}"
