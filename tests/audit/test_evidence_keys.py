"""audit.pure.evidence.keys: key ids, encrypted PKCS#8, JWK/JWKS validation, the Signer seam."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.pure.evidence.errors import KeyFormatError, WrongPassphraseError
from audit.pure.evidence.keys import (
    ALGORITHM,
    LocalP256Signer,
    Signer,
    encrypt_private_key,
    generate_private_key,
    jwk_from_public_key,
    jwks_document,
    key_id,
    load_encrypted_private_key,
    load_public_key_pem,
    model_signing_hint,
    public_key_from_jwk,
    public_key_pem,
    trusted_keys_from_jwks,
)

# DER prefix of a P-256 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 },
# BIT STRING (66 bytes, 0 unused bits) } -- RFC 5480 §2; the point follows as 04 || X || Y.
P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def b64url_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def test_key_id_is_sha256_of_der_spki_built_by_hand() -> None:
    public = generate_private_key().public_key()
    numbers = public.public_numbers()
    spki = P256_SPKI_PREFIX + b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
    assert key_id(public) == hashlib.sha256(spki).hexdigest()
    assert len(key_id(public)) == 64


def test_model_signing_hint_is_sha256_of_pem_text() -> None:
    public = generate_private_key().public_key()
    pem = public_key_pem(public)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert model_signing_hint(public) == hashlib.sha256(pem).hexdigest() != key_id(public)


def test_encrypted_pkcs8_round_trip() -> None:
    private = generate_private_key()
    pem = encrypt_private_key(private, "correct horse battery staple")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # really encrypted: cryptography refuses to load it without a password
        serialization.load_pem_private_key(pem, password=None)
    loaded = load_encrypted_private_key(pem, "correct horse battery staple")
    assert key_id(loaded.public_key()) == key_id(private.public_key())
    assert load_encrypted_private_key(pem, b"correct horse battery staple").private_numbers() == (
        private.private_numbers()
    )


def test_wrong_passphrase_fails_clearly() -> None:
    pem = encrypt_private_key(generate_private_key(), "right")
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        load_encrypted_private_key(pem, "wrong")


def test_corrupted_encrypted_key_is_refused() -> None:
    pem = encrypt_private_key(generate_private_key(), "right")
    lines = pem.splitlines()
    lines[3] = lines[3][:-4] + (b"AAAA" if lines[3][-4:] != b"AAAA" else b"BBBB")
    with pytest.raises(WrongPassphraseError):
        load_encrypted_private_key(b"\n".join(lines) + b"\n", "right")


def test_unencrypted_or_foreign_keys_are_refused() -> None:
    private = generate_private_key()
    plain = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError, match="encrypted PKCS#8"):
        load_encrypted_private_key(plain, "anything")
    with pytest.raises(KeyFormatError, match="empty passphrase"):
        encrypt_private_key(private, "")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(KeyFormatError, match="P-256"):
        encrypt_private_key(p384, "x")
    with pytest.raises(KeyFormatError, match="P-256"):
        LocalP256Signer(p384)


def test_public_key_pem_round_trip_and_rejections() -> None:
    public = generate_private_key().public_key()
    assert key_id(load_public_key_pem(public_key_pem(public))) == key_id(public)
    with pytest.raises(KeyFormatError):
        load_public_key_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(KeyFormatError, match="P-256"):
        load_public_key_pem(public_key_pem(p384))


def test_jwk_round_trip_and_members() -> None:
    public = generate_private_key().public_key()
    jwk = jwk_from_public_key(public, created_at=NOW)
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["use"] == "sig" and jwk["alg"] == "ES256"
    assert jwk["kid"] == key_id(public) and jwk["status"] == "active"
    assert jwk["created_at"] == "2025-03-01T12:00:00Z" and "retired_at" not in jwk
    assert b64url_int(jwk["x"]) == public.public_numbers().x
    assert b64url_int(jwk["y"]) == public.public_numbers().y
    assert "=" not in jwk["x"] + jwk["y"]
    assert key_id(public_key_from_jwk(jwk)) == key_id(public)


def test_jwk_coordinates_keep_leading_zero_bytes() -> None:
    """RFC 7518 §6.2.1.2: coordinates are the full 32 bytes even when the integer is shorter."""
    scalar = next(
        k
        for k in range(1, 5000)
        if ec.derive_private_key(k, ec.SECP256R1()).public_key().public_numbers().x < 2**248
    )
    public = ec.derive_private_key(scalar, ec.SECP256R1()).public_key()
    jwk = jwk_from_public_key(public)
    raw_x = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert len(jwk["x"]) == 43 and len(raw_x) == 32 and raw_x[0] == 0
    assert key_id(public_key_from_jwk(jwk)) == key_id(public)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kty": "RSA"}, "kty"),
        ({"crv": "P-384"}, "crv"),
        ({"use": "enc"}, "use"),
        ({"alg": "ES384"}, "alg"),
        ({"d": "AAAA"}, "private key material"),
        ({"x": None}, "'x'"),
        ({"x": "AAAA"}, "32 bytes"),
        ({"y": "!!!notbase64url!!!"}, "unpadded base64url"),
        ({"kid": "0" * 64}, "does not match"),
    ],
)
def test_malformed_jwk_is_refused(change: dict[str, object], message: str) -> None:
    jwk = {**jwk_from_public_key(generate_private_key().public_key()), **change}
    with pytest.raises(KeyFormatError, match=message):
        public_key_from_jwk(jwk)


def test_jwk_padded_or_off_curve_coordinates_are_refused() -> None:
    jwk = jwk_from_public_key(generate_private_key().public_key())
    with pytest.raises(KeyFormatError, match="unpadded"):
        public_key_from_jwk({**jwk, "x": jwk["x"] + "="})
    y = b64url_int(jwk["y"])
    off_curve = base64.urlsafe_b64encode(((y + 1) % 2**256).to_bytes(32, "big")).rstrip(b"=").decode()
    with pytest.raises(KeyFormatError, match="not a point on P-256"):
        public_key_from_jwk({k: v for k, v in {**jwk, "y": off_curve}.items() if k != "kid"})


def test_jwk_status_rules() -> None:
    public = generate_private_key().public_key()
    with pytest.raises(KeyFormatError, match="retired_at"):
        jwk_from_public_key(public, status="retired")
    with pytest.raises(KeyFormatError, match="retired_at"):
        jwk_from_public_key(public, retired_at=NOW)
    with pytest.raises(KeyFormatError, match="unknown key status"):
        jwk_from_public_key(public, status="lost", retired_at=NOW)  # type: ignore[arg-type]
    with pytest.raises(KeyFormatError, match="timezone"):
        jwk_from_public_key(public, created_at=dt.datetime(2025, 1, 1))
    retired = jwk_from_public_key(
        public, status="retired", created_at=NOW, retired_at=NOW + dt.timedelta(days=90)
    )
    assert retired["retired_at"] == "2025-05-30T12:00:00Z"


def test_jwks_document_lists_current_and_retired_keys() -> None:
    old, new = generate_private_key().public_key(), generate_private_key().public_key()
    doc = jwks_document(
        [
            jwk_from_public_key(old, status="retired", created_at=NOW, retired_at=NOW + dt.timedelta(days=1)),
            jwk_from_public_key(new, created_at=NOW + dt.timedelta(days=1)),
        ]
    )
    keys = trusted_keys_from_jwks(doc)
    assert set(keys) == {key_id(old), key_id(new)}
    assert keys[key_id(old)].status == "retired"
    assert keys[key_id(old)].retired_at == NOW + dt.timedelta(days=1)
    assert keys[key_id(new)].status == "active" and keys[key_id(new)].retired_at is None
    with pytest.raises(KeyFormatError, match="duplicate"):
        jwks_document([jwk_from_public_key(new), jwk_from_public_key(new)])


@pytest.mark.parametrize("doc", [{}, {"keys": {}}, [], {"keys": [{"kty": "EC"}]}])
def test_malformed_jwks_is_refused(doc: object) -> None:
    with pytest.raises(KeyFormatError):
        trusted_keys_from_jwks(doc)  # type: ignore[arg-type]


def test_jwks_bad_status_or_timestamp_is_refused() -> None:
    jwk = jwk_from_public_key(generate_private_key().public_key())
    with pytest.raises(KeyFormatError, match="status"):
        trusted_keys_from_jwks({"keys": [{**jwk, "status": "compromised?"}]})
    with pytest.raises(KeyFormatError, match="RFC 3339"):
        trusted_keys_from_jwks({"keys": [{**jwk, "created_at": "yesterday"}]})
    with pytest.raises(KeyFormatError, match="UTC offset"):
        trusted_keys_from_jwks({"keys": [{**jwk, "created_at": "2025-01-01T00:00:00"}]})


def test_local_signer_produces_der_ecdsa_sha256() -> None:
    signer = LocalP256Signer.generate()
    assert isinstance(signer, Signer)
    assert signer.algorithm == ALGORITHM == "ES256"
    assert signer.key_id == key_id(signer.public_key())
    signature = signer.sign(b"message")
    assert signature[0] == 0x30  # DER SEQUENCE (RFC 3279 Ecdsa-Sig-Value), not raw r||s
    signer.public_key().verify(signature, b"message", ec.ECDSA(hashes.SHA256()))
    assert signer.key_id in repr(signer)


def test_local_signer_from_encrypted_pem() -> None:
    signer = LocalP256Signer.generate()
    restored = LocalP256Signer.from_encrypted_pem(signer.encrypted_pem("pw"), "pw")
    assert restored.key_id == signer.key_id
    restored.public_key().verify(restored.sign(b"x"), b"x", ec.ECDSA(hashes.SHA256()))
