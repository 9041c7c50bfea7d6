"""The demo's approvals: one version in every state, made by the real services as the demo's people."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from audit.checkpoints import checkpoint_sign
from audit.integrity import audit_log_verify
from audit.models import Attestation, AuditEvent
from governance.accounts.principal import principal_for_user
from governance.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from governance.approvals.selectors import approval_pending_for
from governance.core.uris import local_path
from governance.inventory.models import ArtifactHashJob, ModelCard, ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> Path:
    """``seed_demo`` in a fresh var/ (workers may read tmp_path: the artifacts land in it)."""
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    return tmp_path


def ident(username: str) -> str:
    return principal_for_user(User.objects.get(username=username)).ident


def requests_of(model: str, version: str) -> list[ApprovalRequest]:
    mv = ModelVersion.objects.get(model__name=model, version=version)
    return list(ApprovalRequest.objects.filter(model_version=mv).order_by("pk"))


def decisions(request: ApprovalRequest) -> list[tuple[str, str, str]]:
    return [(d.reviewer, d.role, d.decision) for d in request.decisions.order_by("pk")]


def test_awaiting_review_is_in_ritas_queue(demo):
    (changes, request) = requests_of("readmission-risk", "2025.06.1")
    assert request.status == "open" and request.model_version.status == "submitted"
    assert request.submitted_by == ident("carlos") and request.environment == "prod"
    assert request.required_roles == {
        "model_risk_reviewer": 1,
        "privacy_officer": 1,
        "clinical_safety_reviewer": 1,  # the training data holds PHI
    }
    assert decisions(request) == [(ident("clara"), "clinical_safety_reviewer", "approve")]
    pending = {
        name: approval_pending_for(principal=principal_for_user(User.objects.get(username=name)))
        for name in ("rita", "pavel", "clara", "alice")
    }
    assert pending["rita"] == [request] and pending["pavel"] == [request]
    assert pending["clara"] == [] and pending["alice"] == []
    # its history: pavel asked for changes, carlos revised the card and re-submitted
    assert changes.status == "changes_requested"
    assert decisions(changes) == [(ident("pavel"), "privacy_officer", "request_changes")]
    card = ModelCard.objects.filter(model_version=request.model_version).order_by("-revision").first()
    assert card.revision == 2 and card.created_by == ident("carlos")
    assert request.evidence["model_card"]["revision"] == 2 and str(changes.pk) in request.comment


def test_approved_by_rita_and_pavel(demo):
    (request,) = requests_of("credit-scoring", "1.0.0")
    assert request.status == "approved" and request.model_version.status == "approved"
    assert request.submitted_by == ident("alice") and request.expires_at > request.decided_at
    assert decisions(request) == [
        (ident("rita"), "model_risk_reviewer", "approve"),
        (ident("pavel"), "privacy_officer", "approve"),
    ]
    assert all(d.attestation_id and d.comment.strip() for d in request.decisions.all())
    assert request.policy.model is None and request.policy.risk_tier == "high"  # the tier's own rules


def test_rejected_by_rita_with_her_reason(demo):
    (request,) = requests_of("credit-scoring", "1.1.1")
    assert request.status == "rejected" and request.model_version.status == "rejected"
    assert request.submitted_by == ident("alice")
    (decision,) = request.decisions.all()
    assert (decision.reviewer, decision.decision) == (ident("rita"), "reject")
    assert "postcode" in decision.comment and "proxy for ethnicity" in decision.comment


def test_expired_after_its_pilot_policy_ran_out(demo):
    (request,) = requests_of("bed-occupancy-forecast", "2025.07.0")
    assert request.status == "expired" and request.model_version.status == "expired"
    assert decisions(request) == [(ident("rita"), "model_risk_reviewer", "approve")]
    policy = request.policy
    assert policy.model == request.model_version.model and policy.validity_days == 0
    assert policy.created_by == ident("admin") and request.expires_at == request.decided_at
    created = AuditEvent.objects.get(action="approval_policy.override", target_id=str(policy.pk))
    assert created.actor == ident("admin") and "pilot" in created.payload["reason"].lower()
    lapsed = AuditEvent.objects.get(action="approval_request.expire", target_id=str(request.pk))
    assert lapsed.actor == "worker:approvals.expiry"  # the periodic pass did it, as beat would
    # the credit-scoring tier policy is untouched: only this model has the short validity
    assert (
        ApprovalPolicy.objects.get(model__isnull=True, risk_tier="minimal", is_current=True).validity_days
        == 365
    )


def test_every_demo_artifact_is_a_real_file_hashed_and_signed(demo):
    for mv in ModelVersion.objects.all():
        path = local_path(mv.artifact_uri, field="artifact_uri")
        assert path.is_relative_to(demo / "demo-artifacts")
        assert mv.artifact_digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        job = ArtifactHashJob.objects.get(model_version=mv)
        assert job.status == "succeeded" and job.attestation.subject_id == str(mv.pk)


def test_the_demo_audit_log_verifies(demo):
    checkpoint_sign()  # what beat does every minute
    result = audit_log_verify()
    assert result.ok, result.problems


def test_seed_demo_twice_changes_nothing(demo):
    def state() -> tuple[Any, ...]:
        return (
            sorted(ModelVersion.objects.values_list("model__name", "version", "status", "artifact_digest")),
            sorted(ApprovalRequest.objects.values_list("pk", "status", "evidence_sha256")),
            ApprovalDecision.objects.count(),
            ApprovalPolicy.objects.count(),
            ModelCard.objects.count(),
            ArtifactHashJob.objects.count(),
            Attestation.objects.count(),
            AuditEvent.objects.count(),
        )

    before = state()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert state() == before
    assert "clara" in out.getvalue() and "expired" in out.getvalue()
