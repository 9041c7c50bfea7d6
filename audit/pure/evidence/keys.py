"""Signing keys: ECDSA P-256 / SHA-256, key ids, encrypted PKCS#8, JWK/JWKS and the ``Signer`` seam.

Why P-256: it is what Sigstore's ``model_signing`` accepts for key-based signing and what every
PKCS#11 token and cloud KMS offers, so the same bundle verifies with our code, with
``model_signing`` and with a hardware-backed signer later.

Key id: lowercase hex SHA-256 of the public key's DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
It depends only on the key, never on how it was encoded or where it is stored.
``model_signing`` uses a different fingerprint for its bundle ``publicKey.hint`` (SHA-256 of the
*PEM* text); :func:`model_signing_hint` computes that one.

Private keys at rest are encrypted PKCS#8 PEM (RFC 5958) with the caller's passphrase. Public keys
are published as a JWKS (RFC 7517) using the EC members of RFC 7518 §6.2.1, plus three private
extension members that RFC 7517 §4 tells consumers to ignore if unknown: ``status``
(``active`` | ``retired`` | ``revoked``), ``created_at`` and ``retired_at`` (RFC 3339). Rotation
marks the old key ``retired``: it still verifies old evidence and is reported as retired.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, runtime_checkable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .errors import KeyFormatError, WrongPassphraseError

ALGORITHM: Final = "ES256"
"""JOSE name (RFC 7518 §3.4) of ECDSA P-256 with SHA-256, the only algorithm we sign with."""

KeyStatus = Literal["active", "retired", "revoked"]
KEY_STATUSES: Final[frozenset[str]] = frozenset({"active", "retired", "revoked"})

_COORDINATE_BYTES: Final = 32
_ENCRYPTED_PEM_HEADER: Final = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
_B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


def _require_p256(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> None:
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeyFormatError(f"only P-256 (secp256r1) keys are supported, got {key.curve.name}")


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key from the OS CSPRNG."""
    return ec.generate_private_key(ec.SECP256R1())


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: a stable, encoding-independent key id."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key_pem(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM, the format ``model_signing verify key --public_key`` reads."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def model_signing_hint(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key fingerprint ``model_signing`` (v1.x) writes to and checks in ``publicKey.hint``.

    It is hex SHA-256 of the PEM text (not of the DER), so it differs from :func:`key_id`.
    ``model_signing``'s key verifier rejects a bundle whose hint is set to anything else.
    """
    return hashlib.sha256(public_key_pem(public_key)).hexdigest()


def load_public_key_pem(pem: bytes) -> ec.EllipticCurvePublicKey:
    """Parse a SubjectPublicKeyInfo PEM; only P-256 keys are accepted."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"not a valid public key PEM: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFormatError(f"expected an EC public key, got {type(key).__name__}")
    _require_p256(key)
    return key


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise KeyFormatError("an empty passphrase would leave the private key unprotected")
    return data


def encrypt_private_key(private_key: ec.EllipticCurvePrivateKey, passphrase: str | bytes) -> bytes:
    """Encrypted PKCS#8 PEM (``BestAvailableEncryption``: PBES2/scrypt or PBKDF2 + AES-256)."""
    _require_p256(private_key)
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )


def load_encrypted_private_key(pem: bytes, passphrase: str | bytes) -> ec.EllipticCurvePrivateKey:
    """Decrypt an encrypted PKCS#8 PEM written by :func:`encrypt_private_key`.

    Raises :class:`WrongPassphraseError` when the passphrase does not decrypt the key and
    :class:`KeyFormatError` for anything that is not an encrypted P-256 PKCS#8 key (including an
    unencrypted key: keys at rest must be encrypted).
    """
    secret = _passphrase_bytes(passphrase)
    if _ENCRYPTED_PEM_HEADER not in pem:
        raise KeyFormatError("expected an encrypted PKCS#8 PEM ('BEGIN ENCRYPTED PRIVATE KEY')")
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except UnsupportedAlgorithm as exc:
        raise KeyFormatError(f"unsupported private key encryption: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise WrongPassphraseError("wrong passphrase, or the encrypted private key is corrupted") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyFormatError(f"expected an EC private key, got {type(key).__name__}")
    _require_p256(key)
    return key


# --- JWK / JWKS ---------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(value: object, member: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise KeyFormatError(f"JWK member {member!r} must be a non-empty base64url string")
    if not _B64URL_RE.fullmatch(value) or len(value) % 4 == 1:
        raise KeyFormatError(f"JWK member {member!r} must be unpadded base64url (RFC 7515 §2)")
    try:
        return base64.b64decode(
            value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True
        )
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"JWK member {member!r} is not valid base64url") from exc


def _rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise KeyFormatError("key timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse_rfc3339(value: object, member: str) -> dt.datetime:
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {member!r} must be an RFC 3339 string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise KeyFormatError(f"JWK member {member!r} is not an RFC 3339 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise KeyFormatError(f"JWK member {member!r} has no UTC offset: {value!r}")
    return parsed.astimezone(dt.UTC)


def jwk_from_public_key(
    public_key: ec.EllipticCurvePublicKey,
    *,
    status: KeyStatus = "active",
    created_at: dt.datetime | None = None,
    retired_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The public JWK (RFC 7517/7518 §6.2.1) of a P-256 key, ``kid`` = :func:`key_id`.

    ``retired_at`` is required for a ``retired`` or ``revoked`` key and forbidden for an active one,
    so the JWKS always says since when a key stopped signing.
    """
    _require_p256(public_key)
    if status not in KEY_STATUSES:
        raise KeyFormatError(f"unknown key status {status!r}; expected one of {sorted(KEY_STATUSES)}")
    if (status == "active") != (retired_at is None):
        raise KeyFormatError("retired_at must be given exactly when the key is retired or revoked")
    numbers = public_key.public_numbers()
    jwk: dict[str, Any] = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": _b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
        "kid": key_id(public_key),
        "use": "sig",
        "alg": ALGORITHM,
        "status": status,
    }
    if created_at is not None:
        jwk["created_at"] = _rfc3339(created_at)
    if retired_at is not None:
        jwk["retired_at"] = _rfc3339(retired_at)
    return jwk


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """Rebuild a P-256 public key from a JWK, rejecting anything we would not have published.

    Checks ``kty``/``crv``/``use``/``alg``, 32-byte unpadded base64url coordinates, that the point
    is on the curve, that no private member ``d`` is present, and that ``kid`` (when present)
    really is this key's id, so a JWKS cannot bind a trusted kid to a different key.
    """
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("a JWK must be a JSON object")
    if jwk.get("kty") != "EC":
        raise KeyFormatError(f"unsupported JWK kty {jwk.get('kty')!r}; expected 'EC'")
    if jwk.get("crv") != "P-256":
        raise KeyFormatError(f"unsupported JWK crv {jwk.get('crv')!r}; expected 'P-256'")
    if "d" in jwk:
        raise KeyFormatError("JWK contains private key material ('d'); refusing it in a public key set")
    if jwk.get("use", "sig") != "sig":
        raise KeyFormatError(f"JWK use {jwk.get('use')!r} is not 'sig'")
    if jwk.get("alg", ALGORITHM) != ALGORITHM:
        raise KeyFormatError(f"JWK alg {jwk.get('alg')!r} is not {ALGORITHM}")
    x = _b64url_decode(jwk.get("x"), "x")
    y = _b64url_decode(jwk.get("y"), "y")
    if len(x) != _COORDINATE_BYTES or len(y) != _COORDINATE_BYTES:
        raise KeyFormatError("P-256 JWK coordinates must be exactly 32 bytes (RFC 7518 §6.2.1.2)")
    try:
        public_key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as exc:
        raise KeyFormatError("JWK coordinates are not a point on P-256") from exc
    kid = jwk.get("kid")
    if kid is not None and kid != key_id(public_key):
        raise KeyFormatError(f"JWK kid {kid!r} does not match the key (expected {key_id(public_key)})")
    return public_key


def jwks_document(keys: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A JWKS (RFC 7517 §5) of current and retired keys, validated and de-duplicated by kid."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for jwk in keys:
        kid = key_id(public_key_from_jwk(jwk))
        if kid in seen:
            raise KeyFormatError(f"duplicate key {kid} in JWKS")
        seen.add(kid)
        out.append({**jwk, "kid": kid})
    return {"keys": out}


@dataclass(frozen=True)
class TrustedKey:
    """One validated JWKS entry, as the verifier needs it."""

    key_id: str
    public_key: ec.EllipticCurvePublicKey
    status: KeyStatus
    created_at: dt.datetime | None
    retired_at: dt.datetime | None

    @property
    def model_signing_hint(self) -> str:
        """``model_signing``'s fingerprint of this key (see :func:`model_signing_hint`)."""
        return model_signing_hint(self.public_key)


def trusted_keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, TrustedKey]:
    """Parse and validate a JWKS into ``{kid: TrustedKey}``; a missing ``status`` means active."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise KeyFormatError("a JWKS must be a JSON object with a 'keys' array")
    result: dict[str, TrustedKey] = {}
    for index, jwk in enumerate(jwks["keys"]):
        try:
            public_key = public_key_from_jwk(jwk)
            status = jwk.get("status", "active")
            if status not in KEY_STATUSES:
                raise KeyFormatError(f"unknown key status {status!r}")
            created = jwk.get("created_at")
            retired = jwk.get("retired_at")
            entry = TrustedKey(
                key_id=key_id(public_key),
                public_key=public_key,
                status=status,
                created_at=None if created is None else _parse_rfc3339(created, "created_at"),
                retired_at=None if retired is None else _parse_rfc3339(retired, "retired_at"),
            )
        except KeyFormatError as exc:
            raise KeyFormatError(f"JWKS key #{index}: {exc}") from exc
        if entry.key_id in result:
            raise KeyFormatError(f"duplicate key {entry.key_id} in JWKS")
        result[entry.key_id] = entry
    return result


# --- Signers ------------------------------------------------------------------------------------


@runtime_checkable
class Signer(Protocol):
    """What DSSE signing needs from a key, so a PKCS#11 or KMS signer can replace the local one.

    ``sign`` returns a DER-encoded ECDSA signature (RFC 3279 ``Ecdsa-Sig-Value``) over ``data``
    hashed with SHA-256: the encoding DSSE consumers and Sigstore expect.
    """

    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> ec.EllipticCurvePublicKey: ...


class LocalP256Signer:
    """A :class:`Signer` holding the private key in process memory."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        _require_p256(private_key)
        self._private_key = private_key
        self._key_id = key_id(private_key.public_key())

    @classmethod
    def generate(cls) -> LocalP256Signer:
        """A signer with a freshly generated key."""
        return cls(generate_private_key())

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, passphrase: str | bytes) -> LocalP256Signer:
        """Load the key from encrypted PKCS#8 PEM (see :func:`load_encrypted_private_key`)."""
        return cls(load_encrypted_private_key(pem, passphrase))

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return ALGORITHM

    def sign(self, data: bytes) -> bytes:
        return self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._private_key.public_key()

    def encrypted_pem(self, passphrase: str | bytes) -> bytes:
        """The private key as encrypted PKCS#8 PEM, for storage at rest."""
        return encrypt_private_key(self._private_key, passphrase)

    def __repr__(self) -> str:
        return f"LocalP256Signer(key_id={self._key_id!r})"
