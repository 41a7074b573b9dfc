"""Who may send: per-site write keys, the browser Origin allowlist, bearer JWTs (JWKS) and a per-key rate limit.

Each check raises IngestError with the status the API promises: 401 (missing/unknown write key, bad
token), 403 (origin not allowed), 429 (rate limit, with Retry-After), 503 (the JWKS endpoint is down).
"""

from __future__ import annotations

import hmac
import json
import time
from collections import OrderedDict
from pathlib import Path

import jwt

from lambda_ingest.errors import IngestError
from lambda_ingest.settings import Settings

# Asymmetric algorithms only: a JWKS publishes public keys (Cognito signs with RS256).
JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
MAX_TOKEN_CHARS = 8192
# CORS answers for allowed origins (the local server and the Lambda send the same).
CORS_ALLOW_HEADERS = "content-type, content-encoding, x-write-key, authorization, x-request-id"
CORS_EXPOSE_HEADERS = "retry-after, x-request-id"


class OriginPolicy:
    """Exact origins (scheme://host[:port]) or a wildcard subdomain (https://*.shop.example)."""

    def __init__(self, allowed: tuple[str, ...]):
        self.any = not allowed
        self._exact = {o.lower() for o in allowed if "*" not in o}
        self._suffixes = [o.lower().split("*", 1) for o in allowed if "*" in o]

    def allows(self, origin: str | None) -> bool:
        if origin is None or self.any:
            return True  # no Origin: not a browser (server-to-server); the write key is the gate
        origin = origin.lower().rstrip("/")
        if origin in self._exact:
            return True
        return any(origin.startswith(prefix) and origin.endswith(suffix) and len(origin) > len(prefix) + len(suffix)
                   for prefix, suffix in self._suffixes)

    def check(self, origin: str | None) -> None:
        if not self.allows(origin):
            raise IngestError(403, "origin_not_allowed", f"origin {origin[:200]!r} is not in CLICKSTREAM_ALLOWED_ORIGINS")


class WriteKeys:
    def __init__(self, keys: tuple[str, ...]):
        self._keys = tuple(k.encode() for k in keys)

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def check(self, key: str | None) -> str:
        """The key to rate-limit by; raises 401 when keys are configured and this one is not among them."""
        if not self._keys:
            return key or "anonymous"
        if not key:
            raise IngestError(401, "missing_write_key", "a write key is required: send it in the X-Write-Key header or the write_key query parameter")
        candidate = key.encode("utf-8", "surrogatepass")
        # compare_digest against every key: no early exit that would leak which key was close.
        if not any([hmac.compare_digest(candidate, k) for k in self._keys]):
            raise IngestError(401, "unknown_write_key", "the write key is not valid for this collector")
        return key


class RateLimiter:
    """A token bucket per key: `rate` requests per second with bursts up to `burst`."""

    def __init__(self, rate: float, burst: int = 0, max_keys: int = 10_000, clock=time.monotonic):
        self.rate = rate
        self.burst = float(burst or max(1, int(rate * 2)))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def check(self, key: str) -> None:
        if self.rate <= 0:
            return
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            retry_after = max(1, round((1 - tokens) / self.rate + 0.5))
            raise IngestError(429, "rate_limited", f"more than {self.rate:g} requests per second for this key",
                              headers={"Retry-After": str(retry_after)})
        self._buckets[key] = (tokens - 1, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)


class TokenVerifier:
    """Verifies `Authorization: Bearer <JWT>` against a JWKS (a URL such as Cognito's, or a local file)."""

    def __init__(self, settings: Settings):
        self._issuer = settings.jwt_issuer
        self._audience = list(settings.jwt_audience) or None
        self._client = jwt.PyJWKClient(settings.jwks_url, cache_jwk_set=True, lifespan=300) if settings.jwks_url else None
        self._file_keys: dict[str | None, jwt.PyJWK] | None = None
        if settings.jwks_file:
            jwks = jwt.PyJWKSet.from_dict(json.loads(Path(settings.jwks_file).read_text()))
            self._file_keys = {k.key_id: k for k in jwks.keys}

    @property
    def configured(self) -> bool:
        return self._client is not None or self._file_keys is not None

    def _signing_key(self, token: str):
        if self._file_keys is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._file_keys.get(kid) or (next(iter(self._file_keys.values())) if len(self._file_keys) == 1 and kid is None else None)
            if key is None:
                raise jwt.InvalidTokenError(f"no key with kid {str(kid)[:64]!r} in the JWKS")
            return key
        return self._client.get_signing_key_from_jwt(token)

    def verify(self, authorization: str) -> str:
        """The verified token's sub (the user id); raises IngestError 401 (or 503 when the JWKS is unreachable)."""
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise IngestError(401, "invalid_token", "Authorization must be 'Bearer <JWT>'")
        if len(token) > MAX_TOKEN_CHARS:
            raise IngestError(401, "invalid_token", "the bearer token is too long")
        if not self.configured:
            raise IngestError(401, "invalid_token", "this collector verifies no bearer tokens (no JWKS configured); send events without Authorization")
        try:
            key = self._signing_key(token)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=JWT_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
                leeway=30,
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise IngestError(503, "jwks_unavailable", f"cannot fetch the JWKS to verify the token: {exc}", headers={"Retry-After": "5"}) from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError, jwt.PyJWKError, ValueError) as exc:
            raise IngestError(401, "invalid_token", f"bearer token rejected: {str(exc)[:200]}") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not 0 < len(sub) <= 128 or not sub.isprintable() or " " in sub:
            raise IngestError(401, "invalid_token", "the token's sub is not a usable user id")
        return sub
