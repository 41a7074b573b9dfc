"""Enrichment: turn one validated, scrubbed client event into a collected_event (a raw store line).

`collect(event, ctx)` is a plain function so other parts (the simulator's fast backfill) can build exactly
the lines the collector writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from ua_parser import parse as parse_user_agent

from lambda_ingest.validate import parse_timestamp

_CRAWLER_RE = re.compile(
    r"(?<!cu)bot\b|bot/|crawl|spider|slurp|facebookexternalhit|embedly|lighthouse|pagespeed|gtmetrix"
    r"|pingdom|uptimerobot|scrapy|archiver|bingpreview|semrush|ahrefs|petalbot",
    re.I,
)
_HEADLESS_RE = re.compile(r"headless|phantomjs|electron/|slimerjs|puppeteer|playwright|selenium|webdriver", re.I)
_DESKTOP_OS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Chrome OS", "ChromeOS", "FreeBSD",
               "OpenBSD", "Debian", "macOS"}
_UTM_KEYS = ("source", "medium", "campaign", "term", "content")
# 2026-11-22T09:15:02.120Z; the contract's date-time format has already checked the field ranges.
_CANONICAL_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# The same test for an ASCII string (where \d is exactly [0-9], and [0-9] is ~1.5x faster to match than \d).
_CANONICAL_ASCII_TS = re.compile(r"^[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{3}Z$")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What the collector knows about the request an event arrived in. (Collector.context builds it positionally:
    keep the field order.)"""

    received_at: datetime                 # collector clock, UTC
    received_text: str | None = None      # received_at formatted once per request (format_timestamp)
    request_id: str | None = None
    user_agent: str | None = None         # the User-Agent header
    country: str | None = None            # CloudFront-Viewer-Country header, already validated
    token_user_id: str | None = None      # sub of a verified bearer token
    batch_sent_at: str | None = None      # the envelope's sent_at, the default for events without one


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    device_type: str | None
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    bot_reason: str | None
    # What the collector sets in `device` (type only when the UA tells it); computed once, shared: do not mutate.
    device_fields: dict = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        fields = {"type": self.device_type} if self.device_type else {}
        fields.update(browser=self.browser, browser_version=self.browser_version, os=self.os, os_version=self.os_version)
        object.__setattr__(self, "device_fields", fields)


def format_timestamp(dt: datetime) -> str:
    """UTC, millisecond precision, trailing Z: 2026-11-22T12:34:56.789Z."""
    if dt.tzinfo is not timezone.utc:
        dt = dt.astimezone(timezone.utc)
    # %-formatting of the fields: half the CPU of isoformat() + slicing, and of an f-string with format specs.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - measured faster (runs for every request)
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond // 1000)


def _version(part) -> str | None:
    if part is None or part.major is None:
        return None
    return ".".join(v for v in (part.major, part.minor, part.patch) if v is not None)


# Caches are bounded by entries of bounded size (UA <= 1 KB, URL <= 2 KB): a few MB at worst, fine in Lambda.
@lru_cache(maxsize=4096)
def user_agent_info(ua: str | None) -> UserAgentInfo:
    """Browser, OS, device type and bot verdict for one User-Agent string (cached: a site sees few)."""
    if not ua or not ua.strip():
        return UserAgentInfo(None, None, None, None, None, "no_user_agent")
    parsed = parse_user_agent(ua)
    browser, os_, device = parsed.user_agent, parsed.os, parsed.device
    bot_reason = None
    if (device is not None and device.family == "Spider") or _CRAWLER_RE.search(ua):
        bot_reason = "crawler_ua"
    elif _HEADLESS_RE.search(ua):
        bot_reason = "headless"
    os_family = os_.family if os_ is not None else None
    device_family = device.family if device is not None else ""
    if bot_reason:
        device_type = "other"
    elif "iPad" in device_family or "Tablet" in ua or "Kindle" in device_family or (
        os_family == "Android" and "Mobile" not in ua
    ):
        device_type = "tablet"
    elif "Mobile" in ua or "iPhone" in device_family or os_family in ("iOS", "Android"):
        device_type = "mobile"
    elif os_family in _DESKTOP_OS:
        device_type = "desktop"
    else:
        device_type = None  # cannot tell: keep what the client said
    return UserAgentInfo(
        device_type,
        browser.family if browser is not None else None,
        _version(browser),
        os_family,
        _version(os_),
        bot_reason,
    )


@lru_cache(maxsize=4096)
def referrer_host(referrer: str | None) -> str | None:
    """Lower-cased host of a referrer URL without a leading www.; None when there is none."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def utm_params(page_url: str | None) -> dict | None:
    """utm_source/medium/campaign/term/content from the page URL's query; None when there are none."""
    if not page_url or "utm_" not in page_url:
        return None
    return _utm_params(page_url)


@lru_cache(maxsize=4096)
def _utm_params(page_url: str) -> dict | None:  # the result is shared: callers must not mutate it
    try:
        query = urlsplit(page_url).query
    except ValueError:
        return None
    found = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key.startswith("utm_") and key[4:] in _UTM_KEYS and key[4:] not in found:
            found[key[4:]] = value[:256]
    if not found:
        return None
    return {k: found.get(k) for k in _UTM_KEYS}


def collect(event: dict, ctx: RequestContext) -> dict:
    """The collected_event for one validated (and PII-scrubbed) client event."""
    received_at = ctx.received_at
    received_text = ctx.received_text or format_timestamp(received_at)
    ts_text = event["ts"]
    sent_at_text = event.get("sent_at") or ctx.batch_sent_at
    # (x if x <= y else y is min(x, y) without the builtin's call overhead, ~5x cheaper for two values: FURB136 is
    # silenced on purpose below.)
    if sent_at_text is not None:
        ts = parse_timestamp(ts_text)
        sent_at = parse_timestamp(sent_at_text)
        skew = sent_at - received_at                  # positive: client clock ahead
        event_at = ts - skew                          # = received_at - (sent_at - ts); never after receipt
        clock_skew_ms = round(skew.total_seconds() * 1000)
        event_at_text = format_timestamp(event_at if event_at <= received_at else received_at)  # noqa: FURB136
    elif (_CANONICAL_ASCII_TS if ts_text.isascii() else _CANONICAL_TS).match(ts_text):
        # Already UTC with milliseconds (what the SDK sends): same-format strings compare chronologically.
        event_at_text, clock_skew_ms = ts_text if ts_text <= received_text else received_text, None  # noqa: FURB136
    else:
        ts = parse_timestamp(ts_text)
        event_at_text, clock_skew_ms = format_timestamp(ts if ts <= received_at else received_at), None  # noqa: FURB136

    context = event.get("context")
    claimed_ua = webdriver = None
    if context and ("user_agent" in context or "webdriver" in context):
        context = dict(context)
        claimed_ua = context.pop("user_agent", None)  # parsed below; the raw string is not kept
        webdriver = context.pop("webdriver", None)
    ua = user_agent_info(claimed_ua or ctx.user_agent)
    bot_reason = "webdriver" if webdriver else ua.bot_reason

    client_device = event.get("device")
    # The client's fields first, the UA's overwrite or follow: a | b keeps a's key order, as dict updates do.
    device = client_device | ua.device_fields if client_device else dict(ua.device_fields)

    geo = event.get("geo")
    if ctx.country:
        geo = {**(geo or {}), "country": ctx.country}

    if ctx.token_user_id is not None:
        user_id, user_id_source = ctx.token_user_id, "token"
    else:
        user_id = event.get("user_id")
        user_id_source = "client" if user_id is not None else None

    page_url = event.get("page_url")
    referrer = event.get("referrer")
    record = {
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "ts": event["ts"],
        "sent_at": sent_at_text,
        "received_at": received_text,
        "event_at": event_at_text,
        "clock_skew_ms": clock_skew_ms,
        "session_id": event["session_id"],
        "anonymous_id": event["anonymous_id"],
        "user_id": user_id,
        "user_id_source": user_id_source,
        "page_url": page_url,
        "page_title": event.get("page_title"),
        "referrer": referrer,
        "referrer_host": referrer_host(referrer),
        "is_bot": bot_reason is not None,
        "bot_reason": bot_reason,
        "request_id": ctx.request_id,
        "device": device,
    }
    if geo:
        record["geo"] = geo
    if page_url and "utm_" in page_url:
        utm = _utm_params(page_url)
        if utm:
            record["utm"] = utm
    if "ecom" in event:
        record["ecom"] = event["ecom"]
    if "props" in event:
        record["props"] = event["props"]
    if context:
        record["context"] = context
    return record
