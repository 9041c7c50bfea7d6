"""Model-level approval policies: an administrator gives one model rules of its own.

A model's override takes the place of its risk tier's policy for every later submission of its
versions (``approval_policy_for``); it starts as a copy of the tier's current rules with the changes
asked for, and is then revised like any policy (``approval_policy_revise``). The reason is required
and kept in the audit log: an exception to the tier's rules must say why it exists.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from audit.services import audit_append, model_snapshot
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.approvals import events
from governance.approvals.models import ApprovalPolicy
from governance.approvals.services import POLICY_FIELDS, _validate_roles
from governance.core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from governance.inventory.models import RegisteredModel


@transaction.atomic
def approval_policy_create_override(
    *, actor: Principal, model: RegisteredModel, reason: str, **fields: Any
) -> ApprovalPolicy:
    """Create version 1 (or the next version) of ``model``'s own policy; refused if it already has one."""
    if not actor.has_scope(Scope.TEAMS_ADMIN):
        raise PermissionDeniedError("Only administrators can create approval policies.")
    if not reason.strip():
        raise ApplicationError(
            "A model's own policy needs a reason (why its tier's rules do not fit).",
            field="reason",
            code="reason_required",
        )
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(
            f"Unknown policy fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
    if ApprovalPolicy.objects.filter(model=model, is_current=True).exists():
        raise ConflictError(
            f"Model {model.name} already has its own policy; revise that one instead.",
            field="model",
            code="override_exists",
        )
    tier = ApprovalPolicy.objects.filter(
        model__isnull=True, risk_tier=model.risk_tier, is_current=True
    ).first()
    if tier is None:
        raise ConflictError(f"No approval policy covers risk tier {model.risk_tier}.", code="no_policy")
    values = {name: getattr(tier, name) for name in POLICY_FIELDS} | fields
    _validate_roles(values["required_roles"], "required_roles")
    _validate_roles(values["required_roles_when_phi"], "required_roles_when_phi")
    last = ApprovalPolicy.objects.filter(model=model).order_by("-version").values_list("version", flat=True)
    policy = ApprovalPolicy(
        risk_tier=model.risk_tier,
        model=model,
        version=(last.first() or 0) + 1,
        created_by=actor.ident,
        **values,
    )
    policy.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:  # a concurrent override of the same model won the race
        raise ConflictError(
            f"Model {model.name} already has its own policy; revise that one instead.",
            field="model",
            code="override_exists",
        ) from exc
    audit_append(
        actor=actor,
        action=events.APPROVAL_POLICY_OVERRIDE,
        target=policy,
        payload={"tier_policy_id": tier.pk, "reason": reason, "after": model_snapshot(policy)},
    )
    return policy
