"""Approval events reach the owning team's webhooks: submitted, decided, expired, stale.

End to end through the approval services and a real loopback receiver; the signature is checked by
the notifications suite's independent HMAC code, not by our signer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.approvals.expiry import approvals_expire_due
from governance.approvals.services import approval_decide, approval_request_submit
from governance.notifications.delivery import webhook_delivery_attempt
from governance.notifications.models import WebhookDelivery
from tests.factories import TeamFactory
from tests.governance.approvals.conftest import Cast, add_bias_report, as_principal
from tests.governance.notifications import conftest as hooks
from tests.governance.notifications.conftest import independently_verified

pytestmark = pytest.mark.django_db
receiver, make_webhook = hooks.receiver, hooks.make_webhook  # the notifications suite's fixtures
ALL = ("approval.submitted", "approval.decided", "approval.expired", "approval.stale")


@pytest.fixture(autouse=True)
def _allow_loopback_http(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0


def events() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))


def test_each_approval_event_is_delivered_signed(cast: Cast, receiver: Any, make_webhook: Any) -> None:
    _, secret = make_webhook(cast.mv.model.team, receiver.url, events=ALL)
    other_team_hook, _ = make_webhook(TeamFactory(), receiver.url, events=ALL)
    request = approval_request_submit(
        actor=as_principal(cast.submitter), model_version=cast.mv, environment="prod", comment="Ready."
    )
    approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="Risk ok.")
    approval_decide(actor=as_principal(cast.privacy), request=request, decision="approve", comment="Ok.")
    request.refresh_from_db()
    approvals_expire_due(now=request.expires_at)
    assert events() == ["approval.submitted", "approval.decided", "approval.decided", "approval.expired"]
    assert not WebhookDelivery.objects.filter(webhook=other_team_hook).exists()

    for delivery in WebhookDelivery.objects.order_by("pk"):
        webhook_delivery_attempt(delivery_pk=delivery.pk, attempt=1)
    assert len(receiver.requests) == 4
    for received in receiver.requests:
        assert independently_verified(secret, received.headers, received.body)
    last = json.loads(receiver.requests[-2].body)
    assert last["event"] == "approval.decided"
    assert (
        last["data"]["status"] == "approved"
        and last["data"]["decision"]["reviewer"] == f"user:{cast.privacy.pk}"
    )


def test_stale_evidence_is_announced(cast: Cast, receiver: Any, make_webhook: Any) -> None:
    make_webhook(cast.mv.model.team, receiver.url, events=("approval.stale",))
    approval_request_submit(
        actor=as_principal(cast.submitter), model_version=cast.mv, environment="prod", comment="Ready."
    )
    add_bias_report(cast.mv, passed=False)
    approvals_expire_due()
    assert events() == ["approval.stale"]
