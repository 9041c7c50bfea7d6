"""The reviewer's workspace in a real browser: log in, open the queue, decide; four-eyes shows why not."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from governance.approvals.choices import RequestStatus
from governance.approvals.models import ApprovalRequest
from governance.approvals.services import approval_decide, approval_request_submit
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import ModelVersionFactory, RegisteredModelFactory, TeamFactory
from tests.governance.approvals.conftest import CARD, add_artifact_attestation, add_bias_report, as_principal


def person(username: str, *roles: str, team: Any = None, **extra: Any) -> User:
    from governance.accounts.models import Membership

    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True, **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if team is not None:
        Membership.objects.create(user=user, team=team)
    return user


@pytest.fixture
def review(committed_db: Any) -> dict[str, Any]:
    """credit-scoring 1.0.0 submitted by sam; pavel (privacy) already approved; rita's seat is open."""
    from governance.inventory.services import model_card_create

    team = TeamFactory(slug="credit-risk", name="Credit Risk Analytics")
    people = {
        "owner": person("olga", "submitter", team=team),
        "sam": person("sam", "submitter", team=team, first_name="Sam", last_name="Submitter"),
        "rita": person("rita", "model_risk_reviewer", first_name="Rita", last_name="Okafor"),
        "pavel": person("pavel", "privacy_officer"),
        "root": person("root", "admin", team=team, is_superuser=True),
    }
    model = RegisteredModelFactory(
        team=team, name="credit-scoring", risk_tier="high", created_by=f"user:{people['owner'].pk}"
    )
    mv = ModelVersionFactory(model=model, version="1.0.0", created_by=f"user:{people['owner'].pk}")
    model_card_create(actor=as_principal(people["owner"]), model_version=mv, **CARD)
    add_artifact_attestation(mv)
    add_bias_report(mv)
    request = approval_request_submit(
        actor=as_principal(people["sam"]), model_version=mv, environment="prod", comment="Ready for prod."
    )
    approval_decide(
        actor=as_principal(people["pavel"]), request=request, decision="approve", comment="DPIA is current."
    )
    return {"mv": mv, "request": request, **people}


def test_reviewer_opens_the_queue_approves_and_sees_the_status_change(page: Any, review: Any) -> None:
    log_in(page, "rita")
    queue = page.locator("#my-queue")
    assert "credit-scoring 1.0.0" in queue.inner_text()
    queue.get_by_role("link", name="credit-scoring 1.0.0").click()
    page.wait_for_selector("#review-panel")
    assert "Submitted for approval" in page.locator("#review-panel").inner_text()
    page.fill("#decide-comment", "Back-test and challenger comparison reviewed; risk accepted.")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_selector(".messagelist")
    assert "Recorded: approve as model risk reviewer" in page.locator(".messagelist").inner_text()
    panel = page.locator("#review-panel").inner_text()
    assert "Approved" in panel and "valid until" in panel
    assert page.locator("#decide-form").count() == 0
    history = page.locator("#approval-history").inner_text()
    assert "Back-test and challenger comparison reviewed" in history and "DPIA is current." in history

    request = ApprovalRequest.objects.get(pk=review["request"].pk)
    assert request.status == RequestStatus.APPROVED
    assert ModelVersion.objects.get(pk=review["mv"].pk).status == lifecycle.APPROVED


def test_the_submitter_sees_no_approve_button_and_the_reason(page: Any, review: Any) -> None:
    log_in(page, "sam")
    page.goto(f"/admin/inventory/modelversion/{review['mv'].pk}/change/")
    page.wait_for_selector("#review-panel")
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    assert "The submitter of a request cannot decide it (four-eyes)" in page.locator("#why-not").inner_text()


def test_an_admin_who_submitted_cannot_approve(page: Any, review: Any) -> None:
    # The admin re-submits after a withdrawal: now they are the submitter.
    from governance.approvals.services import approval_withdraw

    approval_withdraw(actor=as_principal(review["sam"]), request=review["request"], comment="Resubmitting.")
    approval_request_submit(
        actor=as_principal(review["root"]), model_version=review["mv"], environment="prod", comment="Go."
    )
    log_in(page, "root")
    page.goto(f"/admin/inventory/modelversion/{review['mv'].pk}/change/")
    page.wait_for_selector("#review-panel")
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    assert "submitter of a request cannot decide it (four-eyes)" in page.locator("#why-not").inner_text()
