"""The one owner of the model-version lifecycle: every status change goes through here.

Approvals (submitted, approved, rejected, back to draft), the deploy gate (deployed), the expiry
task (expired) and retirement all call ``model_version_transition``; nobody sets ``status`` and
saves. Callers authorise the actor for their own reasons (four-eyes, gate scopes); this service
guarantees that the move is legal for the version's current state, that it happens under a row
lock, and that it is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_append
from governance.core.exceptions import ConflictError
from governance.inventory import events, lifecycle
from governance.inventory.models import ModelVersion


@transaction.atomic
def model_version_transition(
    *,
    actor: Actor,
    model_version: ModelVersion,
    to: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
) -> ModelVersion:
    """Move a version to status ``to``: lock the row, check the transition, save, audit.

    ``reason`` says why in words; ``evidence`` names what the move rests on (an approval request,
    a gate decision) so the audit event links to it.
    """
    if to not in lifecycle.TRANSITIONS:
        raise ConflictError(f"Unknown status {to!r}.", field="status", code="invalid_transition")
    if not reason.strip():
        raise ConflictError("A status change needs a reason.", field="reason", code="reason_required")
    mv = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    current = mv.status
    if not lifecycle.can_transition(current, to):
        raise ConflictError(
            f"Version {mv} cannot go from {current} to {to}.", field="status", code="invalid_transition"
        )
    mv.status = to
    mv.updated_at = timezone.now()
    mv._transition_in_service = True  # type: ignore[attr-defined]
    try:
        mv.save(update_fields=["status", "updated_at"])
    finally:
        mv._transition_in_service = False  # type: ignore[attr-defined]
    mv.refresh_loaded_state()
    payload: dict[str, Any] = {"from": current, "to": to, "reason": reason}
    if evidence:
        payload["evidence"] = evidence
    audit_append(actor=actor, action=events.MODEL_VERSION_TRANSITION, target=mv, payload=payload)
    model_version.status = mv.status
    model_version.updated_at = mv.updated_at
    model_version.refresh_loaded_state()
    return mv
