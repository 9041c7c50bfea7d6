"""Signed statements about what the service recorded. Each names the audit entry (by id) it was
logged at, so a verifier can find the same fact in the tamper-evident log; the entry's position and
inclusion proof come from ``GET /api/v1/audit/events/{id}`` once it is integrated."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from audit.models import Attestation, AuditEvent
from audit.pure.evidence.bundle import sign_statement
from audit.pure.evidence.intoto import AUDIT_ENTRY_FIELD, statement, subject
from audit.pure.evidence.keys import model_signing_hint
from audit.signing import current_signer


def attestation_create(
    *,
    target: models.Model,
    subject_name: str,
    subject_digest: str,
    predicate_type: str,
    predicate: dict[str, Any],
    audit_event: AuditEvent,
) -> Attestation:
    """Sign an in-toto statement over ``subject_digest`` (hex sha256) and keep its bundle.

    Call inside the transaction that wrote ``audit_event``: if signing fails, the state change and
    its event roll back with it, so nothing is recorded without its signature.
    """
    body = {**predicate, AUDIT_ENTRY_FIELD: str(audit_event.entry_id)}
    return attestation_for_statement(
        target=target,
        statement=statement([subject(subject_name, subject_digest)], predicate_type, body),
        audit_event=audit_event,
    )


def attestation_for_statement(
    *, target: models.Model, statement: dict[str, Any], audit_event: AuditEvent, model_signing: bool = False
) -> Attestation:
    """Sign a ready statement. ``model_signing`` bundles carry the key hint that
    ``model_signing verify key`` requires (sha256 of the PEM) instead of our key id."""
    signer = current_signer()
    hint = model_signing_hint(signer.public_key()) if model_signing else None
    bundle = sign_statement(statement, signer, hint=hint)
    return Attestation.objects.create(
        predicate_type=statement["predicateType"],
        subject_type=target._meta.label_lower,
        subject_id=str(target.pk),
        subject_digest=statement["subject"][0]["digest"]["sha256"],
        audit_entry_id=audit_event.entry_id,
        key_id=signer.key_id,
        bundle=bundle,
        created_at=timezone.now(),
    )
