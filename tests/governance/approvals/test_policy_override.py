"""A model's own approval policy (``approval_policy_create_override``): admins only, with a reason, once."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from governance.approvals.models import ApprovalPolicy
from governance.approvals.policies import approval_policy_create_override
from governance.approvals.services import approval_policy_for, approval_policy_revise
from governance.core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from tests.governance.approvals.conftest import as_principal

pytestmark = pytest.mark.django_db


def test_override_copies_the_tier_changes_what_is_asked_and_is_audited_with_its_reason(cast):
    tier = approval_policy_for(cast.mv)
    admin = as_principal(cast.admin)
    policy = approval_policy_create_override(
        actor=admin, model=cast.mv.model, reason="Pilot: one run per approval.", validity_days=0
    )
    assert approval_policy_for(cast.mv) == policy and tier.is_current  # the tier's policy is untouched
    assert (policy.model, policy.version, policy.risk_tier) == (cast.mv.model, 1, "high")
    assert policy.validity_days == 0 and policy.required_roles == tier.required_roles
    assert policy.created_by == admin.ident
    event = AuditEvent.objects.get(action="approval_policy.override")
    assert event.payload["reason"] == "Pilot: one run per approval."
    assert event.payload["tier_policy_id"] == tier.pk and event.actor == admin.ident
    # from then on it is revised like any policy
    revised = approval_policy_revise(actor=admin, policy=policy, validity_days=7)
    assert approval_policy_for(cast.mv) == revised and revised.version == 2


def test_only_admins_with_a_reason_once_and_with_known_fields(cast):
    model = cast.mv.model
    with pytest.raises(PermissionDeniedError):
        approval_policy_create_override(
            actor=as_principal(cast.risk), model=model, reason="x", validity_days=0
        )
    admin = as_principal(cast.admin)
    with pytest.raises(ApplicationError) as missing_reason:
        approval_policy_create_override(actor=admin, model=model, reason="  ", validity_days=0)
    assert missing_reason.value.code == "reason_required"
    with pytest.raises(ApplicationError) as unknown:
        approval_policy_create_override(actor=admin, model=model, reason="x", validity=0)
    assert unknown.value.field == "validity"
    with pytest.raises(ApplicationError) as bad_roles:
        approval_policy_create_override(actor=admin, model=model, reason="x", required_roles={"submitter": 1})
    assert bad_roles.value.field == "required_roles"
    approval_policy_create_override(actor=admin, model=model, reason="Pilot.", validity_days=0)
    with pytest.raises(ConflictError) as again:
        approval_policy_create_override(actor=admin, model=model, reason="Again.", validity_days=1)
    assert again.value.code == "override_exists"
    assert ApprovalPolicy.objects.filter(model=model).count() == 1
