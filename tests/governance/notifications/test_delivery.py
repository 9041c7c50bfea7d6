"""Delivering to a real loopback receiver: signatures checked independently, retries with backoff,
failure after the last attempt, bounded time, no redirect followed, at-least-once bookkeeping."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from governance.jobs.models import JobDispatch
from governance.jobs.outbox import dispatch_key
from governance.notifications.delivery import (
    DELIVER_TASK,
    webhook_deliveries_dispatch_due,
    webhook_delivery_attempt,
    webhook_delivery_give_up,
)
from governance.notifications.models import WebhookDelivery
from governance.notifications.services import webhook_deactivate, webhook_delivery_redeliver
from tests.governance.notifications.conftest import ADMIN, Reply, emit, independently_verified

pytestmark = pytest.mark.django_db


def run(delivery: WebhookDelivery, attempt: int | None = None) -> WebhookDelivery:
    """What the job does for the delivery's next attempt (task body run directly)."""
    delivery.refresh_from_db()
    return webhook_delivery_attempt(delivery_pk=delivery.pk, attempt=attempt or delivery.attempts + 1)


def test_a_delivery_is_signed_as_documented_and_verifies_independently(receiver, make_webhook, team_a):
    _, secret = make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a, data={"approval_request_id": 7, "model": "credit-scoring"})
    assert JobDispatch.objects.filter(key=dispatch_key(DELIVER_TASK, [delivery.pk, 1])).exists()

    before = time.time()
    delivery = run(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None and delivery.response_excerpt == '{"ok": true}'

    (request,) = receiver.requests
    headers = request.headers
    assert request.path == "/hooks/governance"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("ModelOps-Governance-Webhooks/")
    assert headers["x-governance-event"] == "approval.submitted"
    assert headers["x-governance-delivery-id"] == str(delivery.delivery_id)
    assert before - 1 <= int(headers["x-governance-timestamp"]) <= time.time() + 1
    assert headers["x-governance-signature"].startswith("v1,")
    # The exact bytes stored are the bytes sent, and they carry the documented envelope.
    assert request.body == delivery.body.encode()
    payload = json.loads(request.body)
    assert payload == {
        "id": str(delivery.delivery_id),
        "event": "approval.submitted",
        "created_at": delivery.created_at.isoformat(),
        "data": {"approval_request_id": 7, "model": "credit-scoring"},
    }
    assert independently_verified(secret, headers, request.body)


def test_the_independent_check_rejects_tampering(receiver, make_webhook, team_a):
    """The check can fail: another body, timestamp, delivery id or secret does not verify."""
    _, secret = make_webhook(team_a, receiver.url)
    run(emit(team_a)[0])
    (request,) = receiver.requests
    headers, body = request.headers, request.body
    assert independently_verified(secret, headers, body)
    assert not independently_verified(secret, headers, body.replace(b"7", b"8"))
    assert not independently_verified(secret, headers, body + b" ")
    later = str(int(headers["x-governance-timestamp"]) + 1)
    assert not independently_verified(secret, {**headers, "x-governance-timestamp": later}, body)
    assert not independently_verified(
        secret, {**headers, "x-governance-delivery-id": str(uuid.uuid4())}, body
    )
    assert not independently_verified(secret + "x", headers, body)
    v2 = "v2," + headers["x-governance-signature"].split(",", 1)[1]
    assert not independently_verified(secret, {**headers, "x-governance-signature": v2}, body)


def test_a_failed_attempt_is_retried_with_backoff_by_the_beat_task(receiver, make_webhook, team_a):
    _, secret = make_webhook(team_a, receiver.url)
    receiver.answer(Reply(500, b"upstream exploded"))
    (delivery,) = emit(team_a)

    started = timezone.now()
    delivery = run(delivery)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.last_error == "Answered 500." and delivery.response_excerpt == "upstream exploded"
    wait = (delivery.next_attempt_at - started).total_seconds()
    assert 10 <= wait <= 12  # WEBHOOK_BACKOFF_SECONDS after the first failure

    # A second copy of the first attempt's message (redelivered by the broker) does nothing.
    assert run(delivery, attempt=1).attempts == 1 and len(receiver.requests) == 1
    # Not due yet: the beat task leaves it; once due, attempt 2 goes to the outbox under its own key.
    assert webhook_deliveries_dispatch_due(now=started + dt.timedelta(seconds=5)) == 0
    assert webhook_deliveries_dispatch_due(now=delivery.next_attempt_at) == 1
    assert JobDispatch.objects.filter(key=dispatch_key(DELIVER_TASK, [delivery.pk, 2])).exists()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is None  # handed over: the outbox now guarantees it runs
    assert webhook_deliveries_dispatch_due(now=started + dt.timedelta(days=1)) == 0

    delivery = run(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2 and delivery.last_status_code == 200
    assert delivery.last_error == ""
    first, second = receiver.requests
    assert first.headers["x-governance-delivery-id"] == second.headers["x-governance-delivery-id"]
    assert first.body == second.body
    assert all(independently_verified(secret, r.headers, r.body) for r in receiver.requests)


def test_backoff_grows_and_the_delivery_fails_after_the_last_attempt(
    receiver, make_webhook, team_a, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 60
    receiver.default = Reply(503, b"down")
    webhook, _ = make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    waits = []
    for attempt in range(1, 5):
        before = timezone.now()
        delivery = run(delivery)
        assert delivery.attempts == attempt
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - before).total_seconds()))
            assert webhook_deliveries_dispatch_due(now=delivery.next_attempt_at) == 1
    assert waits == [10, 30, 60]  # 10, 30, 90 capped at WEBHOOK_BACKOFF_MAX_SECONDS
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert len(receiver.requests) == 4
    event = AuditEvent.objects.get(action="webhook_delivery.fail")
    assert event.target_id == str(webhook.pk)
    assert event.payload == {
        "delivery_id": str(delivery.delivery_id),
        "event": "approval.submitted",
        "attempts": 4,
        "last_status_code": 503,
        "error": "Answered 503.",
    }
    assert run(delivery, attempt=5).status == "failed" and len(receiver.requests) == 4


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver, make_webhook, team_a, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    make_webhook(team_a, receiver.url)
    receiver.answer(Reply(200, delay=3))
    started = time.monotonic()
    delivery = run(emit(team_a)[0])
    assert time.monotonic() - started < 2
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error == "No answer within 0.5 s." and delivery.next_attempt_at is not None


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout(receiver, make_webhook, team_a, settings):
    """Each byte arrives well within the socket timeout; the whole exchange is still bounded."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    make_webhook(team_a, receiver.url)
    receiver.answer(Reply(200, drip_seconds=6))
    started = time.monotonic()
    delivery = run(emit(team_a)[0])
    assert time.monotonic() - started < 3
    assert delivery.status == "pending" and delivery.last_error == "No answer within 1 s."


def test_redirects_are_not_followed(receiver, make_webhook, team_a):
    make_webhook(team_a, receiver.url)
    elsewhere = receiver.url.replace("/hooks/governance", "/elsewhere")
    receiver.answer(Reply(307, b"", location=elsewhere))
    delivery = run(emit(team_a)[0])
    assert [r.path for r in receiver.requests] == ["/hooks/governance"]  # nothing sent to the Location
    assert delivery.status == "pending" and delivery.last_status_code == 307
    assert "redirects are not followed" in delivery.last_error and elsewhere in delivery.last_error


def test_an_unreachable_receiver_is_a_failed_attempt(make_webhook, team_a):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens there
    make_webhook(team_a, f"http://127.0.0.1:{port}/hook")
    delivery = run(emit(team_a)[0])
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_deactivating_a_webhook_fails_its_pending_deliveries_without_sending(receiver, make_webhook, team_a):
    webhook, _ = make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    webhook_deactivate(actor=ADMIN, webhook=webhook)
    delivery = run(delivery)
    assert receiver.requests == []
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error == "The webhook was deactivated; nothing was sent."
    assert emit(team_a) == []  # and no new deliveries


def test_a_url_no_longer_allowed_is_not_called(receiver, make_webhook, team_a, settings):
    make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    settings.WEBHOOK_ALLOW_HTTP = False  # the deployment turned plain http off since
    delivery = run(delivery)
    assert receiver.requests == [] and delivery.status == "failed"
    assert "must use https" in delivery.last_error


def test_given_up_by_the_job_layer_the_delivery_fails_and_can_be_delivered_again(
    receiver, make_webhook, team_a
):
    make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    webhook_delivery_give_up(delivery.pk, "Stopped after 5 attempts: the worker running it died each time.")
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 1  # the given-up attempt counts
    assert AuditEvent.objects.filter(action="webhook_delivery.fail").count() == 1

    (queued,) = webhook_delivery_redeliver(actor=ADMIN, deliveries=[delivery])
    assert queued.status == "pending"
    assert JobDispatch.objects.filter(key=dispatch_key(DELIVER_TASK, [delivery.pk, 2])).exists()
    event = AuditEvent.objects.get(action="webhook_delivery.redeliver")
    assert event.payload == {
        "delivery_id": str(delivery.delivery_id),
        "event": "approval.submitted",
        "attempt": 2,
    }
    delivery = run(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2 and len(receiver.requests) == 1


def test_deliver_again_is_one_more_attempt_and_only_for_failed_deliveries(
    receiver, make_webhook, team_a, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    make_webhook(team_a, receiver.url)
    receiver.answer(Reply(500), Reply(500))
    failed, pending = emit(team_a)[0], emit(team_a)[0]
    assert run(failed).status == "failed"
    assert [d.pk for d in webhook_delivery_redeliver(actor=ADMIN, deliveries=[failed, pending])] == [
        failed.pk
    ]
    pending.refresh_from_db()
    assert pending.status == "pending" and pending.attempts == 0  # untouched
    failed = run(failed)
    assert failed.status == "failed" and failed.attempts == 2  # past the limit: one try per request
    assert AuditEvent.objects.filter(action="webhook_delivery.fail").count() == 2


def test_the_readme_receiver_snippet_verifies_a_real_delivery(receiver, make_webhook, team_a):
    """The README's Python verification code, run as printed, accepts our delivery once."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (snippet,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict = {}
    exec(snippet, namespace)  # our own README, as printed

    _, secret = make_webhook(team_a, receiver.url)
    run(emit(team_a)[0])
    (request,) = receiver.requests
    names = ("X-Governance-Delivery-Id", "X-Governance-Timestamp", "X-Governance-Signature")
    headers = {name: request.headers[name.lower()] for name in names}
    assert namespace["verify"](secret, headers, request.body)
    assert not namespace["verify"](secret, headers, request.body)  # the same delivery id again
    assert not namespace["verify"]("another-secret", headers, request.body)


def test_job_health_counts_pending_deliveries_as_queued(make_webhook, team_a):
    from governance.jobs.selectors import job_health
    from governance.notifications.delivery import JOB_TYPE

    make_webhook(team_a, "https://hooks.example.org/a")
    emit(team_a)
    counts = job_health().types[JOB_TYPE]["counts"]
    assert counts["queued"] == 1 and counts["succeeded"] == 0
    assert job_health().types[JOB_TYPE]["oldest_queued_seconds"] is not None
