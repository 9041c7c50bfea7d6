"""The reviewer's workspace in the admin: dashboard, review panel, and decisions through the same service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from governance.approvals.choices import RequestStatus
from governance.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from governance.approvals.services import approval_request_submit
from governance.inventory import lifecycle
from tests.governance.approvals.conftest import Cast, add_bias_report, as_principal

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def version_page(client: Client, cast: Cast) -> str:
    response = client.get(reverse("admin:inventory_modelversion_change", args=[cast.mv.pk]))
    assert response.status_code == 200
    return response.content.decode()


def decide(client: Client, cast: Cast, decision: str, comment: str = "Checked.", role: str = "") -> Any:
    url = reverse("admin:inventory_modelversion_review", args=[cast.mv.pk, "decide"])
    return client.post(url, {"decision": decision, "comment": comment, "role": role}, follow=True)


@pytest.fixture
def submitted(cast: Cast) -> ApprovalRequest:
    return approval_request_submit(
        actor=as_principal(cast.submitter), model_version=cast.mv, environment="prod", comment="Ready."
    )


def test_header_names_the_product_and_the_index_is_the_dashboard(cast: Cast, submitted: Any) -> None:
    client = login(cast.risk)
    page = client.get(reverse("admin:index")).content.decode()
    assert "ModelOps Governance" in page and "Django administration" not in page
    assert 'id="my-queue"' in page
    queue = page.split('id="my-queue"')[1].split('id="recently-decided"')[0]
    assert "credit-scoring 1.0.0" in queue and "Model risk reviewer" in queue
    for section in ("recently-decided", "expiring", "failing-bias-reports", "audit-log"):
        assert f'id="{section}"' in page


def test_the_queue_is_empty_for_the_submitter_who_holds_no_reviewer_role(cast: Cast, submitted: Any) -> None:
    page = login(cast.submitter).get(reverse("admin:index")).content.decode()
    queue = page.split('id="my-queue"')[1].split('id="recently-decided"')[0]
    assert "credit-scoring" not in queue and "no reviewer role" in queue


def test_review_panel_shows_checklist_bias_datasets_and_decision_buttons(cast: Cast, submitted: Any) -> None:
    page = version_page(login(cast.risk), cast)
    checklist = page.split('id="evidence-checklist"')[1].split('id="bias-summary"')[0]
    items = (
        "complete model card",
        "sha256 digest",
        "signed attestation",
        "passing bias report",
        "named owner",
    )
    for item in items:
        assert item in checklist
    assert "missing" not in checklist
    assert 'id="decide-form"' in page and ">Approve<" in page and ">Reject<" in page
    assert "You decide as Model risk reviewer" in page
    assert 'id="approval-history"' in page and f"#{submitted.pk}" in page


def test_approving_in_the_admin_records_signed_decisions(cast: Cast, submitted: Any) -> None:
    response = decide(login(cast.risk), cast, "approve", "Model risk accepted.")
    assert "Recorded: approve as model risk reviewer" in response.content.decode()
    response = decide(login(cast.privacy), cast, "approve", "DPIA reviewed.")
    assert response.status_code == 200
    submitted.refresh_from_db()
    cast.mv.refresh_from_db()
    assert submitted.status == RequestStatus.APPROVED and cast.mv.status == lifecycle.APPROVED
    decisions = ApprovalDecision.objects.filter(request=submitted)
    assert {d.reviewer_label or d.reviewer for d in decisions} and all(d.attestation_id for d in decisions)


@pytest.mark.parametrize("who", ["submitter", "owner", "producer"])
def test_four_eyes_people_see_no_buttons_and_the_reason(cast: Cast, submitted: Any, who: str) -> None:
    person = getattr(cast, who)
    # Give them a reviewer role too: four-eyes, not the role, must be what stops them.
    from django.contrib.auth.models import Group

    person.groups.add(Group.objects.get(name="model_risk_reviewer"))
    client = login(person)
    page = version_page(client, cast)
    assert 'id="decide-form"' not in page
    assert "four-eyes" in page.split('id="why-not"')[1].split("</p>")[0]
    response = decide(client, cast, "approve")
    assert "four_eyes_violation" in response.content.decode()
    assert not ApprovalDecision.objects.exists()


def test_an_admin_who_submitted_cannot_approve_in_the_admin(cast: Cast) -> None:
    admin = as_principal(cast.admin)
    approval_request_submit(actor=admin, model_version=cast.mv, environment="prod", comment="Go.")
    client = login(cast.admin)
    page = version_page(client, cast)
    assert 'id="decide-form"' not in page and "submitter of a request cannot decide" in page
    response = decide(client, cast, "approve")
    assert "four_eyes_violation" in response.content.decode()
    assert not ApprovalDecision.objects.exists()


def test_a_second_approver_for_a_filled_role_is_told_why(cast: Cast, submitted: Any, make_user: Any) -> None:
    decide(login(cast.risk), cast, "approve", "First.")
    second = make_user("model_risk_reviewer", username="rob")
    page = version_page(login(second), cast)
    assert 'id="decide-form"' not in page and "already filled" in page


def test_stale_evidence_hides_the_buttons_and_says_so(cast: Cast, submitted: Any) -> None:
    add_bias_report(cast.mv, passed=False)  # the evidence under review changed
    page = version_page(login(cast.risk), cast)
    assert 'id="decide-form"' not in page and "stale" in page
    response = decide(login(cast.risk), cast, "approve")
    assert "stale_request" in response.content.decode()


def test_a_decision_without_comment_records_nothing(cast: Cast, submitted: Any) -> None:
    response = decide(login(cast.risk), cast, "approve", comment="")
    assert "Nothing recorded" in response.content.decode()
    assert not ApprovalDecision.objects.exists()


def test_submitting_and_withdrawing_from_the_admin(cast: Cast) -> None:
    client = login(cast.submitter)
    page = version_page(client, cast)
    assert 'id="submit-form"' in page
    url = reverse("admin:inventory_modelversion_review", args=[cast.mv.pk, "submit"])
    client.post(url, {"environment": "staging", "comment": "Please review."})
    request = ApprovalRequest.objects.get()
    assert request.environment == "staging" and request.submitted_by == f"user:{cast.submitter.pk}"
    url = reverse("admin:inventory_modelversion_review", args=[cast.mv.pk, "withdraw"])
    client.post(url, {"comment": "Wrong environment."})
    request.refresh_from_db()
    cast.mv.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN and cast.mv.status == lifecycle.DRAFT


def test_review_views_refuse_get_and_unknown_actions(cast: Cast, submitted: Any) -> None:
    client = login(cast.risk)
    url = reverse("admin:inventory_modelversion_review", args=[cast.mv.pk, "decide"])
    assert client.get(url).status_code == 405
    bad = reverse("admin:inventory_modelversion_review", args=[cast.mv.pk, "delete"])
    assert client.post(bad, {"comment": "x"}).status_code == 403


def test_records_are_view_only_and_policies_revised_by_admins(cast: Cast, submitted: Any) -> None:
    client = login(cast.risk)
    page = client.get(reverse("admin:approvals_approvalrequest_change", args=[submitted.pk])).content.decode()
    assert "View approval request" in page and 'name="_save"' not in page
    policy = ApprovalPolicy.objects.get(risk_tier="high", model__isnull=True, is_current=True)
    url = reverse("admin:approvals_approvalpolicy_change", args=[policy.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"validity_days": 1}).status_code == 403

    admin = login(cast.admin)
    form = admin.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data |= {
        "required_roles": '{"model_risk_reviewer": 2}',
        "required_roles_when_phi": "{}",
        "validity_days": 90,
    }
    admin.post(url, data)
    revised = ApprovalPolicy.objects.get(risk_tier="high", model__isnull=True, is_current=True)
    assert revised.version == policy.version + 1 and revised.validity_days == 90
    assert revised.required_roles == {"model_risk_reviewer": 2}
    assert AuditEvent.objects.filter(action="approval_policy.revise").exists()


def test_an_admin_gives_a_model_rules_of_its_own_with_a_reason(cast: Cast) -> None:
    url = reverse("admin:approvals_approvalpolicy_add")
    assert login(cast.risk).get(url).status_code == 403
    admin = login(cast.admin)
    form = admin.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data |= {
        "model": cast.mv.model_id,
        "reason": "Pilot in one branch: re-reviewed every 30 days.",
        "required_roles": '{"model_risk_reviewer": 1, "privacy_officer": 1}',
        "required_roles_when_phi": "{}",
        "validity_days": 30,
        "require_complete_model_card": "on",
        "require_signed_artifact": "on",
        "require_passing_bias_report": "on",
        "bias_report_max_age_days": 90,
        "require_dpia_for_personal_data": "on",
        "require_named_owner": "on",
        "approvable": "on",
    }
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    override = ApprovalPolicy.objects.get(model=cast.mv.model, is_current=True)
    assert override.validity_days == 30 and override.version == 1
    event = AuditEvent.objects.get(action="approval_policy.override")
    assert event.payload["reason"].startswith("Pilot in one branch")
