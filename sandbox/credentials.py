"""Keys, certificates and tokens for the local fakes, so the clouds' real credential
classes run against them: a service-account key whose JWTs the GCP fake verifies, a
loopback TLS certificate for the Azure fake (Entra ID authorities must be https), and
bearer tokens the fakes issue and check.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import threading
import time
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


@cache
def signing_key() -> rsa.RSAPrivateKey:
    """One RSA key per process: generating one costs tens of milliseconds."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem() -> str:
    return (
        signing_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(token: str, now: float | None = None) -> dict[str, Any] | None:
    """The claims of an RS256 JWT signed with ``signing_key()`` and not expired, else None."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims: dict[str, Any] = json.loads(_b64decode(claims_b64))
        signature = _b64decode(signature_b64)
    except ValueError:
        return None
    if header.get("alg") != "RS256":
        return None
    try:
        signing_key().public_key().verify(
            signature,
            f"{header_b64}.{claims_b64}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return None
    if float(claims.get("exp", 0)) < (time.time() if now is None else now):
        return None
    return claims


class Tokens:
    """Bearer tokens a fake issued, and the check every API request goes through."""

    def __init__(self) -> None:
        self._issued: set[str] = set()
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = "fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._issued.add(token)
        return token

    def valid(self, authorization: str | None, accept_jwt: bool = False) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        with self._lock:
            if token in self._issued:
                return True
        if accept_jwt and verify_jwt(token) is not None:
            with self._lock:
                self._issued.add(token)  # checked once, then known
            return True
        return False


@cache
def loopback_certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate for ``127.0.0.1`` and ``localhost`` and its key (PEM)."""
    key = signing_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offhours local fake")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), private_pem().encode()
