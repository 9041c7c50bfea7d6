"""in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md).

A statement binds a *predicate* (what we claim: a bias report, an approval, a model manifest) to
one or more *subjects* identified by digest. We always require a SHA-256 digest on every subject
(the in-toto spec allows others; any extra algorithms must still be lowercase hex), because that
is what our verifier re-computes from the artifact.

Our own predicate types are versioned URIs under :data:`GOVERNANCE_PREDICATE_PREFIX`; each of
those predicates must name the audit-log entry it was recorded at, which ties the signed evidence
to the tamper-evident log: its entry id (:data:`AUDIT_ENTRY_FIELD`, since entries are accepted before
they are given a position) or, in statements signed before that, its sequence number
(:data:`AUDIT_SEQUENCE_FIELD`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from audit.pure.canonical import canonical_bytes

from .errors import VerificationError

STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"

GOVERNANCE_PREDICATE_PREFIX: Final = "https://modelops-governance.dev/attestation/"
BIAS_REPORT_PREDICATE: Final = GOVERNANCE_PREDICATE_PREFIX + "bias-report/v1"
MODEL_CARD_PREDICATE: Final = GOVERNANCE_PREDICATE_PREFIX + "model-card/v1"
APPROVAL_DECISION_PREDICATE: Final = GOVERNANCE_PREDICATE_PREFIX + "approval-decision/v1"
GATE_DECISION_PREDICATE: Final = GOVERNANCE_PREDICATE_PREFIX + "gate-decision/v1"
COMPLIANCE_REPORT_PREDICATE: Final = GOVERNANCE_PREDICATE_PREFIX + "compliance-report/v1"
TEST_RESULT_PREDICATE: Final = "https://in-toto.io/attestation/test-result/v0.1"
"""in-toto's test-result predicate: the deploy gate's verdicts, so policy engines can re-check them."""

AUDIT_SEQUENCE_FIELD: Final = "audit_sequence"
"""Predicate member holding the audit-log sequence number (non-negative int) of the event (legacy)."""
AUDIT_ENTRY_FIELD: Final = "audit_entry"
"""Predicate member holding the audit-log entry id (a UUID string) of the event."""
_UUID_RE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_HEX_RE: Final = re.compile(r"[0-9a-f]+")
_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Subject:
    """A statement subject (in-toto ResourceDescriptor with ``name`` and ``digest``)."""

    name: str
    digest: Mapping[str, str]

    @property
    def sha256(self) -> str:
        return self.digest["sha256"]


@dataclass(frozen=True)
class Statement:
    """A validated in-toto Statement v1."""

    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]

    @property
    def audit_sequence(self) -> int | None:
        """The audit sequence number recorded in the predicate, if any (statements before entry ids)."""
        value = self.predicate.get(AUDIT_SEQUENCE_FIELD)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def audit_entry(self) -> str | None:
        """The audit entry id recorded in the predicate, if any."""
        value = self.predicate.get(AUDIT_ENTRY_FIELD)
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "_type": STATEMENT_TYPE,
            "subject": [{"name": s.name, "digest": dict(s.digest)} for s in self.subjects],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }


def subject(name: str, sha256_hex: str) -> dict[str, Any]:
    """A subject entry ``{"name": ..., "digest": {"sha256": ...}}``."""
    return {"name": name, "digest": {"sha256": sha256_hex}}


def _invalid(message: str) -> VerificationError:
    return VerificationError(f"invalid in-toto statement: {message}")


def _validate_subject(index: int, raw: object) -> Subject:
    if not isinstance(raw, Mapping):
        raise _invalid(f"subject #{index} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _invalid(f"subject #{index} needs a non-empty name")
    digest = raw.get("digest")
    if not isinstance(digest, Mapping) or not digest:
        raise _invalid(f"subject #{index} ({name}) needs a digest object")
    clean: dict[str, str] = {}
    for algorithm, value in digest.items():
        if not isinstance(algorithm, str) or not isinstance(value, str) or not _HEX_RE.fullmatch(value):
            raise _invalid(f"subject #{index} ({name}) digest {algorithm!r} must be lowercase hex")
        clean[algorithm] = value
    if not _SHA256_RE.fullmatch(clean.get("sha256", "")):
        raise _invalid(f"subject #{index} ({name}) needs a sha256 digest of 64 lowercase hex characters")
    return Subject(name=name, digest=clean)


def _validate_predicate(predicate_type: object, predicate: object) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(predicate_type, str) or not predicate_type:
        raise _invalid("predicateType must be a non-empty string (a URI)")
    if not isinstance(predicate, Mapping):
        raise _invalid("predicate must be a JSON object")
    entry = predicate.get(AUDIT_ENTRY_FIELD)
    if entry is not None and not (isinstance(entry, str) and _UUID_RE.fullmatch(entry)):
        raise _invalid(f"{AUDIT_ENTRY_FIELD!r} must be a lowercase UUID string")
    if predicate_type.startswith(GOVERNANCE_PREDICATE_PREFIX) and entry is None:
        sequence = predicate.get(AUDIT_SEQUENCE_FIELD)
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise _invalid(
                f"{predicate_type} predicates must name the audit entry they were logged at: its id "
                f"in {AUDIT_ENTRY_FIELD!r} or (before entry ids) its audit sequence number as a "
                f"non-negative integer in {AUDIT_SEQUENCE_FIELD!r}"
            )
    return predicate_type, predicate


def validate_statement(raw: object) -> Statement:
    """Validate a decoded statement (types, non-empty subjects, sha256 digests, predicate)."""
    if not isinstance(raw, Mapping):
        raise _invalid("must be a JSON object")
    if raw.get("_type") != STATEMENT_TYPE:
        raise _invalid(f"_type is {raw.get('_type')!r}, expected {STATEMENT_TYPE!r}")
    subjects = raw.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise _invalid("subject must be a non-empty array")
    parsed = tuple(_validate_subject(i, s) for i, s in enumerate(subjects))
    predicate_type, predicate = _validate_predicate(raw.get("predicateType"), raw.get("predicate", {}))
    return Statement(subjects=parsed, predicate_type=predicate_type, predicate=dict(predicate))


def statement(
    subjects: Sequence[Mapping[str, Any]], predicate_type: str, predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """Build (and validate) an in-toto Statement v1 dict."""
    raw = {
        "_type": STATEMENT_TYPE,
        "subject": [dict(s) for s in subjects],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }
    try:
        validate_statement(raw)
    except VerificationError as exc:
        raise ValueError(str(exc)) from exc
    return raw


def statement_bytes(value: Mapping[str, Any]) -> bytes:
    """The DSSE payload for a statement: RFC 8785 canonical JSON, so the bytes are reproducible."""
    return canonical_bytes(value)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise VerificationError(f"duplicate JSON member {key!r} in statement")
        result[key] = value
    return result


def parse_statement(payload: bytes) -> Statement:
    """Decode a DSSE payload as a statement; duplicate JSON members are refused (ambiguity)."""
    try:
        raw = json.loads(payload.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except VerificationError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError(f"statement payload is not valid UTF-8 JSON: {exc}") from exc
    return validate_statement(raw)
