"""What approval webhooks say: one payload shape for submitted, decided, expired and stale.

Called inside the transaction that changed the request, so a delivery exists if and only if the
change committed (``webhook_event_emit`` records it and dispatches through the jobs outbox).
"""

from __future__ import annotations

from typing import Any

from governance.approvals.models import ApprovalDecision, ApprovalRequest
from governance.notifications.services import webhook_event_emit


def approval_notify(
    request: ApprovalRequest, event: str, *, decision: ApprovalDecision | None = None
) -> None:
    """Emit ``event`` (``approval.submitted|decided|expired|stale``) to the team's webhooks."""
    mv = request.model_version
    data: dict[str, Any] = {
        "approval_request_id": request.pk,
        "model": mv.model.name,
        "model_version": mv.version,
        "model_version_id": mv.pk,
        "environment": request.environment,
        "status": request.status,
        "submitted_by": request.submitted_by,
        "evidence_sha256": request.evidence_sha256,
        "expires_at": request.expires_at.isoformat() if request.expires_at else None,
    }
    if decision is not None:
        data["decision"] = {
            "id": decision.pk,
            "decision": decision.decision,
            "role": decision.role,
            "reviewer": decision.reviewer,
            "comment": decision.comment,
        }
    webhook_event_emit(team_id=mv.model.team_id, event=event, data=data)
