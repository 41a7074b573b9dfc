"""Collector configuration, environment first (Terraform sets these in AWS; the CLI can override them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES
from contract import layout


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    raw_uri: str = layout.DEFAULT_RAW_URI
    write_keys: tuple[str, ...] = ()            # empty: requests without a key are accepted
    allowed_origins: tuple[str, ...] = ()       # empty: any Origin (browsers) is accepted
    jwks_url: str | None = None                 # e.g. Cognito's https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json
    jwks_file: str | None = None                # a local JWKS document (tests, air-gapped setups)
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    pii_hmac_key: bytes | None = field(default=None, repr=False)  # unset: personal data is stripped, not hashed
    rate_limit_per_second: float = 0.0          # per write key (one bucket without keys); 0 turns it off
    rate_limit_burst: int = 0                   # 0: twice the rate
    dedupe_ttl_seconds: float = 600.0
    dedupe_max_ids: int = 200_000             # ~30 MB of ids
    flush_interval_ms: float = 50.0
    flush_max_bytes: int = 5_000_000
    flush_concurrency: int = 2                  # PutObjects in flight at once (S3; a local flush is one step)
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch_events: int = MAX_BATCH_EVENTS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        e = os.environ if env is None else env
        key = e.get("CLICKSTREAM_PII_HMAC_KEY")
        settings = cls(
            raw_uri=layout.raw_uri(e.get("CLICKSTREAM_RAW_URI")),
            write_keys=_csv(e.get("CLICKSTREAM_WRITE_KEYS")),
            allowed_origins=tuple(o.rstrip("/") for o in _csv(e.get("CLICKSTREAM_ALLOWED_ORIGINS"))),
            jwks_url=e.get("CLICKSTREAM_JWKS_URL") or None,
            jwks_file=e.get("CLICKSTREAM_JWKS_FILE") or None,
            jwt_issuer=e.get("CLICKSTREAM_JWT_ISSUER") or None,
            jwt_audience=_csv(e.get("CLICKSTREAM_JWT_AUDIENCE")),
            pii_hmac_key=key.encode() if key else None,
            rate_limit_per_second=float(e.get("CLICKSTREAM_RATE_LIMIT") or 0),
            rate_limit_burst=int(e.get("CLICKSTREAM_RATE_BURST") or 0),
            dedupe_ttl_seconds=float(e.get("CLICKSTREAM_DEDUPE_TTL_SECONDS") or 600),
            dedupe_max_ids=int(e.get("CLICKSTREAM_DEDUPE_MAX_IDS") or 200_000),
            flush_interval_ms=float(e.get("CLICKSTREAM_FLUSH_INTERVAL_MS") or 50),
            flush_max_bytes=int(e.get("CLICKSTREAM_FLUSH_MAX_BYTES") or 5_000_000),
            flush_concurrency=max(1, int(e.get("CLICKSTREAM_FLUSH_CONCURRENCY") or 2)),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def warnings(self) -> list[str]:
        """What an operator should know at start-up about an open configuration."""
        out = []
        if not self.write_keys:
            out.append("CLICKSTREAM_WRITE_KEYS is not set: accepting requests WITHOUT a write key")
        if not self.allowed_origins:
            out.append("CLICKSTREAM_ALLOWED_ORIGINS is not set: accepting browser requests from ANY origin")
        if not self.pii_hmac_key:
            out.append("CLICKSTREAM_PII_HMAC_KEY is not set: personal data found in events is stripped, not keyed-hashed")
        if not (self.jwks_url or self.jwks_file):
            out.append("no JWKS configured: requests with a bearer token are refused (401)")
        return out
