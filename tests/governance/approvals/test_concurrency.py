"""Reviewers acting at once cannot double-count (real PostgreSQL, real threads, row locks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from audit.models import AuditEvent
from governance.approvals.models import ApprovalDecision, ApprovalRequest
from governance.approvals.services import approval_decide, approval_request_submit, approval_withdraw
from governance.core.exceptions import ApplicationError
from tests.governance.approvals.conftest import as_principal


def _race(*calls: Callable[[], Any]) -> list[str]:
    """Run the calls in parallel threads released together; each outcome is "ok" or an error code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def _submit(cast: Any) -> ApprovalRequest:
    return approval_request_submit(
        actor=as_principal(cast.submitter),
        model_version=cast.mv,
        environment="prod",
        comment="Please review.",
    )


def _approve(user: Any, request_id: int, comment: str = "ok") -> Callable[[], Any]:
    return lambda: approval_decide(
        actor=as_principal(user),
        request=ApprovalRequest.objects.get(pk=request_id),
        decision="approve",
        comment=comment,
    )


@pytest.mark.postgres
def test_two_reviewers_of_one_role_cannot_both_fill_it(committed_db, cast, make_user):
    second = make_user("model_risk_reviewer", username="rob")
    request = _submit(cast)
    outcomes = _race(_approve(cast.risk, request.pk), _approve(second, request.pk))
    assert outcomes == ["ok", "role_already_filled"]
    assert ApprovalDecision.objects.filter(request=request, role="model_risk_reviewer").count() == 1


@pytest.mark.postgres
def test_the_last_two_approvals_at_once_approve_the_version_exactly_once(committed_db, cast):
    request = _submit(cast)
    outcomes = _race(_approve(cast.risk, request.pk), _approve(cast.privacy, request.pk))
    assert outcomes == ["ok", "ok"]
    request.refresh_from_db()
    cast.mv.refresh_from_db()
    assert (request.status, cast.mv.status) == ("approved", "approved")
    transitions = AuditEvent.objects.filter(action="model_version.transition", target_id=str(cast.mv.pk))
    assert sorted(e.payload["to"] for e in transitions) == ["approved", "submitted"]
    assert AuditEvent.objects.filter(action="approval_request.close", target_id=str(request.pk)).count() == 1


@pytest.mark.postgres
def test_a_decision_racing_a_withdrawal_is_refused_or_precedes_it(committed_db, cast):
    request = _submit(cast)
    withdraw = lambda: approval_withdraw(  # noqa: E731
        actor=as_principal(cast.submitter),
        request=ApprovalRequest.objects.get(pk=request.pk),
        comment="Stop.",
    )
    outcomes = _race(_approve(cast.risk, request.pk), withdraw)
    request.refresh_from_db()
    assert request.status == "withdrawn"  # the approval alone cannot close the request (quorum of two)
    if outcomes == ["invalid_transition", "ok"]:
        assert not ApprovalDecision.objects.filter(request=request).exists()
    else:
        assert outcomes == ["ok", "ok"]
        assert ApprovalDecision.objects.filter(request=request).count() == 1


@pytest.mark.postgres
def test_one_person_racing_themselves_in_two_roles_counts_once(committed_db, cast):
    from django.contrib.auth.models import Group

    cast.risk.groups.add(Group.objects.get(name="privacy_officer"))
    request = _submit(cast)

    def approve_as(role: str) -> Callable[[], Any]:
        return lambda: approval_decide(
            actor=as_principal(cast.risk),
            request=ApprovalRequest.objects.get(pk=request.pk),
            decision="approve",
            comment=f"ok as {role}",
            role=role,
        )

    outcomes = _race(approve_as("model_risk_reviewer"), approve_as("privacy_officer"))
    assert outcomes == ["four_eyes_violation", "ok"]
    assert ApprovalDecision.objects.filter(request=request).count() == 1
    cast.mv.refresh_from_db()
    assert cast.mv.status == "submitted"
