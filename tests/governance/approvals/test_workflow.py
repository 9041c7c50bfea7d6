"""Submit, decide, withdraw and staleness through the services; seeded and revised policies."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.intoto import APPROVAL_DECISION_PREDICATE
from audit.signing import jwks
from governance.accounts.principal import cli_principal
from governance.approvals.evidence import evidence_sha256, evidence_snapshot
from governance.approvals.expiry import approval_request_revalidate
from governance.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from governance.approvals.selectors import approval_pending_for
from governance.approvals.services import (
    approval_decide,
    approval_policy_for,
    approval_policy_revise,
    approval_request_submit,
    approval_withdraw,
)
from governance.core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory
from tests.governance.approvals.conftest import add_bias_report, as_principal

pytestmark = pytest.mark.django_db


def _submit(cast, env="prod"):
    return approval_request_submit(
        actor=as_principal(cast.submitter), model_version=cast.mv, environment=env, comment="Ready for prod."
    )


def test_defaults_are_seeded_per_tier():
    current = {p.risk_tier: p for p in ApprovalPolicy.objects.filter(model__isnull=True, is_current=True)}
    assert set(current) == {"minimal", "limited", "high", "prohibited"}
    assert current["high"].required_roles == {"model_risk_reviewer": 1, "privacy_officer": 1}
    assert current["high"].required_roles_when_phi == {"clinical_safety_reviewer": 1}
    assert current["prohibited"].approvable is False


def test_submission_snapshots_and_hashes_the_evidence(cast):
    request = _submit(cast)
    cast.mv.refresh_from_db()
    assert cast.mv.status == "submitted"
    assert request.status == "open"
    assert request.evidence["artifact_digest"] == cast.mv.artifact_digest
    assert request.evidence["policy"]["version"] == 1
    assert request.evidence_sha256 == evidence_sha256(request.evidence)
    assert request.required_roles == {"model_risk_reviewer": 1, "privacy_officer": 1}
    assert AuditEvent.objects.filter(action="approval_request.submit", target_id=str(request.pk)).exists()


def test_submission_lists_every_missing_item(make_user, team_a):
    submitter = make_user("submitter", teams=(team_a,))
    mv = ModelVersionFactory(model=RegisteredModelFactory(team=team_a), artifact_digest="")
    with pytest.raises(ApplicationError) as exc:
        approval_request_submit(
            actor=as_principal(submitter), model_version=mv, environment="prod", comment="go"
        )
    assert exc.value.code == "evidence_missing"
    for item in ("model_card", "artifact_digest", "bias_report", "owner"):
        assert item in exc.value.message
        assert item in exc.value.field
    mv.refresh_from_db()
    assert mv.status == "draft"


def test_prohibited_tier_cannot_be_submitted(cast):
    cast.mv.model.risk_tier = "prohibited"
    cast.mv.model.save(update_fields=["risk_tier"])
    with pytest.raises(ApplicationError) as exc:
        _submit(cast)
    assert exc.value.code == "evidence_missing"
    assert "prohibited" in exc.value.message


def _link_personal_dataset(cast, *, phi=False, dpia=""):
    from governance.inventory.services import model_version_link_dataset

    dv = DatasetVersionFactory(
        dataset__team=cast.mv.model.team,
        contains_personal_data=True,
        contains_phi=phi,
        lawful_basis="consent",
        purpose="credit scoring",
        retention_days=365,
        data_subject_regions=["EU"],
        dpia_reference=dpia,
    )
    model_version_link_dataset(
        actor=as_principal(cast.producer), model_version=cast.mv, dataset_version=dv, usage="training"
    )
    return dv


def test_personal_data_needs_a_dpia(cast):
    dv = _link_personal_dataset(cast)
    with pytest.raises(ApplicationError) as exc:
        _submit(cast)
    assert exc.value.code == "evidence_missing"
    assert "dpia" in exc.value.field
    assert str(dv) in exc.value.message


def test_phi_adds_the_clinical_safety_role(cast):
    _link_personal_dataset(cast, phi=True, dpia="DPIA-2026-1")
    request = _submit(cast)
    assert request.required_roles == {
        "model_risk_reviewer": 1,
        "privacy_officer": 1,
        "clinical_safety_reviewer": 1,
    }


def test_quorum_of_distinct_roles_approves_the_version_and_signs_each_decision(cast):
    request = _submit(cast)
    first = approval_decide(
        actor=as_principal(cast.risk), request=request, decision="approve", comment="Sound."
    )
    cast.mv.refresh_from_db()
    assert (request.status, cast.mv.status) == ("open", "submitted")
    second = approval_decide(
        actor=as_principal(cast.privacy), request=request, decision="approve", comment="DPIA ok."
    )
    cast.mv.refresh_from_db()
    request.refresh_from_db()
    assert (request.status, cast.mv.status) == ("approved", "approved")
    assert request.expires_at is not None
    assert (first.role, second.role) == ("model_risk_reviewer", "privacy_officer")
    for decision in (first, second):
        verified = verify_bundle(decision.attestation.bundle, jwks())
        assert verified.predicate_type == APPROVAL_DECISION_PREDICATE
        assert verified.subjects[0].digest["sha256"] == request.evidence_sha256
        assert verified.predicate["decision"] == "approve"
        assert verified.predicate["reviewer"] == decision.reviewer
        assert verified.audit_entry == str(
            AuditEvent.objects.get(action="approval_decision.record", target_id=str(decision.pk)).entry_id
        )
    assert (
        AuditEvent.objects.filter(action="model_version.transition", target_id=str(cast.mv.pk)).count() == 2
    )


def test_request_changes_sends_back_to_draft_and_resubmission_keeps_history(cast):
    first = _submit(cast)
    approval_decide(
        actor=as_principal(cast.risk), request=first, decision="request_changes", comment="Add a test set."
    )
    cast.mv.refresh_from_db()
    assert (first.status, cast.mv.status) == ("changes_requested", "draft")
    second = _submit(cast)
    assert second.pk != first.pk
    assert list(
        ApprovalRequest.objects.filter(model_version=cast.mv).order_by("pk").values_list("status", flat=True)
    ) == [
        "changes_requested",
        "open",
    ]
    assert ApprovalDecision.objects.filter(request=first).count() == 1


def test_reject_is_final(cast):
    request = _submit(cast)
    approval_decide(
        actor=as_principal(cast.privacy), request=request, decision="reject", comment="Unlawful basis."
    )
    cast.mv.refresh_from_db()
    assert (request.status, cast.mv.status) == ("rejected", "rejected")
    with pytest.raises(ConflictError) as exc:
        _submit(cast)
    assert exc.value.code == "invalid_transition"
    with pytest.raises(ConflictError) as exc:
        approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="Late.")
    assert exc.value.code == "invalid_transition"


def test_a_decision_needs_a_comment(cast):
    request = _submit(cast)
    with pytest.raises(ApplicationError) as exc:
        approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="  ")
    assert exc.value.field == "comment"


def test_withdrawal_returns_the_version_to_draft_and_refuses_later_decisions(cast):
    request = _submit(cast)
    approval_withdraw(actor=as_principal(cast.submitter), request=request, comment="Found a bug.")
    cast.mv.refresh_from_db()
    assert (request.status, cast.mv.status) == ("withdrawn", "draft")
    with pytest.raises(ConflictError) as exc:
        approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="ok")
    assert exc.value.code == "invalid_transition"


def test_new_failing_bias_report_makes_the_request_stale(cast):
    request = _submit(cast)
    approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="Sound.")
    add_bias_report(cast.mv, passed=False)
    with pytest.raises(ConflictError) as exc:
        approval_decide(actor=as_principal(cast.privacy), request=request, decision="approve", comment="ok")
    assert exc.value.code == "stale_request"
    request.refresh_from_db()
    cast.mv.refresh_from_db()
    assert (request.status, cast.mv.status) == ("stale", "submitted")
    assert AuditEvent.objects.filter(action="approval_request.stale", target_id=str(request.pk)).exists()
    # Re-opening review: a fresh request over the new evidence; the stale decisions do not count.
    reopened = _submit(cast)
    assert reopened.evidence_sha256 != request.evidence_sha256
    assert reopened.decisions.count() == 0


def test_reclassified_dataset_makes_the_request_stale(cast):
    from governance.inventory.models import ModelVersionDataset

    dv = DatasetVersionFactory(dataset__team=cast.mv.model.team)
    ModelVersionDataset.objects.create(model_version=cast.mv, dataset_version=dv, usage="evaluation")
    request = _submit(cast)
    assert approval_request_revalidate(request) is False
    type(dv).objects.filter(pk=dv.pk).update(dpia_reference="DPIA-2026-4")
    assert approval_request_revalidate(request) is True
    assert request.status == "stale"


def test_evidence_hash_is_stable(cast):
    policy = approval_policy_for(cast.mv)
    a = evidence_snapshot(model_version=cast.mv, policy=policy)
    b = evidence_snapshot(model_version=cast.mv, policy=policy)
    assert evidence_sha256(a) == evidence_sha256(b)


def test_pending_shows_what_my_roles_may_decide_now(cast):
    request = _submit(cast)
    assert [r.pk for r in approval_pending_for(principal=as_principal(cast.risk))] == [request.pk]
    assert approval_pending_for(principal=as_principal(cast.submitter)) == []
    approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="Sound.")
    assert approval_pending_for(principal=as_principal(cast.risk)) == []
    assert [r.pk for r in approval_pending_for(principal=as_principal(cast.privacy))] == [request.pk]


def test_editing_a_policy_creates_a_new_version_and_decisions_keep_theirs(cast):
    request = _submit(cast)
    old = approval_policy_for(cast.mv)
    revised = approval_policy_revise(actor=cli_principal("test"), policy=old, validity_days=30)
    old.refresh_from_db()
    assert (old.is_current, revised.is_current, revised.version) == (False, True, old.version + 1)
    assert approval_policy_for(cast.mv).pk == revised.pk
    decision = approval_decide(
        actor=as_principal(cast.risk), request=request, decision="approve", comment="ok"
    )
    assert decision.policy_version == old.version
    with pytest.raises(ConflictError):
        approval_policy_revise(actor=cli_principal("test"), policy=old, validity_days=10)


def test_only_admins_edit_policies(cast):
    with pytest.raises(PermissionDeniedError):
        approval_policy_revise(
            actor=as_principal(cast.risk), policy=approval_policy_for(cast.mv), validity_days=1
        )


def test_database_refuses_reviewer_equal_to_submitter_and_double_seats(cast):
    request = _submit(cast)
    base = {
        "request": request,
        "submitter": request.submitted_by,
        "role": "model_risk_reviewer",
        "decision": "approve",
        "comment": "x",
        "policy_version": 1,
        "evidence_sha256": request.evidence_sha256,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(reviewer=request.submitted_by, **base)
    ApprovalDecision.objects.create(reviewer="user:991", **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(reviewer="user:992", **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(reviewer="user:991", **{**base, "role": "privacy_officer"})
