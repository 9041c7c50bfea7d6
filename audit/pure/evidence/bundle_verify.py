"""One-call verification of an evidence bundle: what ``govctl verify bundle`` runs.

Order of checks (each failure is a :class:`VerificationError` with a specific message; there is
no code path that returns without every applicable check having passed):

1. Bundle structure (Sigstore bundle v0.3, public-key material, DSSE envelope).
2. Key selection from the JWKS: ``publicKey.hint`` may be our key id or ``model_signing``'s PEM
   fingerprint; the DSSE ``keyid`` must be a JWKS kid (or empty, as model_signing writes it).
   Retired keys verify and are reported as retired; revoked keys are refused.
3. DSSE v1 signature over PAE(payloadType, payload); payloadType must be in-toto.
4. in-toto Statement v1 validation; for ``model_signing`` predicates also the manifest's internal
   consistency (subject digest = hash of the resource digests).
5. Optionally the artifact: a model directory/file is re-hashed and compared per file; any other
   artifact must be a file whose SHA-256 equals a subject digest.

Only the standard library, ``cryptography`` and this package are needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import parse_bundle
from .dsse import IN_TOTO_PAYLOAD_TYPE, parse_envelope, verify_envelope_detailed
from .errors import KeyFormatError, VerificationError
from .intoto import Statement, Subject, parse_statement
from .keys import KeyStatus, TrustedKey, trusted_keys_from_jwks
from .model_artifact import (
    MODEL_SIGNING_PREDICATE_TYPE,
    ModelManifest,
    check_model,
    manifest_from_statement,
    sha256_file,
)

__all__ = ["VerificationError", "VerifiedAttestation", "verify_bundle"]


@dataclass(frozen=True)
class VerifiedAttestation:
    """What a successfully verified bundle says, and who signed it."""

    key_id: str
    key_status: KeyStatus
    key_retired_at: dt.datetime | None
    statement: Statement
    model_manifest: ModelManifest | None
    artifact_verified: bool
    matched_subject: Subject | None

    @property
    def predicate_type(self) -> str:
        return self.statement.predicate_type

    @property
    def predicate(self) -> Mapping[str, Any]:
        return self.statement.predicate

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return self.statement.subjects

    @property
    def audit_entry(self) -> str | None:
        return self.statement.audit_entry

    @property
    def audit_sequence(self) -> int | None:
        return self.statement.audit_sequence


def _select_keys(hint: str | None, keys: Mapping[str, TrustedKey]) -> dict[str, TrustedKey]:
    """Narrow the JWKS to the key the hint names; an unknown hint is an unknown key."""
    if hint is None:
        return dict(keys)
    for key in keys.values():
        if hint in (key.key_id, key.model_signing_hint):
            return {key.key_id: key}
    raise VerificationError(f"unknown signing key: bundle hint {hint} matches no key in the JWKS")


def _check_artifact(statement: Statement, path: Path) -> Subject:
    if path.is_dir():
        raise VerificationError(
            f"artifact {path} is a directory, but {statement.predicate_type} subjects are single files"
        )
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise VerificationError(f"cannot read artifact {path}: {exc.strerror or exc}") from exc
    for candidate in statement.subjects:
        if candidate.sha256 == digest:
            return candidate
    names = ", ".join(s.name for s in statement.subjects)
    raise VerificationError(
        f"artifact {path} (sha256 {digest}) matches no subject digest (subjects: {names})"
    )


def verify_bundle(
    bundle_json: bytes | str | Mapping[str, Any],
    jwks: Mapping[str, Any],
    artifact_path: Path | None = None,
) -> VerifiedAttestation:
    """Verify a bundle against a JWKS and, optionally, the artifact it attests to."""
    parsed = parse_bundle(bundle_json)
    try:
        keys = trusted_keys_from_jwks(jwks)
    except KeyFormatError as exc:
        raise VerificationError(f"invalid JWKS: {exc}") from exc
    candidates = _select_keys(parsed.hint, keys)
    named = {keyid for keyid, _ in parse_envelope(parsed.envelope).signatures if keyid}
    if parsed.hint is not None and named and not named & set(candidates):
        raise VerificationError(
            f"bundle publicKey.hint names key {next(iter(candidates))}, "
            f"but the DSSE signatures name {', '.join(sorted(named))}"
        )
    verified = verify_envelope_detailed(
        parsed.envelope,
        {kid: key.public_key for kid, key in candidates.items()},
        payload_type=IN_TOTO_PAYLOAD_TYPE,
    )
    key = candidates[verified.key_id]
    if key.status == "revoked":
        raise VerificationError(
            f"signing key {key.key_id} was revoked at {key.retired_at}; evidence is untrusted"
        )
    statement = parse_statement(verified.payload)

    manifest: ModelManifest | None = None
    if statement.predicate_type == MODEL_SIGNING_PREDICATE_TYPE:
        manifest = manifest_from_statement(statement)

    matched: Subject | None = None
    if artifact_path is not None:
        artifact = Path(artifact_path)
        if manifest is not None:
            check_model(manifest, artifact)
            matched = statement.subjects[0]
        else:
            matched = _check_artifact(statement, artifact)

    return VerifiedAttestation(
        key_id=key.key_id,
        key_status=key.status,
        key_retired_at=key.retired_at,
        statement=statement,
        model_manifest=manifest,
        artifact_verified=artifact_path is not None,
        matched_subject=matched,
    )
