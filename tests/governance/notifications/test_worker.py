"""One path through a real Celery worker (in a thread, real broker, real commits): a failed first
attempt, the retry handed over by the beat task's function, delivered and verified."""

from __future__ import annotations

import datetime as dt

from governance.notifications.delivery import webhook_deliveries_dispatch_due
from governance.notifications.models import WebhookDelivery
from tests.conftest import wait_for
from tests.governance.notifications.conftest import Reply, emit, independently_verified


def test_a_retry_through_a_real_worker(celery_worker_thread, receiver, make_webhook, team_a):
    _, secret = make_webhook(team_a, receiver.url)
    receiver.answer(Reply(502, b"bad gateway"))
    (delivery,) = emit(team_a)  # committed: the outbox sends attempt 1 after commit

    retry = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, attempts=1).first(), timeout=30)
    assert retry.status == "pending" and retry.last_status_code == 502 and retry.next_attempt_at
    assert webhook_deliveries_dispatch_due(now=retry.next_attempt_at + dt.timedelta(seconds=1)) == 1

    done = wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first(), timeout=30
    )
    assert done.attempts == 2 and len(receiver.requests) == 2
    assert all(independently_verified(secret, r.headers, r.body) for r in receiver.requests)
