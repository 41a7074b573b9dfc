"""Enrichment: skew-corrected event time, user agent, bots, country, UTM, referrer host, token user id."""

from __future__ import annotations

from datetime import datetime, timezone

import fastjsonschema
import pytest
from ingest_helpers import CHROME_UA, make_event

import contract
from lambda_ingest.enrich import RequestContext, collect, referrer_host, user_agent_info, utm_params

RECEIVED = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.1 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
            "Safari/537.36")
collected_schema = fastjsonschema.compile(contract.definition("collected_event"))


def ctx(**kw) -> RequestContext:
    return RequestContext(**{"received_at": RECEIVED, "request_id": "r-1", "user_agent": CHROME_UA, **kw})


def test_a_collected_event_matches_the_contract():
    record = collect(make_event("purchase", referrer="https://www.Google.com/search?q=x"), ctx(country="DE"))
    collected_schema(record)
    assert list(record)[:8] == ["event_id", "event_type", "ts", "sent_at", "received_at", "event_at",
                                "clock_skew_ms", "session_id"]


def test_event_time_is_corrected_for_a_client_clock_that_is_off():
    # The client clock is 1 h ahead: it stamped ts 2 s before sending, and sent 1 h "in the future".
    event = make_event(ts="2026-11-22T11:00:00.000Z", sent_at="2026-11-22T11:00:02.000Z")
    record = collect(event, ctx())
    assert record["event_at"] == "2026-11-22T09:59:58.000Z"      # received_at - (sent_at - ts)
    assert record["clock_skew_ms"] == 3_602_000
    assert record["received_at"] == "2026-11-22T10:00:00.000Z"


def test_batch_sent_at_is_the_default_and_without_it_ts_is_kept():
    event = make_event(ts="2026-11-22T09:59:00.000Z")
    assert collect(event, ctx(batch_sent_at="2026-11-22T09:59:30.000Z"))["event_at"] == "2026-11-22T09:59:30.000Z"
    plain = collect(event, ctx())
    assert plain["event_at"] == "2026-11-22T09:59:00.000Z" and plain["clock_skew_ms"] is None


def test_event_time_is_never_after_it_was_received():
    record = collect(make_event(ts="2027-01-01T00:00:00Z"), ctx())
    assert record["event_at"] == "2026-11-22T10:00:00.000Z"


@pytest.mark.parametrize(
    ("ua", "device_type", "browser", "os_"),
    [
        (CHROME_UA, "desktop", "Chrome", "Windows"),
        (IPHONE, "mobile", "Mobile Safari", "iOS"),
        (IPAD, "tablet", "Mobile Safari", "iOS"),
        (ANDROID_TABLET, "tablet", "Chrome", "Android"),
    ],
)
def test_user_agent_is_parsed(ua, device_type, browser, os_):
    record = collect(make_event(device={"type": "other", "screen_width": 10}), ctx(user_agent=ua))
    assert record["device"]["type"] == device_type
    assert record["device"]["browser"] == browser
    assert record["device"]["os"] == os_
    assert record["device"]["screen_width"] == 10
    assert record["is_bot"] is False and record["bot_reason"] is None


@pytest.mark.parametrize(
    ("ua", "context", "reason"),
    [
        (GOOGLEBOT, None, "crawler_ua"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", None, "crawler_ua"),
        (HEADLESS, None, "headless"),
        (CHROME_UA, {"webdriver": True}, "webdriver"),
        ("", None, "no_user_agent"),
    ],
)
def test_bots_are_classified_not_dropped(ua, context, reason):
    event = make_event(**({"context": context} if context else {}))
    record = collect(event, ctx(user_agent=ua))
    assert record["is_bot"] is True and record["bot_reason"] == reason
    collected_schema(record)


def test_a_forwarded_user_agent_wins_over_the_sender_header_and_is_not_stored():
    event = make_event(context={"library": "simulator/1", "user_agent": IPHONE})
    record = collect(event, ctx(user_agent="python-httpx/0.28.1"))
    assert record["device"]["os"] == "iOS" and record["is_bot"] is False
    assert record["context"] == {"library": "simulator/1"}


def test_user_agent_parsing_is_cached():
    user_agent_info.cache_clear()
    for _ in range(3):
        user_agent_info(IPHONE)
    assert user_agent_info.cache_info().hits == 2


def test_country_comes_from_cloudfront_and_overrides_the_client():
    record = collect(make_event(geo={"country": "US", "city": "Austin"}), ctx(country="VN"))
    assert record["geo"] == {"country": "VN", "city": "Austin"}
    assert collect(make_event(geo={"country": "US"}), ctx())["geo"] == {"country": "US"}


def test_utm_and_referrer_host():
    url = "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=black+friday&x=1"
    assert utm_params(url) == {"source": "newsletter", "medium": "email", "campaign": "black friday",
                               "term": None, "content": None}
    assert utm_params("https://shop.example/") is None
    assert referrer_host("https://WWW.Google.co.uk/search?q=x") == "google.co.uk"
    assert referrer_host("android-app://com.google.android.gm/") == "com.google.android.gm"
    assert referrer_host("not a url") is None and referrer_host(None) is None


def test_a_verified_token_overrides_the_claimed_user_id():
    record = collect(make_event("identify", user_id="claimed"), ctx(token_user_id="sub-1"))
    assert (record["user_id"], record["user_id_source"]) == ("sub-1", "token")
    record = collect(make_event("identify", user_id="claimed"), ctx())
    assert (record["user_id"], record["user_id_source"]) == ("claimed", "client")
    record = collect(make_event(), ctx())
    assert (record["user_id"], record["user_id_source"]) == (None, None)


def test_no_ip_address_is_ever_stored():
    # The request context has no field for it: nothing downstream can store what is never read.
    assert "ip" not in " ".join(RequestContext.__dataclass_fields__)
    assert "source_ip" not in collect(make_event(), ctx())
