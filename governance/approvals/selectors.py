"""Approval reads: the requests a principal may see, and the ones their roles may decide now."""

from __future__ import annotations

from collections import Counter

from django.db.models import QuerySet

from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.approvals.choices import Decision, RequestStatus
from governance.approvals.models import ApprovalRequest
from governance.approvals.policy import open_roles
from governance.approvals.services import decidable_roles, four_eyes_refusal


def approval_request_list(*, principal: Principal) -> QuerySet[ApprovalRequest]:
    """Requests of the teams ``principal`` may read, with what their list and detail show."""
    return (
        ApprovalRequest.objects.visible_to(principal)
        .select_related("model_version__model", "policy")
        .prefetch_related("decisions")
    )


def approval_pending_for(*, principal: Principal) -> list[ApprovalRequest]:
    """Open requests where ``principal`` may decide now: four-eyes allows it, they have not
    decided yet, and one of their roles is still short of its quorum. Oldest first."""
    if not principal.has_scope(Scope.APPROVALS_DECIDE) or principal.kind != "user":
        return []
    eligible = decidable_roles(principal)
    pending = []
    for request in (
        approval_request_list(principal=principal)
        .filter(status=RequestStatus.OPEN)
        .order_by("created_at", "id")
    ):
        if four_eyes_refusal(actor=principal, request=request):
            continue
        decisions = list(request.decisions.all())
        if any(d.reviewer == principal.ident for d in decisions):
            continue
        approvals = Counter(d.role for d in decisions if d.decision == Decision.APPROVE)
        if any(role in eligible for role in open_roles(request.required_roles, approvals)):
            pending.append(request)
    return pending
