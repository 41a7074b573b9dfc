"""Fixtures for the ingest tests: collectors on 127.0.0.1 and a JWKS key pair."""

from __future__ import annotations

import json
import time

import pytest
from ingest_helpers import Collector


@pytest.fixture
def start_collector(tmp_path):
    started = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None, raw: Path | None = None) -> Collector:
        collector = Collector(raw or tmp_path / f"raw{len(started)}", env, args)
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.stop()


@pytest.fixture(scope="module")
def shared_collector(tmp_path_factory):
    """One open collector (no keys, any origin) shared by a module's HTTP tests."""
    root = tmp_path_factory.mktemp("shared-collector")
    collector = Collector(root / "raw", {"CLICKSTREAM_PII_HMAC_KEY": "test-secret"})
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def jwks(tmp_path_factory):
    """An RSA key pair: the public half as a JWKS file, and a function that signs tokens with the private half."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public_jwk.update(kid="test-key-1", alg="RS256", use="sig")
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk]}))

    def sign(sub: str = "cognito-sub-123", *, kid: str = "test-key-1", private_key=key, **claims) -> str:
        payload = {"sub": sub, "exp": int(time.time()) + 600, "iss": "https://issuer.example", "aud": "shop-web",
                   **claims}
        return jwt.encode(payload, private_key, algorithm="RS256", headers={"kid": kid})

    return path, sign
