"""Approvals over time: lapse approvals past their validity, and re-validate what reviewers saw.

An approval is bound to the hash of the evidence it was given on and to a validity period. The
periodic task (``approvals.expire_due``, beat) and the evidence receivers call these functions:

- an approved request past ``expires_at`` lapses: request ``expired``, version ``expired`` (through
  the lifecycle service), so it must be re-submitted before the gate passes it again;
- an open or approved request whose evidence hash no longer matches goes ``stale``: its decisions
  stop counting; an approved version lapses to ``expired`` (review re-opens by re-submitting).

Both are audited; webhooks announce them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts.principal import Principal, worker_principal
from governance.approvals import events
from governance.approvals.choices import RequestStatus
from governance.approvals.evidence import evidence_sha256, evidence_snapshot
from governance.approvals.models import ApprovalRequest
from governance.approvals.notify import approval_notify
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from governance.inventory.transitions import model_version_transition

logger = logging.getLogger(__name__)
LIVE = (RequestStatus.OPEN, RequestStatus.APPROVED)
LAPSABLE = frozenset({lifecycle.APPROVED, lifecycle.DEPLOYED})


@dataclass
class ExpiryResult:
    """What one run changed (logged, printed by the management command)."""

    expired: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


def _lapse_version(*, actor: Principal, request: ApprovalRequest, reason: str) -> None:
    mv = ModelVersion.objects.select_for_update().get(pk=request.model_version_id)
    if mv.status in LAPSABLE:
        model_version_transition(
            actor=actor,
            model_version=mv,
            to=lifecycle.EXPIRED,
            reason=reason,
            evidence={"approval_request_id": request.pk},
        )


@transaction.atomic
def approval_request_expire(
    request: ApprovalRequest, *, actor: Principal | None = None, now: dt.datetime | None = None
) -> bool:
    """Lapse one approved request whose validity has ended (False: not approved or not yet due)."""
    now = now or timezone.now()
    actor = actor or worker_principal("approvals.expiry")
    locked = (
        ApprovalRequest.objects.select_for_update().select_related("model_version__model").get(pk=request.pk)
    )
    if locked.status != RequestStatus.APPROVED or locked.expires_at is None or locked.expires_at > now:
        return False
    locked.status = RequestStatus.EXPIRED
    locked.save(update_fields=["status"])
    audit_append(
        actor=actor,
        action=events.APPROVAL_REQUEST_EXPIRE,
        target=locked,
        payload={"expires_at": locked.expires_at, "model_version_id": locked.model_version_id},
    )
    _lapse_version(
        actor=actor,
        request=locked,
        reason=f"Approval request #{locked.pk} expired on {locked.expires_at:%Y-%m-%d}",
    )
    approval_notify(locked, "approval.expired")
    request.status = locked.status
    return True


@transaction.atomic
def approval_request_revalidate(request: ApprovalRequest, *, actor: Principal | None = None) -> bool:
    """Recompute the evidence hash of an open or approved request; a change makes it stale.

    True when it went stale. An approved version then lapses to ``expired``: the approval was given on
    evidence that no longer holds, so the version must be reviewed again.
    """
    locked = (
        ApprovalRequest.objects.select_for_update()
        .select_related("policy", "model_version__model")
        .get(pk=request.pk)
    )
    if locked.status not in LIVE:
        return False
    mv = locked.model_version
    current = evidence_sha256(evidence_snapshot(model_version=mv, policy=locked.policy))
    if current == locked.evidence_sha256:
        return False
    actor = actor or worker_principal("approvals.evidence_watch")
    was = locked.status
    locked.status = RequestStatus.STALE
    locked.decided_at = locked.decided_at or timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    audit_append(
        actor=actor,
        action=events.APPROVAL_REQUEST_STALE,
        target=locked,
        payload={"previous_sha256": locked.evidence_sha256, "current_sha256": current, "was": was},
    )
    if was == RequestStatus.APPROVED:
        _lapse_version(
            actor=actor,
            request=locked,
            reason=f"Evidence approved under request #{locked.pk} changed; the version needs a new review",
        )
    approval_notify(locked, "approval.stale")
    request.status, request.decided_at = locked.status, locked.decided_at
    return True


def approvals_revalidate_for(model_version_ids: set[int]) -> list[int]:
    """Re-validate the live requests of some versions (after their evidence changed). Returns stale ids."""
    stale = []
    for request in ApprovalRequest.objects.filter(model_version_id__in=model_version_ids, status__in=LIVE):
        if approval_request_revalidate(request):
            stale.append(request.pk)
    return stale


def approvals_expire_due(*, now: dt.datetime | None = None) -> ExpiryResult:
    """The periodic pass: lapse what is past its validity, then re-validate every live request.

    Each request is its own transaction, so one failure does not hold back the rest; re-validating
    everything catches evidence changed by a path no receiver saw (raw SQL, a crash before the nudge).
    """
    now = now or timezone.now()
    result = ExpiryResult()
    due = ApprovalRequest.objects.filter(status=RequestStatus.APPROVED, expires_at__lte=now).order_by("pk")
    for request in due:
        if approval_request_expire(request, now=now):
            result.expired.append(request.pk)
    for request in ApprovalRequest.objects.filter(status__in=LIVE).order_by("pk"):
        if approval_request_revalidate(request):
            result.stale.append(request.pk)
    if result.expired or result.stale:
        logger.info("approvals: %d expired, %d stale", len(result.expired), len(result.stale))
    return result
