"""audit.pure.evidence.bundle_verify.verify_bundle and the model manifest checks behind it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audit.pure.evidence import model_artifact
from audit.pure.evidence.bundle import sign_statement, wrap_envelope
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.dsse import sign_envelope
from audit.pure.evidence.errors import VerificationError
from audit.pure.evidence.intoto import (
    COMPLIANCE_REPORT_PREDICATE,
    GATE_DECISION_PREDICATE,
    MODEL_CARD_PREDICATE,
    statement,
    statement_bytes,
    subject,
)
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document, model_signing_hint
from audit.pure.evidence.model_artifact import (
    CHUNK_SIZE,
    MODEL_SIGNING_PREDICATE_TYPE,
    attest_model,
    compute_manifest,
    sha256_file,
)

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def jwks_for(*signers: LocalP256Signer) -> dict[str, Any]:
    return jwks_document([jwk_from_public_key(s.public_key(), created_at=T0) for s in signers])


def card_bundle(signer: LocalP256Signer, artifact: Path | None = None, sequence: int = 7) -> dict[str, Any]:
    digest = sha256_file(artifact) if artifact else "0" * 64
    name = artifact.name if artifact else "model-card.json"
    st = statement(
        [subject(name, digest)], MODEL_CARD_PREDICATE, {"audit_sequence": sequence, "card_id": "c-1"}
    )
    return sign_statement(st, signer)


def test_verify_governance_bundle_reports_signer_and_sequence() -> None:
    signer = LocalP256Signer.generate()
    verified = verify_bundle(json.dumps(card_bundle(signer, sequence=1234)).encode(), jwks_for(signer))
    assert verified.key_id == signer.key_id and verified.key_status == "active"
    assert verified.predicate_type == MODEL_CARD_PREDICATE
    assert verified.predicate["card_id"] == "c-1"
    assert verified.audit_sequence == 1234
    assert verified.model_manifest is None and verified.artifact_verified is False
    assert verify_bundle(json.dumps(card_bundle(signer)), jwks_for(signer)).audit_sequence == 7


def test_rotation_keeps_old_bundles_verifiable_and_reports_retirement() -> None:
    old = LocalP256Signer.generate()
    old_bundle = card_bundle(old, sequence=1)
    new = LocalP256Signer.generate()  # rotation: new key, old one marked retired
    rotated_at = T0 + dt.timedelta(days=30)
    jwks = jwks_document(
        [
            jwk_from_public_key(old.public_key(), status="retired", created_at=T0, retired_at=rotated_at),
            jwk_from_public_key(new.public_key(), created_at=rotated_at),
        ]
    )
    verified_old = verify_bundle(old_bundle, jwks)
    assert verified_old.key_id == old.key_id
    assert verified_old.key_status == "retired" and verified_old.key_retired_at == rotated_at
    verified_new = verify_bundle(card_bundle(new, sequence=2), jwks)
    assert verified_new.key_status == "active" and verified_new.key_retired_at is None


def test_revoked_key_is_refused() -> None:
    signer = LocalP256Signer.generate()
    jwks = jwks_document([jwk_from_public_key(signer.public_key(), status="revoked", retired_at=T0)])
    with pytest.raises(VerificationError, match="revoked"):
        verify_bundle(card_bundle(signer), jwks)


def test_key_missing_from_jwks_is_unknown() -> None:
    signer, other = LocalP256Signer.generate(), LocalP256Signer.generate()
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_bundle(card_bundle(signer), jwks_for(other))
    no_hint = card_bundle(signer)
    no_hint["verificationMaterial"]["publicKey"] = {}
    with pytest.raises(VerificationError, match="unknown signing key id"):
        verify_bundle(no_hint, jwks_for(other))
    assert verify_bundle(no_hint, jwks_for(other, signer)).key_id == signer.key_id


def test_hint_naming_one_key_and_keyid_another_is_refused() -> None:
    signer, other = LocalP256Signer.generate(), LocalP256Signer.generate()
    bundle = card_bundle(signer)
    bundle["verificationMaterial"]["publicKey"]["hint"] = other.key_id
    with pytest.raises(VerificationError, match=r"hint names key .* but the DSSE signatures name"):
        verify_bundle(bundle, jwks_for(signer, other))


def test_model_signing_style_hint_is_accepted() -> None:
    signer = LocalP256Signer.generate()
    st = statement([subject("x", "1" * 64)], GATE_DECISION_PREDICATE, {"audit_sequence": 3, "allowed": True})
    bundle = sign_statement(st, signer, hint=model_signing_hint(signer.public_key()))
    assert verify_bundle(bundle, jwks_for(signer)).key_id == signer.key_id


def test_forged_signature_and_payload_are_refused() -> None:
    signer = LocalP256Signer.generate()
    bundle = card_bundle(signer)
    forged_statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    forged_statement["predicate"]["card_id"] = "c-2"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(statement_bytes(forged_statement)).decode()
    with pytest.raises(VerificationError, match="bad signature"):
        verify_bundle(bundle, jwks_for(signer))
    impostor = LocalP256Signer.generate()
    stolen_name = card_bundle(impostor)
    stolen_name["dsseEnvelope"]["signatures"][0]["keyid"] = signer.key_id
    stolen_name["verificationMaterial"]["publicKey"]["hint"] = signer.key_id
    with pytest.raises(VerificationError, match="bad signature"):
        verify_bundle(stolen_name, jwks_for(signer))


def test_validly_signed_but_invalid_statement_is_refused() -> None:
    signer = LocalP256Signer.generate()
    bad = {"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x", "predicate": {}}
    bundle = wrap_envelope(
        sign_envelope(json.dumps(bad).encode(), "application/vnd.in-toto+json", signer), hint=signer.key_id
    )
    with pytest.raises(VerificationError, match="subject must be a non-empty array"):
        verify_bundle(bundle, jwks_for(signer))
    other_type = wrap_envelope(sign_envelope(b"{}", "application/json", signer), hint=signer.key_id)
    with pytest.raises(VerificationError, match="payloadType"):
        verify_bundle(other_type, jwks_for(signer))


def test_malformed_inputs_raise_verification_error_not_crashes() -> None:
    signer = LocalP256Signer.generate()
    for junk in (b"", b"null", b"[]", b'{"mediaType": 1}', "\u2603", b"\xff"):
        with pytest.raises(VerificationError):
            verify_bundle(junk, jwks_for(signer))
    with pytest.raises(VerificationError, match="invalid JWKS"):
        verify_bundle(card_bundle(signer), {"keys": [{"kty": "oct"}]})
    with pytest.raises(VerificationError, match="invalid JWKS"):
        verify_bundle(card_bundle(signer), {})


def test_single_file_artifact_must_match_a_subject(tmp_path: Path) -> None:
    signer = LocalP256Signer.generate()
    report = tmp_path / "compliance.pdf"
    report.write_bytes(os.urandom(2 * CHUNK_SIZE + 3))
    st = statement(
        [subject("other.json", "2" * 64), subject(report.name, sha256_file(report))],
        COMPLIANCE_REPORT_PREDICATE,
        {"audit_sequence": 99},
    )
    bundle = sign_statement(st, signer)
    verified = verify_bundle(bundle, jwks_for(signer), report)
    assert verified.artifact_verified and verified.matched_subject is not None
    assert verified.matched_subject.name == "compliance.pdf"

    report.write_bytes(report.read_bytes()[:-1] + b"!")
    with pytest.raises(VerificationError, match="matches no subject digest"):
        verify_bundle(bundle, jwks_for(signer), report)
    with pytest.raises(VerificationError, match="cannot read artifact"):
        verify_bundle(bundle, jwks_for(signer), tmp_path / "missing.pdf")
    with pytest.raises(VerificationError, match="is a directory"):
        verify_bundle(bundle, jwks_for(signer), tmp_path)


def test_sha256_file_streams_in_bounded_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(3 * CHUNK_SIZE + 17)
    path = tmp_path / "blob"
    path.write_bytes(data)
    requested: list[int] = []

    class CountingFile(io.FileIO):
        def readinto(self, buffer: Any) -> int | None:
            requested.append(len(buffer))
            return super().readinto(buffer)

        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("files must be streamed with readinto, not read()")

    monkeypatch.setattr(model_artifact, "open", lambda p, *a, **k: CountingFile(p, "rb"), raising=False)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert requested == [CHUNK_SIZE] * 5 and CHUNK_SIZE == 1024 * 1024
    assert sha256_file(path, chunk_size=7) == hashlib.sha256(data).hexdigest()


# --- model predicates ---------------------------------------------------------------------------


def make_model(root: Path) -> Path:
    model = root / "m"
    (model / "sub").mkdir(parents=True)
    (model / "a.bin").write_bytes(os.urandom(1000))
    (model / "sub" / "b.bin").write_bytes(os.urandom(10))
    return model


def forged_model_bundle(signer: LocalP256Signer, model: Path, **predicate_changes: Any) -> dict[str, Any]:
    st = compute_manifest(model).statement()
    st["predicate"].update(predicate_changes)
    return sign_statement(st, signer, hint=model_signing_hint(signer.public_key()))


def test_model_bundle_records_ignores_and_sequence(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    (model / ".git").mkdir()
    (model / ".git" / "config").write_text("[core]\n")
    (model / "notes.md").write_text("not part of the model")
    signer = LocalP256Signer.generate()
    bundle = attest_model(model, signer, ignore_paths=["notes.md"], audit_sequence=5)
    verified = verify_bundle(bundle, jwks_for(signer), model)
    assert verified.audit_sequence == 5
    assert verified.model_manifest is not None
    assert [r.name for r in verified.model_manifest.resources] == ["a.bin", "sub/b.bin"]
    assert set(verified.model_manifest.ignore_paths) == {
        ".git",
        ".gitattributes",
        ".github",
        ".gitignore",
        "notes.md",
    }
    (model / "notes.md").write_text("ignored, so edits do not matter")
    (model / ".git" / "config").write_text("ignored too")
    verify_bundle(bundle, jwks_for(signer), model)


def test_inconsistent_model_manifest_is_refused_even_without_artifact(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    resources = compute_manifest(model).statement()["predicate"]["resources"]
    resources[0]["digest"] = "f" * 64  # subject digest no longer covers the resources
    with pytest.raises(VerificationError, match="does not match the resources"):
        verify_bundle(forged_model_bundle(signer, model, resources=resources), jwks_for(signer))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"serialization": {"method": "shards", "hash_type": "sha256", "allow_symlinks": False}}, "method"),
        ({"serialization": {"method": "files", "hash_type": "blake3", "allow_symlinks": False}}, "hash_type"),
        (
            {"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": "no"}},
            "allow_symlinks",
        ),
        (
            {
                "serialization": {
                    "method": "files",
                    "hash_type": "sha256",
                    "allow_symlinks": False,
                    "ignore_paths": 1,
                }
            },
            "ignore_paths",
        ),
        ({"serialization": None}, "serialization"),
        ({"resources": None}, "resources"),
        ({"resources": [{"name": "a", "algorithm": "md5", "digest": "0" * 64}]}, "algorithm"),
        ({"resources": [{"name": "a", "algorithm": "sha256", "digest": "xyz"}]}, "digest"),
        ({"resources": [{"algorithm": "sha256", "digest": "0" * 64}]}, "name"),
    ],
)
def test_unsupported_or_malformed_model_predicates_are_refused(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    signer = LocalP256Signer.generate()
    with pytest.raises(VerificationError, match=message):
        verify_bundle(forged_model_bundle(signer, make_model(tmp_path), **change), jwks_for(signer))


def test_model_statement_with_two_subjects_is_refused(tmp_path: Path) -> None:
    signer = LocalP256Signer.generate()
    st = compute_manifest(make_model(tmp_path)).statement()
    st["subject"].append(subject("extra", "3" * 64))
    with pytest.raises(VerificationError, match="exactly one subject"):
        verify_bundle(sign_statement(st, signer), jwks_for(signer))


def test_model_artifact_problems_are_reported(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    bundle = attest_model(model, signer)
    with pytest.raises(VerificationError, match="does not exist"):
        verify_bundle(bundle, jwks_for(signer), tmp_path / "nope")
    (model / "link").symlink_to(model / "a.bin")
    with pytest.raises(VerificationError, match="symlink"):
        verify_bundle(bundle, jwks_for(signer), model)
    (model / "link").unlink()
    os.mkfifo(model / "pipe")
    with pytest.raises(VerificationError, match="neither a regular file nor a directory"):
        verify_bundle(bundle, jwks_for(signer), model)


def test_signature_inside_model_is_ignored_and_recorded(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    signer = LocalP256Signer.generate()
    signature = model / "model.sig"
    bundle = attest_model(model, signer, signature_path=signature)
    signature.write_text(json.dumps(bundle))
    verified = verify_bundle(signature.read_bytes(), jwks_for(signer), model)
    assert verified.model_manifest is not None and "model.sig" in verified.model_manifest.ignore_paths
    outside = attest_model(model, signer, signature_path=tmp_path / "elsewhere.sig", ignore_git_paths=False)
    predicate = json.loads(base64.b64decode(outside["dsseEnvelope"]["payload"]))["predicate"]
    assert "ignore_paths" not in predicate["serialization"]  # omitted when empty, like model_signing
    assert MODEL_SIGNING_PREDICATE_TYPE == "https://model_signing/signature/v1.0"


def test_invalid_ignore_paths_are_refused(tmp_path: Path) -> None:
    model = make_model(tmp_path)
    for bad in ("/etc", "../x", "."):
        with pytest.raises(ValueError, match="relative path inside the model"):
            compute_manifest(model, ignore_paths=[bad])
    with pytest.raises(ValueError, match="audit_sequence"):
        compute_manifest(model).statement(audit_sequence=-1)


def test_verify_module_needs_no_django_or_sigstore_stack() -> None:
    """``govctl verify bundle`` imports audit.pure.evidence.bundle_verify standalone: keep it pure."""
    code = (
        "import sys, audit.pure.evidence.bundle_verify\n"
        "heavy = {'django', 'model_signing', 'sigstore', 'sigstore_models', 'in_toto_attestation',"
        " 'google'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
