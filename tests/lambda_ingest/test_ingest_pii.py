"""PII: emails, phone numbers and card numbers are removed from URLs, referrers, titles, props, ids and the
dead-letter store. The end-to-end test posts PII everywhere to a real collector and searches every stored byte."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from ingest_helpers import make_event, raw_text, read_raw

from lambda_ingest.pii import Scrubber, luhn_ok

EMAIL = "Jane.Doe+shop@Example.com"
PHONE = "+1 (415) 555-0199"
PHONE_DIGITS = "14155550199"
VN_PHONE = "0912 345 678"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"


@pytest.fixture
def scrub():
    return Scrubber(b"secret")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"https://shop.example/account?email={quote(EMAIL)}", "email"),
        (f"https://shop.example/u/{EMAIL}/orders", "email"),
        ("https://shop.example/?e=jane%2540example.com", "email"),  # double-encoded
        (f"call {PHONE} today", "phone"),
        ("https://shop.example/?tel=%2B84%20912%20345%20678", "phone"),
        (f"text {VN_PHONE}", "phone"),
        ("06 12 34 56 78", "phone"),
        (f"card {CARD} exp 12/29", "card"),
        ("4111-1111-1111-1111", "card"),
    ],
)
def test_findings_are_replaced_by_a_keyed_token(scrub, text, kind):
    out = scrub.text(text)
    assert re.search(rf"{kind}-[0-9a-f]{{16}}", out), out
    for digits in (PHONE_DIGITS, CARD_DIGITS, "912345678", "0612345678"):
        assert digits not in re.sub(r"\D", "", out.split(f"{kind}-")[0])


@pytest.mark.parametrize(
    "text",
    [
        "https://shop.example/p/1005115-apple-iphone-15?utm_source=google",   # product ids are not phones
        "https://shop.example/search?q=rtx+4090&page=2",
        "2026-11-22T09:15:02.120Z",
        "Lenovo Legion 5 16\" 1,299.00 USD",
        "7b0a4c1e-2f6d-4c59-9a53-0d2b7c5e8f10",
        "1234567812345678",  # 16 digits failing Luhn: not a card (and too long for a phone)
    ],
)
def test_ordinary_shop_text_is_left_alone(scrub, text):
    assert scrub.text(text) == text


def test_tokens_are_stable_per_value_and_depend_on_the_key(scrub):
    a = scrub.text("mail jane@example.com")
    assert a == scrub.text("mail JANE@example.com") == Scrubber(b"secret").text("mail jane@example.com")
    assert a != Scrubber(b"other").text("mail jane@example.com")
    assert Scrubber(None).text("mail jane@example.com") == "mail email-redacted"


def test_luhn():
    assert luhn_ok(CARD_DIGITS) and luhn_ok("5105105105105100") and not luhn_ok("1234567812345678")


def test_identifiers_and_props(scrub):
    assert scrub.identifier("jane@example.com").startswith("email-")
    assert scrub.identifier("+14155550199").startswith("phone-")
    assert scrub.identifier("515735922") == "515735922"   # numeric user ids are ordinary
    assert Scrubber(None).identifier("jane@example.com") is None
    assert scrub.scalar("customer_email", "x").startswith("email-")
    assert scrub.scalar("phone", 4155550199).startswith("phone-")
    assert scrub.scalar("n", int(CARD_DIGITS)).startswith("card-")
    assert scrub.scalar("qty", 3) == 3 and scrub.scalar("ok", True) is True


def pii_batch() -> list[dict]:
    return [
        make_event("view", page_url=f"https://shop.example/account?email={quote(EMAIL)}&phone={quote(PHONE)}",
                   referrer=f"https://mail.example/read/{EMAIL}", page_title=f"Orders of {EMAIL}"),
        make_event("search", props={"search_query": f"order for {PHONE}", "email": EMAIL, "note": f"card {CARD}",
                                    "cc": int(CARD_DIGITS)}),
        make_event("identify", user_id=EMAIL),
        make_event("click", anonymous_id=EMAIL, props={"label": f"whatsapp {VN_PHONE}"}),
        make_event("purchase", ecom={"order_id": f"ORD-{EMAIL}", "revenue": 10.0, "currency": "USD"}),
        # rejected events go to the dead-letter store: scrubbed too
        {**make_event("view"), "event_type": "wishlist", "page_url": f"https://shop.example/?m={EMAIL}"},
        {"event_id": EMAIL, "contact": {"phone": PHONE, "deep": [[{"card": CARD}]]}},
        f"free text {EMAIL} {PHONE}",
    ]


def assert_no_pii(text: str) -> None:
    lowered = text.lower()
    digits_only = re.sub(r"\D", "", text)
    for needle in (EMAIL.lower(), "jane.doe", quote(EMAIL).lower(), "@example.com", "%40example.com"):
        assert needle not in lowered, needle
    for needle in (PHONE, VN_PHONE, CARD, "555-0199", "4111-1111", quote(PHONE)):
        assert needle not in text, needle
    assert CARD_DIGITS not in digits_only and PHONE_DIGITS not in digits_only and "912345678" not in digits_only


def test_no_pii_survives_the_collector(shared_collector):
    response = shared_collector.post({"events": pii_batch()})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 5 and len(body["rejected"]) == 3
    assert_no_pii(response.text)
    stored = raw_text(shared_collector.raw)
    assert "email-" in stored and "phone-" in stored and "card-" in stored   # replaced, not silently lost
    assert_no_pii(stored)
    identify = next(e for e in read_raw(shared_collector.raw) if e["event_type"] == "identify"
                    and e["user_id"].startswith("email-"))
    assert identify["user_id_source"] == "client"


# The collector skips the email tests on identifiers (session, anonymous, product and order ids) when the request body
# holds nothing an email could be made of (no @, %40, %2540 nor backslash escape). These prove that skip loses nothing.

def _collector():
    from lambda_ingest.pipeline import Collector
    from lambda_ingest.settings import Settings

    return Collector(Settings.from_env({}, raw_uri="/nonexistent-never-written", pii_hmac_key=b"secret"))


def _post(collector, body: bytes):
    from datetime import UTC, datetime

    from lambda_ingest.pipeline import IngestRequest

    headers = {"content-type": "application/json", "user-agent": "Mozilla/5.0"}
    return collector.handle(IngestRequest(body, headers, datetime.now(UTC), "req-1"))


@pytest.mark.parametrize("spelling", ["@", "%40", "%2540", "\\u0040", "\\u0025\\u0034\\u0030"])
@pytest.mark.parametrize("where", ["session_id", "anonymous_id", "product_id", "order_id", "items", "brand"])
def test_an_email_in_an_identifier_is_found_however_the_body_spells_it(where, spelling):
    # GIVEN one event per request with an email in one identifier, written raw, %-encoded or as JSON \u escapes
    email = "jane.doe" + "\x00" + "example.com"
    event = make_event("purchase", ecom={"order_id": "ORD-1", "revenue": 10.0, "currency": "USD",
                                         "items": [{"product_id": "p1"}]})
    if where in ("session_id", "anonymous_id"):
        event[where] = email
    elif where == "items":
        event["ecom"]["items"][0]["product_id"] = email
    else:
        event["ecom"][where] = email
    body = json.dumps({"events": [event]}).replace("\\u0000", spelling).encode()
    assert b"jane.doe" in body and (spelling.startswith("\\") or spelling.encode() in body)
    # WHEN the collector takes it
    result = _post(_collector(), body)
    # THEN it is stored, with the email replaced
    assert result.status == 202 and result.event_lines and not result.rejected_lines, result.body
    stored = b"".join(result.event_lines).decode()
    assert "jane.doe" not in stored and "email-" in stored, stored


def test_the_email_skip_changes_no_line():
    # GIVEN events without anything email-like (so the collector skips the email tests on their identifiers)
    events = [make_event(t, user_id="u-1", page_title="Shop", referrer="https://www.google.com/",
                         props={"search_query": "tv", "n": 10**9, "q": "call 0912 345 678", "phone": "x", "ok": True})
              for t in ("view", "search", "add_to_cart", "purchase", "identify")]
    body = json.dumps({"events": events}).encode()
    assert not any(marker in body for marker in (b"@", b"%", b"\\"))
    # WHEN processed with the skip (the body given) and without it
    collector = _collector()
    skipped = _post(collector, body)
    from lambda_ingest.pipeline import Collector

    parsed, sent_at = Collector.parse_envelope(collector, body)
    full = collector.process_events(parsed, collector.context({"user-agent": "Mozilla/5.0"}, skipped.received_at,
                                                               "req-1", None, sent_at))
    # THEN the stored lines are byte for byte the same
    assert skipped.event_lines == full.event_lines and len(full.event_lines) == 5
