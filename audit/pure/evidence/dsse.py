"""DSSE v1 envelopes (https://github.com/secure-systems-lab/dsse/blob/v1.0.0/protocol.md).

DSSE signs the *pre-authentication encoding* ``PAE(type, body)`` rather than the raw payload, so
the signature also covers the payload type: a signature over an in-toto statement cannot be
replayed as a signature over some other document type, and no JSON canonicalisation is needed
to verify (the payload travels as opaque base64 bytes).

Envelope (envelope.md): ``{"payload": b64, "payloadType": str, "signatures": [{"keyid": str,
"sig": b64}]}``. We emit standard base64 with padding; on input we accept standard or URL-safe
alphabet, with or without padding, as the envelope spec allows, and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .errors import VerificationError
from .keys import Signer

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "VerificationError",
    "VerifiedEnvelope",
    "b64decode",
    "pae",
    "parse_envelope",
    "sign_envelope",
    "verify_envelope",
    "verify_envelope_detailed",
]

IN_TOTO_PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"
"""The payloadType of an in-toto statement (in-toto attestation spec, envelope.md)."""

_B64_RE: Final = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` where LEN is the ASCII decimal *byte*
    length and ``type`` is UTF-8 encoded.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def b64decode(value: object, what: str) -> bytes:
    """Strictly decode standard or URL-safe base64 (padding optional); raise VerificationError."""
    if not isinstance(value, str):
        raise VerificationError(f"{what} must be a base64 string, got {type(value).__name__}")
    padded = value.endswith("=")
    if not _B64_RE.fullmatch(value) or len(value.rstrip("=")) % 4 == 1 or (padded and len(value) % 4):
        raise VerificationError(f"{what} is not valid base64")
    normalized = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalized + "=" * (-len(normalized) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc


def sign_envelope(payload: bytes, payload_type: str, signer: Signer) -> dict[str, Any]:
    """Sign ``payload`` as a DSSE envelope with one signature whose ``keyid`` is our key id."""
    if not payload_type:
        raise ValueError("payload_type must not be empty")
    signature = signer.sign(pae(payload_type, payload))
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": payload_type,
        "signatures": [{"keyid": signer.key_id, "sig": base64.b64encode(signature).decode("ascii")}],
    }


@dataclass(frozen=True)
class ParsedEnvelope:
    """A structurally valid, *unverified* envelope."""

    payload: bytes
    payload_type: str
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, DER signature); keyid may be ""


@dataclass(frozen=True)
class VerifiedEnvelope:
    """The outcome of a successful verification: what was signed and by which key."""

    payload: bytes
    payload_type: str
    key_id: str


def parse_envelope(envelope: Mapping[str, Any] | bytes | str) -> ParsedEnvelope:
    """Check an envelope's structure and decode its base64 fields (no signature check)."""
    if isinstance(envelope, bytes | str):
        try:
            envelope = json.loads(envelope)
        except (ValueError, UnicodeDecodeError) as exc:
            raise VerificationError(f"DSSE envelope is not valid JSON: {exc}") from exc
    if not isinstance(envelope, Mapping):
        raise VerificationError("DSSE envelope must be a JSON object")
    payload_type = envelope.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise VerificationError("DSSE envelope has no payloadType string")
    payload = b64decode(envelope.get("payload"), "DSSE payload")
    raw_signatures = envelope.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise VerificationError("DSSE envelope has no signatures")
    signatures: list[tuple[str, bytes]] = []
    for index, entry in enumerate(raw_signatures):
        if not isinstance(entry, Mapping):
            raise VerificationError(f"DSSE signature #{index} must be a JSON object")
        keyid = entry.get("keyid", "")
        if not isinstance(keyid, str):
            raise VerificationError(f"DSSE signature #{index} keyid must be a string")
        signatures.append((keyid, b64decode(entry.get("sig"), f"DSSE signature #{index} sig")))
    return ParsedEnvelope(payload=payload, payload_type=payload_type, signatures=tuple(signatures))


def verify_envelope_detailed(
    envelope: Mapping[str, Any] | bytes | str,
    public_keys_by_id: Mapping[str, ec.EllipticCurvePublicKey],
    *,
    payload_type: str = IN_TOTO_PAYLOAD_TYPE,
) -> VerifiedEnvelope:
    """Verify a DSSE envelope against trusted keys; return the payload and the verifying key id.

    Accepts the envelope if at least one signature verifies under a trusted key (DSSE threshold
    1). A signature with a ``keyid`` is checked only against that key (the keyid is an
    unauthenticated hint, but an unknown one is reported as such); a signature with an empty
    ``keyid`` (as ``model_signing`` writes) is tried against every trusted key.
    """
    if not public_keys_by_id:
        raise VerificationError("no trusted public keys to verify against")
    parsed = parse_envelope(envelope)
    if parsed.payload_type != payload_type:
        raise VerificationError(
            f"unexpected DSSE payloadType {parsed.payload_type!r}; expected {payload_type!r}"
        )
    message = pae(parsed.payload_type, parsed.payload)
    unknown: list[str] = []
    for keyid, signature in parsed.signatures:
        if keyid and keyid not in public_keys_by_id:
            unknown.append(keyid)
            continue
        candidates = [keyid] if keyid else list(public_keys_by_id)
        for candidate in candidates:
            try:
                public_keys_by_id[candidate].verify(signature, message, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            return VerifiedEnvelope(
                payload=parsed.payload, payload_type=parsed.payload_type, key_id=candidate
            )
    if len(unknown) == len(parsed.signatures):
        raise VerificationError(f"unknown signing key id(s): {', '.join(unknown)}")
    raise VerificationError("bad signature: no DSSE signature verifies under a trusted key")


def verify_envelope(
    envelope: Mapping[str, Any] | bytes | str,
    public_keys_by_id: Mapping[str, ec.EllipticCurvePublicKey],
    *,
    payload_type: str = IN_TOTO_PAYLOAD_TYPE,
) -> bytes:
    """Verify a DSSE envelope and return its payload bytes (see :func:`verify_envelope_detailed`)."""
    return verify_envelope_detailed(envelope, public_keys_by_id, payload_type=payload_type).payload
