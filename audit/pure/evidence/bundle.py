"""Sigstore bundle v0.3 (https://github.com/sigstore/protobuf-specs, ``sigstore_bundle.proto``).

A bundle is the transport for one DSSE envelope plus the material needed to verify it. We sign
with long-lived keys, not Fulcio certificates, so ``verificationMaterial`` carries only a
``publicKey.hint`` (the spec's opaque "which key" string) and an empty ``tlogEntries`` list: the
tamper evidence comes from our own audit chain, not from Rekor. This is exactly the shape that
``model_signing``'s key-based signer writes, so its verifier reads our bundles.

JSON uses the protobuf JSON mapping (lowerCamelCase members, bytes as standard base64).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from audit.pure.canonical import canonical_bytes

from .dsse import IN_TOTO_PAYLOAD_TYPE, sign_envelope
from .errors import VerificationError
from .intoto import statement_bytes, validate_statement
from .keys import Signer

BUNDLE_MEDIA_TYPE: Final = "application/vnd.dev.sigstore.bundle.v0.3+json"


def wrap_envelope(envelope: Mapping[str, Any], *, hint: str) -> dict[str, Any]:
    """Wrap a DSSE envelope in a v0.3 bundle whose ``publicKey.hint`` names the signing key."""
    if not hint:
        raise ValueError("a bundle needs a key hint so verifiers can find the public key")
    return {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": dict(envelope),
    }


def sign_statement(
    statement: Mapping[str, Any], signer: Signer, *, hint: str | None = None
) -> dict[str, Any]:
    """Sign an in-toto statement and return the bundle (``hint`` defaults to our key id).

    The payload is the statement's RFC 8785 canonical JSON, so re-signing the same statement gives
    the same payload bytes (the ECDSA signature itself is randomised).
    """
    try:
        validate_statement(statement)
    except VerificationError as exc:
        raise ValueError(str(exc)) from exc
    envelope = sign_envelope(statement_bytes(statement), IN_TOTO_PAYLOAD_TYPE, signer)
    return wrap_envelope(envelope, hint=hint or signer.key_id)


def bundle_bytes(bundle: Mapping[str, Any]) -> bytes:
    """Serialise a bundle for storage or download (canonical JSON: stable bytes to hash)."""
    return canonical_bytes(bundle)


@dataclass(frozen=True)
class ParsedBundle:
    """A structurally valid, *unverified* bundle."""

    hint: str | None
    envelope: Mapping[str, Any]
    tlog_entry_count: int


def parse_bundle(data: bytes | str | Mapping[str, Any]) -> ParsedBundle:
    """Check the bundle structure we support and return the envelope and the key hint.

    Refuses: other media types, certificate-based verification material (we only trust keys from
    our JWKS), ``messageSignature`` bundles, and bundles without a DSSE envelope.
    """
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise VerificationError(f"bundle is not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise VerificationError("bundle must be a JSON object")
    media_type = data.get("mediaType")
    if media_type != BUNDLE_MEDIA_TYPE:
        raise VerificationError(
            f"unsupported bundle mediaType {media_type!r}; expected {BUNDLE_MEDIA_TYPE!r}"
        )
    material = data.get("verificationMaterial")
    if not isinstance(material, Mapping):
        raise VerificationError("bundle has no verificationMaterial object")
    if "x509CertificateChain" in material or "certificate" in material:
        raise VerificationError("certificate-based bundles are not supported; expected publicKey material")
    public_key = material.get("publicKey")
    if not isinstance(public_key, Mapping):
        raise VerificationError("bundle verificationMaterial has no publicKey object")
    hint = public_key.get("hint")
    if hint is not None and not isinstance(hint, str):
        raise VerificationError("bundle publicKey.hint must be a string")
    tlog_entries = material.get("tlogEntries", [])
    if not isinstance(tlog_entries, list):
        raise VerificationError("bundle tlogEntries must be an array")
    if "messageSignature" in data:
        raise VerificationError("messageSignature bundles are not supported; expected a dsseEnvelope")
    envelope = data.get("dsseEnvelope")
    if not isinstance(envelope, Mapping):
        raise VerificationError("bundle has no dsseEnvelope object")
    return ParsedBundle(hint=hint or None, envelope=envelope, tlog_entry_count=len(tlog_entries))
