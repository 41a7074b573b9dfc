"""PII scrubbing: emails, phone numbers and card-like numbers in URLs, referrers, titles and props.

Each finding is replaced by `<kind>-<hmac>` (HMAC-SHA256 of the normalised value, keyed with
CLICKSTREAM_PII_HMAC_KEY, so the same email gives the same token and can still be counted) or, without a
key, by `<kind>-redacted`. Values under keys that name personal data (email, phone, ...) are replaced whole.
The IP address is never read, so it cannot be stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40|%2540)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of digits with separators (space . - ( ) / +, raw or %-encoded), maybe after + or ( ; possessive, so no
# backtracking. A run of 13-19 digits passing Luhn is a card number; 9-15 digits is a phone (E.164 has <= 15).
_SEP = r"(?:[ .\-()/+]|%2[0289BbDdEeFf])"
NUMBER_RE = re.compile(r"(?<![\w+%])(?:\+|%2[Bb8]|\()*+[0-9]++(?:" + _SEP + r"{1,3}+[0-9]++)*+(?![A-Za-z_])")
# A user id is replaced only when it is an email or an E.164 phone number: plain numeric ids are common.
E164_RE = re.compile(r"(?:\+|%2B)[0-9][0-9 .\-()]{7,20}")
SENSITIVE_KEY_RE = re.compile(
    r"e-?mail|phone|mobile|^tel$|telephone|card|ccnum|cc_number|password|passwd|ssn|iban|full_?name|first_?name"
    r"|last_?name|address",
    re.I,
)
# Cheap pre-filter: 9 digits close together (a superset of what NUMBER_RE can turn into a finding).
_CANDIDATE_RE = re.compile(r"[0-9](?:" + _SEP + r"{0,3}[0-9]){8}")
_ESCAPES = re.compile(r"%2[0-9A-Fa-f]")
_NON_DIGITS = re.compile(r"[^0-9]")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Scrubber:
    def __init__(self, hmac_key: bytes | None, cache_size: int = 8192):
        self._key = hmac_key
        # Shops repeat the same URLs, titles and referrers all day: scrub each distinct string once.
        self.text = lru_cache(maxsize=cache_size)(self._text)
        self._key_is_sensitive = lru_cache(maxsize=4096)(lambda key: bool(SENSITIVE_KEY_RE.search(key)))
        # Ids and (key, value) props pairs repeat too. typed=True: 1, 1.0 and True stay apart.
        self.identifier = lru_cache(maxsize=cache_size)(self._identifier)
        self._prop = lru_cache(maxsize=cache_size, typed=True)(self.scalar)

    def token(self, kind: str, normalised: str) -> str:
        if not self._key:
            return f"{kind}-redacted"
        digest = hmac.new(self._key, normalised.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:16]}"

    def _email(self, m: re.Match) -> str:
        text = m.group(0).replace("%2540", "@").replace("%40", "@")
        return self.token("email", text.lower())

    def _number(self, m: re.Match) -> str:
        digits = _NON_DIGITS.sub("", _ESCAPES.sub("", m.group(0)))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return self.token("card", digits)
        if 9 <= len(digits) <= 15:
            return self.token("phone", digits)
        return m.group(0)

    def _text(self, value: str) -> str:
        """Scrub personal data out of free text (a URL, a title, a search query)."""
        if "@" in value or "%40" in value or "%2540" in value:
            value = EMAIL_RE.sub(self._email, value)
        if _CANDIDATE_RE.search(value):
            value = NUMBER_RE.sub(self._number, value)
        return value

    def email_only(self, value: str) -> str:
        """Identifiers (session, product, order ids) are scrubbed of emails only: numeric ids are normal."""
        if "@" in value or "%40" in value or "%2540" in value:
            return EMAIL_RE.sub(self._email, value)
        return value

    def _identifier(self, value: str | None) -> str | None:
        """An id (user_id ...) that is itself personal data is replaced whole (None without a key)."""
        if value is None:
            return None
        if self.email_only(value) != value:
            kind = "email"
        elif E164_RE.fullmatch(value):
            kind = "phone"
        else:
            return value
        return self.token(kind, _NON_DIGITS.sub("", value) if kind == "phone" else value.lower()) if self._key else None

    def scalar(self, key: str, value: Any) -> Any:
        """A props value: whole-value replacement under a sensitive key, else free-text scrubbing."""
        if value is None or isinstance(value, bool):
            return value
        if self._key_is_sensitive(key):
            return self.token(_key_kind(key), str(value).strip().lower())
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, int) and value >= 10**8:  # a phone or card number sent as a number
            scrubbed = self.text(str(value))
            return value if scrubbed == str(value) else scrubbed
        return value

    def event(self, event: dict, emails: bool = True) -> dict:
        """Scrub a validated client event in place and return it (the hot path: cached calls, inlined checks).

        emails=False: the caller knows no string of the event can hold an email (its JSON body has no @, %40, %2540
        nor \\u escape), so the email-only tests on identifiers are skipped; free text, user_id and props are
        scrubbed as always (numbers too)."""
        text = self.text
        value = event.get("page_url")
        if value:
            event["page_url"] = text(value)
        value = event.get("page_title")
        if value:
            event["page_title"] = text(value)
        value = event.get("referrer")
        if value:
            event["referrer"] = text(value)
        value = event.get("user_id")
        if value is not None:
            event["user_id"] = self.identifier(value)
        if emails:
            for name in ("session_id", "anonymous_id"):
                # Required identifiers: keep them non-null (a token, or the redaction marker without a key).
                value = event[name]
                if ("@" in value or "%40" in value or "%2540" in value) and self.email_only(value) != value:
                    event[name] = self.identifier(value) or self.token("id", value)
        props = event.get("props")
        if props:
            # What scalar(key, value) does, its common cases inlined: under a plain key a string is free text (cached),
            # small numbers, floats, booleans and null stay; the rest (sensitive keys, big integers) goes through the
            # (key, value) cache of scalar(). In place: same keys, same order, no new dict per event.
            sensitive, prop = self._key_is_sensitive, self._prop
            for key, value in props.items():
                kind = type(value)
                if sensitive(key):
                    props[key] = prop(key, value)
                elif kind is str:
                    props[key] = text(value)
                elif kind is int and value >= 10**8:
                    props[key] = prop(key, value)
        if emails:
            ecom = event.get("ecom")
            if ecom:
                for name in ("product_id", "order_id", "product_name", "brand", "category"):
                    value = ecom.get(name)
                    if value is not None and ("@" in value or "%40" in value or "%2540" in value):  # _may_hold_email
                        ecom[name] = self.email_only(value)
                for line in ecom.get("items") or ():
                    for name in ("product_id", "product_name", "brand", "category"):
                        value = line.get(name)
                        if value is not None and _may_hold_email(value):
                            line[name] = self.email_only(value)
        geo = event.get("geo")
        if geo and isinstance(geo.get("city"), str):
            geo["city"] = text(geo["city"])
        context = event.get("context")
        if context:
            for name, value in context.items():
                if isinstance(value, str):
                    context[name] = text(value)
        return event

    def anything(self, value: Any, depth: int = 0) -> Any:
        """Scrub an arbitrary JSON value (a rejected event's payload); deeper than 32 levels is cut."""
        if depth > 32:
            return "<nested too deep: dropped>"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self._member(str(k), v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.anything(v, depth + 1) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 10**8:
            scrubbed = self.text(str(value))
            return value if scrubbed == str(value) else scrubbed
        return value


    def _member(self, key: str, value: Any, depth: int) -> Any:
        if isinstance(value, (dict, list)):
            return self.anything(value, depth + 1)
        if key in _ID_KEYS and isinstance(value, str):
            return self.email_only(value)
        return self.scalar(key, value)


_ID_KEYS = frozenset({"event_id", "session_id", "anonymous_id", "product_id", "order_id", "ts", "sent_at"})


def _may_hold_email(value: str) -> bool:
    """The cheap test email_only() starts with (EMAIL_RE needs one of these)."""
    return "@" in value or "%40" in value or "%2540" in value


def _key_kind(key: str) -> str:
    lowered = key.lower()
    for kind in ("email", "phone", "card"):
        if kind in lowered.replace("-", ""):
            return kind
    if "mobile" in lowered or lowered == "tel" or "telephone" in lowered:
        return "phone"
    return "pii"
