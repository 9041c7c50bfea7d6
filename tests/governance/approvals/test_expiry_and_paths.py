"""Approvals over time (expiry, evidence re-validation) and the terminal path (management command).

The management command is one more way in: it must hit the same four-eyes rule as the API and admin,
and its decisions must carry the same signed attestation, which ``govctl verify bundle`` accepts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from audit.signing import jwks
from governance.approvals.choices import RequestStatus
from governance.approvals.expiry import approvals_expire_due
from governance.approvals.models import ApprovalDecision, ApprovalRequest
from governance.approvals.services import approval_decide, approval_request_submit
from governance.approvals.workspace import approval_expiring
from governance.inventory import lifecycle
from governance.inventory.services import dataset_version_update, model_version_link_dataset
from tests.factories import DatasetVersionFactory
from tests.govctl.helpers import run_govctl
from tests.governance.approvals.conftest import Cast, add_bias_report, as_principal

pytestmark = pytest.mark.django_db


def submit(cast: Cast, who: Any = None) -> ApprovalRequest:
    return approval_request_submit(
        actor=as_principal(who or cast.submitter), model_version=cast.mv, environment="prod", comment="Ready."
    )


def approve(cast: Cast, request: ApprovalRequest) -> None:
    approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="Risk ok.")
    approval_decide(actor=as_principal(cast.privacy), request=request, decision="approve", comment="DPIA ok.")


def test_an_approval_lapses_at_the_end_of_its_validity(cast: Cast) -> None:
    request = submit(cast)
    approve(cast, request)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.expires_at is not None
    assert approvals_expire_due(now=request.expires_at - dt.timedelta(seconds=1)).expired == []
    result = approvals_expire_due(now=request.expires_at)
    assert result.expired == [request.pk]
    request.refresh_from_db()
    cast.mv.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED and cast.mv.status == lifecycle.EXPIRED
    event = AuditEvent.objects.get(action="approval_request.expire")
    assert event.payload["model_version_id"] == cast.mv.pk
    assert approvals_expire_due(now=request.expires_at + dt.timedelta(days=1)).expired == []  # once only
    # An expired version can be reviewed again.
    assert submit(cast).status == RequestStatus.OPEN


def test_a_deployed_version_lapses_too(cast: Cast) -> None:
    from governance.inventory.transitions import model_version_transition

    request = submit(cast)
    approve(cast, request)
    cast.mv.refresh_from_db()
    model_version_transition(
        actor=as_principal(cast.submitter), model_version=cast.mv, to=lifecycle.DEPLOYED, reason="Rolled out"
    )
    request.refresh_from_db()
    approvals_expire_due(now=request.expires_at)
    cast.mv.refresh_from_db()
    assert cast.mv.status == lifecycle.EXPIRED


def test_expiring_soon_lists_approvals_in_the_window(cast: Cast, settings: Any) -> None:
    request = submit(cast)
    approve(cast, request)
    request.refresh_from_db()
    assert request.expires_at is not None
    settings.APPROVALS_DUE_SOON_DAYS = 30
    risk = as_principal(cast.risk)
    assert approval_expiring(principal=risk) == []  # high tier: valid 180 days
    assert approval_expiring(principal=risk, now=request.expires_at - dt.timedelta(days=29)) == [request]
    assert approval_expiring(principal=risk, now=request.expires_at) == []  # due now: the expiry pass's


def test_changed_evidence_after_approval_reopens_review(cast: Cast) -> None:
    request = submit(cast)
    approve(cast, request)
    add_bias_report(cast.mv, passed=False)  # monitoring found a problem after approval
    result = approvals_expire_due()
    assert result.stale == [request.pk]
    request.refresh_from_db()
    cast.mv.refresh_from_db()
    assert request.status == RequestStatus.STALE and cast.mv.status == lifecycle.EXPIRED
    event = AuditEvent.objects.get(action="approval_request.stale")
    assert event.payload["was"] == "approved"


def test_the_evidence_watch_marks_a_request_stale_when_the_change_commits(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    dv = DatasetVersionFactory(dataset__team=cast.mv.model.team, contains_personal_data=False)
    model_version_link_dataset(
        actor=as_principal(cast.producer), model_version=cast.mv, dataset_version=dv, usage="training"
    )
    request = submit(cast)
    with django_capture_on_commit_callbacks(execute=True):
        dataset_version_update(
            actor=as_principal(cast.producer),
            dataset_version=dv,
            contains_personal_data=True,
            lawful_basis="consent",
            purpose="Credit scoring.",
            retention_days=365,
            dpia_reference="DPIA-9",
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.STALE


def test_the_periodic_pass_leaves_unchanged_requests_alone(cast: Cast) -> None:
    request = submit(cast)
    assert approvals_expire_due().stale == []
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_management_command_decides_as_the_named_reviewer(cast: Cast, capsys: Any) -> None:
    request = submit(cast)
    call_command(
        "approval_decide", "approve", "--request", str(request.pk), "--as", "rita", "--comment", "Risk ok."
    )
    decision = ApprovalDecision.objects.get()
    assert decision.reviewer == f"user:{cast.risk.pk}" and decision.attestation_id
    assert "is open" in capsys.readouterr().out  # one of two roles filled


@pytest.mark.parametrize("who", ["submitter", "owner", "producer", "admin"])
def test_management_command_obeys_four_eyes(cast: Cast, who: str) -> None:
    from django.contrib.auth.models import Group

    person = getattr(cast, who)
    # A reviewer role too: four-eyes, not the missing role, must be what stops them.
    person.groups.add(Group.objects.get(name="model_risk_reviewer"))
    request = submit(cast, who=person if who == "admin" else None)
    with pytest.raises(CommandError, match="four_eyes_violation"):
        call_command(
            "approval_decide",
            "approve",
            "--request",
            str(request.pk),
            "--as",
            person.username,
            "--comment",
            "Mine.",
        )
    assert not ApprovalDecision.objects.exists()


def test_management_command_refuses_a_second_role_for_one_person(cast: Cast) -> None:
    from django.contrib.auth.models import Group

    cast.risk.groups.add(Group.objects.get(name="privacy_officer"))
    request = submit(cast)
    call_command(
        "approval_decide", "approve", "--request", str(request.pk), "--as", "rita", "--comment", "Risk ok."
    )
    with pytest.raises(CommandError, match="four_eyes_violation"):
        call_command(
            "approval_decide",
            "approve",
            "--request",
            str(request.pk),
            "--as",
            "rita",
            "--role",
            "privacy_officer",
            "--comment",
            "Privacy ok too.",
        )


def test_management_command_needs_a_known_person(cast: Cast) -> None:
    request = submit(cast)
    with pytest.raises(CommandError, match="No active user"):
        call_command(
            "approval_decide", "approve", "--request", str(request.pk), "--as", "nobody", "--comment", "x"
        )


def test_a_decision_attestation_verifies_with_govctl(cast: Cast, tmp_path: Path) -> None:
    request = submit(cast)
    decision = approval_decide(
        actor=as_principal(cast.risk), request=request, decision="approve", comment="Risk ok."
    )
    assert decision.attestation is not None
    bundle = tmp_path / "decision.json"
    bundle.write_text(json.dumps(decision.attestation.bundle))
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwks()))
    result = run_govctl("verify", "bundle", bundle, "--keys", keys, "--output", "json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["subjects"][0][
        "digest"
    ] == request.evidence_sha256 or request.evidence_sha256 in json.dumps(summary["subjects"])
    # One changed byte of the signed statement and the same command refuses it.
    data = decision.attestation.bundle
    envelope = data.get("dsseEnvelope", data)
    payload = envelope["payload"]
    envelope["payload"] = ("A" if payload[0] != "A" else "B") + payload[1:]
    bundle.write_text(json.dumps(data))
    assert run_govctl("verify", "bundle", bundle, "--keys", keys).returncode != 0


def test_management_command_finds_the_open_request_by_model_and_version(cast: Cast) -> None:
    submit(cast)
    call_command(
        "approval_decide",
        "approve",
        "--model",
        "credit-scoring",
        "--model-version",
        "1.0.0",
        "--as",
        "rita",
        "--comment",
        "Risk ok.",
    )
    assert ApprovalDecision.objects.get().reviewer == f"user:{cast.risk.pk}"
    with pytest.raises(CommandError, match="Name the request"):
        call_command("approval_decide", "approve", "--as", "rita", "--comment", "x")
