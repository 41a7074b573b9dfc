"""Auth: write keys (401), origin allowlist and CORS preflight (403), bearer JWTs verified against a JWKS
file (sub becomes user_id), per-key rate limit (429)."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from ingest_helpers import make_event, read_raw

from lambda_ingest.auth import OriginPolicy, RateLimiter, TokenVerifier, WriteKeys
from lambda_ingest.errors import IngestError
from lambda_ingest.settings import Settings


def test_write_keys():
    keys = WriteKeys(("site-a", "site-b"))
    assert keys.check("site-b") == "site-b"
    for bad, reason in ((None, "missing_write_key"), ("", "missing_write_key"), ("site-c", "unknown_write_key")):
        with pytest.raises(IngestError) as info:
            keys.check(bad)
        assert (info.value.status, info.value.reason) == (401, reason)
    assert WriteKeys(()).check(None) == "anonymous"


def test_origin_policy():
    policy = OriginPolicy(("https://shop.example", "https://*.shop.example"))
    assert policy.allows("https://shop.example") and policy.allows("https://SHOP.example/")
    assert policy.allows("https://m.shop.example") and not policy.allows("https://.shop.example")
    assert not policy.allows("https://evil.example") and not policy.allows("https://shop.example.evil.example")
    assert not policy.allows("null")
    assert policy.allows(None)  # not a browser: the write key is the gate
    with pytest.raises(IngestError) as info:
        policy.check("https://evil.example")
    assert info.value.status == 403
    assert OriginPolicy(()).allows("https://anything.example")


def test_rate_limiter_is_a_token_bucket_per_key():
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("k")
    with pytest.raises(IngestError) as info:
        limiter.check("k")
    assert info.value.status == 429 and int(info.value.headers["Retry-After"]) >= 1
    limiter.check("other-key")     # buckets are per key
    now[0] += 0.5                  # one token back after 1/rate seconds
    limiter.check("k")
    RateLimiter(rate=0).check("k")  # off


def test_tokens_from_a_jwks_file(jwks):
    path, sign = jwks
    verifier = TokenVerifier(Settings(jwks_file=str(path), jwt_issuer="https://issuer.example", jwt_audience=("shop-web",)))
    assert verifier.verify(f"Bearer {sign('user-7')}") == "user-7"

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad_tokens = [
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        f"Bearer {sign(private_key=other_key)}",               # signed by someone else
        f"Bearer {sign(exp=1)}",                                # expired
        f"Bearer {sign(aud='another-app')}",                    # wrong audience
        f"Bearer {sign(iss='https://evil.example')}",           # wrong issuer
        f"Bearer {sign(kid='unknown-kid')}",                    # key not in the JWKS
        "Bearer " + jwt.encode({"sub": "x", "exp": 9999999999}, "s" * 32, algorithm="HS256"),  # symmetric: refused
        "Bearer " + "a" * 10_000,
    ]
    for header in bad_tokens:
        with pytest.raises(IngestError) as info:
            verifier.verify(header)
        assert info.value.status == 401, header


def test_without_a_jwks_bearer_tokens_are_refused(jwks):
    _, sign = jwks
    with pytest.raises(IngestError) as info:
        TokenVerifier(Settings()).verify(f"Bearer {sign()}")
    assert info.value.status == 401 and "JWKS" in info.value.message


def test_an_unreachable_jwks_url_is_503_not_a_pass(jwks):
    _, sign = jwks
    verifier = TokenVerifier(Settings(jwks_url="http://127.0.0.1:9/jwks.json"))
    with pytest.raises(IngestError) as info:
        verifier.verify(f"Bearer {sign()}")
    assert info.value.status == 503


def test_the_server_enforces_keys_origins_tokens_and_rate(start_collector, jwks):
    path, sign = jwks
    collector = start_collector(env={
        "CLICKSTREAM_WRITE_KEYS": "key-a,key-b",
        "CLICKSTREAM_ALLOWED_ORIGINS": "https://shop.example",
        "CLICKSTREAM_JWKS_FILE": str(path),
        "CLICKSTREAM_JWT_ISSUER": "https://issuer.example",
        "CLICKSTREAM_RATE_LIMIT": "0.5",
        "CLICKSTREAM_RATE_BURST": "4",
    })
    batch = {"events": [make_event("identify", user_id="claimed-by-client")]}
    origin = {"origin": "https://shop.example"}

    assert collector.post(batch).status_code == 401
    assert collector.post(batch, {"x-write-key": "nope"}).json()["error"] == "unknown_write_key"
    assert collector.post(batch, {"x-write-key": "key-a", "origin": "https://evil.example"}).status_code == 403
    assert collector.post(batch, {"x-write-key": "key-a", "authorization": "Bearer junk"}).status_code == 401

    ok = collector.post(batch, {"x-write-key": "key-a", **origin, "authorization": f"Bearer {sign('cognito-sub-9')}"})
    assert ok.status_code == 202, ok.text
    assert ok.headers["access-control-allow-origin"] == "https://shop.example"
    # sendBeacon cannot set headers: the key may travel in the query string, the body as text/plain
    beacon = httpx.post(f"{collector.url}/v1/events?write_key=key-b", content=json.dumps({"events": [make_event()]}),
                        headers={"content-type": "text/plain;charset=UTF-8", **origin})
    assert beacon.status_code == 202, beacon.text

    stored = read_raw(collector.raw)
    identify = next(e for e in stored if e["event_type"] == "identify")
    assert (identify["user_id"], identify["user_id_source"]) == ("cognito-sub-9", "token")

    # CORS preflight: allowed origin gets the headers, others a 403
    pre = httpx.options(f"{collector.url}/v1/events", headers={**origin, "access-control-request-method": "POST",
                                                               "access-control-request-headers": "content-type,x-write-key"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "https://shop.example"
    assert "x-write-key" in pre.headers["access-control-allow-headers"]
    assert httpx.options(f"{collector.url}/v1/events", headers={"origin": "https://evil.example"}).status_code == 403

    statuses = [collector.post(batch, {"x-write-key": "key-b"}).status_code for _ in range(6)]
    assert 429 in statuses
    limited = collector.post(batch, {"x-write-key": "key-b"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert collector.post(batch, {"x-write-key": "key-a"}).status_code == 202  # its own bucket
