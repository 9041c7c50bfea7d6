"""audit.pure.evidence.dsse / intoto / bundle: DSSE v1, in-toto Statement v1, Sigstore bundle v0.3."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement as IntotoStatement
from sigstore_models.bundle.v1 import Bundle as SigstoreBundle

from audit.pure.evidence.bundle import (
    BUNDLE_MEDIA_TYPE,
    bundle_bytes,
    parse_bundle,
    sign_statement,
    wrap_envelope,
)
from audit.pure.evidence.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    VerificationError,
    pae,
    parse_envelope,
    sign_envelope,
    verify_envelope,
    verify_envelope_detailed,
)
from audit.pure.evidence.intoto import (
    APPROVAL_DECISION_PREDICATE,
    BIAS_REPORT_PREDICATE,
    STATEMENT_TYPE,
    parse_statement,
    statement,
    statement_bytes,
    subject,
    validate_statement,
)
from audit.pure.evidence.keys import LocalP256Signer, key_id

DIGEST = "a" * 64


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def signer() -> LocalP256Signer:
    return LocalP256Signer.generate()


@pytest.fixture
def envelope(signer: LocalP256Signer) -> dict[str, Any]:
    return sign_envelope(b'{"hello": "world"}', IN_TOTO_PAYLOAD_TYPE, signer)


def keys_of(*signers: LocalP256Signer) -> dict[str, ec.EllipticCurvePublicKey]:
    return {s.key_id: s.public_key() for s in signers}


# --- PAE ----------------------------------------------------------------------------------------


def test_pae_known_answer_from_dsse_spec() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_lengths_are_byte_lengths() -> None:
    assert pae("t\u00e9", b"\x00\xff") == b"DSSEv1 3 t\xc3\xa9 2 \x00\xff"
    assert pae("", b"") == b"DSSEv1 0  0 "


# --- sign / verify ------------------------------------------------------------------------------


def test_sign_and_verify_round_trip(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    assert envelope["payloadType"] == IN_TOTO_PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == signer.key_id
    assert verify_envelope(envelope, keys_of(signer)) == b'{"hello": "world"}'
    assert verify_envelope(json.dumps(envelope), keys_of(signer)) == b'{"hello": "world"}'
    detailed = verify_envelope_detailed(json.dumps(envelope).encode(), keys_of(signer))
    assert detailed.key_id == signer.key_id


def test_signature_is_over_pae_not_payload(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    signer.public_key().verify(
        sig, pae(IN_TOTO_PAYLOAD_TYPE, b'{"hello": "world"}'), ec.ECDSA(hashes.SHA256())
    )


def test_tampered_payload_is_rejected(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    forged = {**envelope, "payload": b64(b'{"hello": "World"}')}
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(forged, keys_of(signer))


def test_tampered_signature_is_rejected(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    sig[-1] ^= 0x01
    forged = {**envelope, "signatures": [{"keyid": signer.key_id, "sig": b64(bytes(sig))}]}
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(forged, keys_of(signer))
    garbage = {**envelope, "signatures": [{"keyid": signer.key_id, "sig": b64(b"not DER at all")}]}
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(garbage, keys_of(signer))


def test_wrong_key_is_rejected(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    other = LocalP256Signer.generate()
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(envelope, {signer.key_id: other.public_key()})


def test_unknown_key_id_is_rejected(envelope: dict[str, Any]) -> None:
    other = LocalP256Signer.generate()
    with pytest.raises(VerificationError, match="unknown signing key id"):
        verify_envelope(envelope, keys_of(other))
    with pytest.raises(VerificationError, match="no trusted public keys"):
        verify_envelope(envelope, {})


def test_wrong_payload_type_is_rejected(signer: LocalP256Signer) -> None:
    env = sign_envelope(b"{}", "application/json", signer)
    with pytest.raises(VerificationError, match="payloadType"):
        verify_envelope(env, keys_of(signer))
    assert verify_envelope(env, keys_of(signer), payload_type="application/json") == b"{}"
    relabelled = {**env, "payloadType": IN_TOTO_PAYLOAD_TYPE}  # PAE binds the type: relabelling breaks it
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(relabelled, keys_of(signer))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: {**e, "payload": "###"}, "payload is not valid base64"),
        (lambda e: {**e, "payload": "QUJD="}, "payload is not valid base64"),  # 4 chars + stray pad
        (lambda e: {**e, "payload": 42}, "payload must be a base64 string"),
        (lambda e: {**e, "signatures": [{"keyid": "k", "sig": "%%%"}]}, "sig is not valid base64"),
        (lambda e: {**e, "signatures": [{"keyid": 7, "sig": "AAAA"}]}, "keyid must be a string"),
        (lambda e: {**e, "signatures": []}, "no signatures"),
        (lambda e: {**e, "signatures": ["x"]}, "must be a JSON object"),
        (lambda e: {k: v for k, v in e.items() if k != "payloadType"}, "payloadType"),
        (lambda e: [e], "must be a JSON object"),
        (lambda e: "{not json", "not valid JSON"),
        (lambda e: b"\xff\xfe", "not valid JSON"),
    ],
)
def test_malformed_envelopes_raise_verification_error(
    signer: LocalP256Signer, envelope: dict[str, Any], mutate: Any, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_envelope(mutate(envelope), keys_of(signer))


def test_url_safe_unpadded_base64_is_accepted(signer: LocalP256Signer) -> None:
    payload = b"\xfb\xff binary ?>"
    env = sign_envelope(payload, IN_TOTO_PAYLOAD_TYPE, signer)
    sig = base64.b64decode(env["signatures"][0]["sig"])
    urlsafe = {
        **env,
        "payload": base64.urlsafe_b64encode(payload).rstrip(b"=").decode(),
        "signatures": [{"keyid": signer.key_id, "sig": base64.urlsafe_b64encode(sig).rstrip(b"=").decode()}],
    }
    assert verify_envelope(urlsafe, keys_of(signer)) == payload
    assert parse_envelope(urlsafe).payload == payload


def test_empty_keyid_tries_every_trusted_key(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    """model_signing writes keyid "": the envelope still verifies, and we learn which key signed."""
    anonymous = {**envelope, "signatures": [{"keyid": "", "sig": envelope["signatures"][0]["sig"]}]}
    other = LocalP256Signer.generate()
    assert verify_envelope_detailed(anonymous, keys_of(other, signer)).key_id == signer.key_id
    with pytest.raises(VerificationError, match="bad signature"):
        verify_envelope(anonymous, keys_of(other))


def test_any_valid_signature_suffices(signer: LocalP256Signer, envelope: dict[str, Any]) -> None:
    other = LocalP256Signer.generate()
    second = sign_envelope(b'{"hello": "world"}', IN_TOTO_PAYLOAD_TYPE, other)["signatures"][0]
    both = {**envelope, "signatures": [*envelope["signatures"], second]}
    assert verify_envelope_detailed(both, keys_of(other)).key_id == other.key_id


class RemoteSigner:
    """Stands in for a PKCS#11/KMS signer: satisfies the Signer protocol without our class."""

    def __init__(self) -> None:
        self._inner = LocalP256Signer.generate()
        self.calls: list[bytes] = []

    @property
    def key_id(self) -> str:
        return self._inner.key_id

    @property
    def algorithm(self) -> str:
        return "ES256"

    def sign(self, data: bytes) -> bytes:
        self.calls.append(data)
        return self._inner.sign(data)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._inner.public_key()


def test_any_signer_protocol_implementation_can_sign() -> None:
    remote = RemoteSigner()
    env = sign_envelope(b"{}", IN_TOTO_PAYLOAD_TYPE, remote)
    assert remote.calls == [pae(IN_TOTO_PAYLOAD_TYPE, b"{}")]
    assert verify_envelope(env, {remote.key_id: remote.public_key()}) == b"{}"


# --- in-toto Statement v1 -----------------------------------------------------------------------


def bias_statement(**predicate: Any) -> dict[str, Any]:
    return statement(
        [subject("credit-model/v3/model.onnx", DIGEST)],
        BIAS_REPORT_PREDICATE,
        {"audit_sequence": 12, "metric": "demographic_parity_difference", "value": 0.03, **predicate},
    )


def test_statement_shape_and_in_toto_reference_validation() -> None:
    built = bias_statement()
    assert built["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert built["subject"] == [{"name": "credit-model/v3/model.onnx", "digest": {"sha256": DIGEST}}]
    assert built["predicateType"] == "https://modelops-governance.dev/attestation/bias-report/v1"
    # The in-toto reference implementation accepts it too.
    proto = json_format.Parse(json.dumps(built), statement_pb2.Statement())
    IntotoStatement.copy_from_pb(proto).validate()
    parsed = parse_statement(statement_bytes(built))
    assert parsed.to_dict() == built
    assert parsed.audit_sequence == 12
    assert parsed.subjects[0].sha256 == DIGEST


def test_statement_payload_is_canonical_json() -> None:
    built = bias_statement()
    assert statement_bytes(built) == json.dumps(built, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: {**s, "_type": "https://in-toto.io/Statement/v0.1"}, "_type"),
        (lambda s: {**s, "subject": []}, "non-empty array"),
        (lambda s: {**s, "subject": [{"digest": {"sha256": DIGEST}}]}, "non-empty name"),
        (lambda s: {**s, "subject": [{"name": "m", "digest": {"sha256": DIGEST.upper()}}]}, "lowercase hex"),
        (lambda s: {**s, "subject": [{"name": "m", "digest": {"sha256": "ab"}}]}, "64 lowercase hex"),
        (lambda s: {**s, "subject": [{"name": "m", "digest": {"sha512": "ab"}}]}, "needs a sha256"),
        (lambda s: {**s, "subject": [{"name": "m", "digest": {}}]}, "digest object"),
        (lambda s: {**s, "predicateType": ""}, "predicateType"),
        (lambda s: {**s, "predicate": [1]}, "predicate must be a JSON object"),
        (lambda s: {**s, "predicate": {}}, "audit sequence"),
        (lambda s: {**s, "predicate": {"audit_sequence": True}}, "audit sequence"),
        (lambda s: {**s, "predicate": {"audit_sequence": -1}}, "audit sequence"),
        (lambda s: {**s, "predicate": {"audit_sequence": "7"}}, "audit sequence"),
        (lambda s: [s], "JSON object"),
    ],
)
def test_invalid_statements_are_rejected(mutate: Any, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        validate_statement(mutate(bias_statement()))


def test_statement_builder_rejects_missing_audit_sequence() -> None:
    with pytest.raises(ValueError, match="audit sequence"):
        statement([subject("x", DIGEST)], APPROVAL_DECISION_PREDICATE, {"decision": "approved"})
    # Foreign predicate types do not need it.
    assert statement([subject("x", DIGEST)], "https://slsa.dev/provenance/v1", {})["predicate"] == {}


def test_parse_statement_rejects_bad_json_and_duplicate_members() -> None:
    with pytest.raises(VerificationError, match="UTF-8 JSON"):
        parse_statement(b"\xff")
    with pytest.raises(VerificationError, match="UTF-8 JSON"):
        parse_statement(b"{")
    body = statement_bytes(bias_statement()).decode()
    duplicated = body[:-1] + ',"predicateType":"https://example.com/other"}'
    with pytest.raises(VerificationError, match="duplicate JSON member 'predicateType'"):
        parse_statement(duplicated.encode())


# --- Sigstore bundle v0.3 -----------------------------------------------------------------------


def test_bundle_shape_parses_with_sigstore_models(signer: LocalP256Signer) -> None:
    bundle = sign_statement(bias_statement(), signer)
    assert bundle["mediaType"] == BUNDLE_MEDIA_TYPE == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["verificationMaterial"] == {"publicKey": {"hint": signer.key_id}, "tlogEntries": []}
    assert bundle["dsseEnvelope"]["signatures"][0]["keyid"] == key_id(signer.public_key())
    parsed = SigstoreBundle.from_dict(json.loads(bundle_bytes(bundle)))  # Sigstore's own bundle model
    assert parsed.verification_material.public_key is not None
    assert parsed.verification_material.public_key.hint == signer.key_id
    assert parsed.dsse_envelope is not None
    assert parsed.dsse_envelope.payload == statement_bytes(bias_statement())
    ours = parse_bundle(bundle_bytes(bundle))
    assert ours.hint == signer.key_id and ours.tlog_entry_count == 0
    assert verify_envelope(ours.envelope, keys_of(signer)) == statement_bytes(bias_statement())


def test_sign_statement_refuses_invalid_statements(signer: LocalP256Signer) -> None:
    with pytest.raises(ValueError, match="audit sequence"):
        sign_statement({**bias_statement(), "predicate": {}}, signer)
    with pytest.raises(ValueError, match="hint"):
        wrap_envelope({}, hint="")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: {**b, "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"}, "mediaType"),
        (lambda b: {k: v for k, v in b.items() if k != "mediaType"}, "mediaType"),
        (lambda b: {k: v for k, v in b.items() if k != "dsseEnvelope"}, "dsseEnvelope"),
        (lambda b: {k: v for k, v in b.items() if k != "verificationMaterial"}, "verificationMaterial"),
        (lambda b: {**b, "verificationMaterial": {"tlogEntries": []}}, "publicKey"),
        (lambda b: {**b, "verificationMaterial": {"certificate": {"rawBytes": "AA=="}}}, "certificate"),
        (lambda b: {**b, "verificationMaterial": {"publicKey": {"hint": 5}}}, "hint must be a string"),
        (lambda b: {**b, "verificationMaterial": {"publicKey": {}, "tlogEntries": {}}}, "tlogEntries"),
        (lambda b: {**b, "messageSignature": {}}, "messageSignature"),
        (lambda b: json.dumps(b)[:-3], "not valid JSON"),
        (lambda b: [b], "JSON object"),
    ],
)
def test_malformed_bundles_are_rejected(signer: LocalP256Signer, mutate: Any, message: str) -> None:
    bundle = sign_statement(bias_statement(), signer)
    with pytest.raises(VerificationError, match=message):
        parse_bundle(mutate(bundle))
