"""GitHub's cryptography, both directions: the webhook signature and the App's RS256 JWT.

Pure: no Django imports. ``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC-SHA256 of the raw body
keyed with the webhook secret (docs: "Validating webhook deliveries"; compared in constant time). The
App JWT is ``iat``/``exp``/``iss`` signed RS256 with the App's private key (docs: "Generating a JSON Web
Token (JWT) for a GitHub App"); ``cryptography`` signs it, so no JWT library is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_PREFIX = "sha256="
MIN_KEY_BITS = 2048


class PrivateKeyError(ValueError):
    """A private key that cannot be used: not PEM, not RSA, too short, or the passphrase is wrong."""


def webhook_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of the raw ``body`` under ``secret`` (constant time)."""
    if not secret or not header or not header.isascii():
        return False
    return hmac.compare_digest(webhook_signature(secret, body).encode(), header.strip().encode())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def app_jwt(*, private_key: rsa.RSAPrivateKey, issuer: str, now: int, backdate: int, lifetime: int) -> str:
    """A JWT that authenticates as the App: ``{"alg": "RS256"}`` over ``iat``, ``exp`` and ``iss``."""
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iat": now - backdate, "exp": now + lifetime, "iss": issuer}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def private_key_load(pem: str, passphrase: str | None = None) -> rsa.RSAPrivateKey:
    """The RSA key of a PEM (GitHub gives PKCS#1; we store encrypted PKCS#8), at least 2048 bits."""
    try:
        key = serialization.load_pem_private_key(
            pem.encode(), password=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise PrivateKeyError(
            "Not a readable PEM private key (paste the .pem file GitHub generated for the App)."
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PrivateKeyError("A GitHub App's private key is an RSA key.")
    if key.key_size < MIN_KEY_BITS:
        raise PrivateKeyError(f"An RSA key of at least {MIN_KEY_BITS} bits is required.")
    return key


def private_key_encrypt(key: rsa.RSAPrivateKey, passphrase: str) -> str:
    """PKCS#8 PEM encrypted with ``passphrase`` (how the key is kept at rest)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode("ascii")
