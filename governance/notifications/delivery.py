"""Delivering webhook events on workers: one attempt per job, retries with backoff, failure after N.

Each attempt is its own job message (``[delivery pk, attempt]``, a distinct outbox key), so a retry
survives restarts: a failed attempt records ``next_attempt_at`` and the beat task
``webhook_deliveries_dispatch_due`` hands due retries to the outbox. Invariant: a pending delivery has
at most one open message, for attempt ``attempts + 1``; any other message is stale and does nothing.
Delivery is at least once: a worker that dies after the POST but before recording it posts again (same
delivery id, new timestamp and signature), which receivers dedupe by delivery id.

The signature, the body text and the URL are never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts.principal import worker_principal
from governance.core.http import HttpResult, post
from governance.jobs.outbox import job_dispatch
from governance.notifications import constants, events
from governance.notifications.choices import DeliveryStatus
from governance.notifications.models import WebhookDelivery
from governance.notifications.signing import webhook_signature
from governance.notifications.validators import webhook_url_validate

logger = logging.getLogger(__name__)

JOB_TYPE = "webhook_delivery"  # governance.jobs registry name (apps.py)
DELIVER_TASK = "notifications.webhook_deliver"
RECORDED_FIELDS = [
    "attempts",
    "last_status_code",
    "last_error",
    "response_excerpt",
    "next_attempt_at",
    "status",
    "delivered_at",
]


def webhook_delivery_dispatch(delivery: WebhookDelivery, *, attempt: int) -> None:
    """Queue attempt ``attempt`` of ``delivery`` in the current transaction (sent after commit)."""
    job_dispatch(task=DELIVER_TASK, args=[delivery.pk, attempt], job_type=JOB_TYPE, job_id=delivery.pk)


def delivery_headers(
    *, delivery_id: str, event: str, timestamp: str, body: str, secret: str
) -> dict[str, str]:
    """The request headers of one attempt: signature over ``"<delivery id>.<timestamp>.<body>"``."""
    return {
        "Content-Type": "application/json",
        "User-Agent": constants.USER_AGENT,
        constants.DELIVERY_ID_HEADER: delivery_id,
        constants.TIMESTAMP_HEADER: timestamp,
        constants.EVENT_HEADER: event,
        constants.SIGNATURE_HEADER: webhook_signature(secret, delivery_id, timestamp, body),
    }


def webhook_delivery_attempt(*, delivery_pk: int, attempt: int) -> WebhookDelivery:
    """Run attempt ``attempt``: POST (outside any transaction), then record the outcome. Safe to run twice."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=delivery_pk)
        if delivery.status != DeliveryStatus.PENDING or delivery.attempts != attempt - 1:
            return delivery  # finished, or a stale message of an attempt already recorded
        webhook = delivery.webhook
        refusal = ""
        if not webhook.active:
            refusal = "The webhook was deactivated; nothing was sent."
        else:
            try:
                webhook_url_validate(webhook.url)
            except ValidationError as exc:
                refusal = "The webhook URL is no longer allowed: " + "; ".join(exc.messages)
        if refusal:
            return _record(delivery, attempt, HttpResult(None, error=refusal), final=True)
        url, secret, body = webhook.url, webhook.secret, delivery.body
        delivery_id, event = str(delivery.delivery_id), delivery.event
    headers = delivery_headers(
        delivery_id=delivery_id, event=event, timestamp=str(int(time.time())), body=body, secret=secret
    )
    result = post(
        url,
        body.encode(),
        headers,
        timeout=constants.timeout_seconds(),
        max_bytes=constants.RESPONSE_EXCERPT_BYTES,
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_pk)
        if delivery.status != DeliveryStatus.PENDING or delivery.attempts != attempt - 1:
            return delivery
        return _record(delivery, attempt, result)


def _record(
    delivery: WebhookDelivery, attempt: int, result: HttpResult, *, final: bool = False
) -> WebhookDelivery:
    """Record one attempt's outcome (in the caller's transaction, ``delivery`` locked)."""
    now = timezone.now()
    delivery.attempts = attempt
    delivery.last_status_code = result.status
    delivery.last_error = result.error[: constants.ERROR_MAX_CHARS]
    delivery.response_excerpt = result.excerpt[:600]
    delivery.next_attempt_at = None
    if result.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif final or attempt >= constants.max_attempts():
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + dt.timedelta(seconds=constants.backoff_seconds(attempt))
    delivery.save(update_fields=RECORDED_FIELDS)
    if delivery.status == DeliveryStatus.FAILED:
        _audit_failure(delivery)
    logger.info(
        "webhook delivery %s (webhook %s, %s) attempt %d: %s%s",
        delivery.delivery_id,
        delivery.webhook_id,
        delivery.event,
        attempt,
        delivery.status,
        f", answered {result.status}" if result.status is not None else f", {result.error}",
    )
    return delivery


def _audit_failure(delivery: WebhookDelivery) -> None:
    audit_append(
        actor=worker_principal("webhook_delivery"),
        action=events.WEBHOOK_DELIVERY_FAIL,
        target=delivery.webhook,
        payload={
            "delivery_id": str(delivery.delivery_id),
            "event": delivery.event,
            "attempts": delivery.attempts,
            "last_status_code": delivery.last_status_code,
            "error": delivery.last_error,
        },
    )


def webhook_deliveries_dispatch_due(*, now: dt.datetime | None = None) -> int:
    """Hand every retry whose time has come to the outbox (beat task). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[: constants.DUE_BATCH]
        )
        for delivery in due:
            webhook_delivery_dispatch(delivery, attempt=delivery.attempts + 1)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=None)
    if due:
        logger.info("webhook retries: %d due, handed to the outbox", len(due))
    return len(due)


def webhook_delivery_give_up(job_id: int, message: str) -> None:
    """The job layer stopped retrying an attempt (its workers kept dying): the delivery fails with that."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=job_id)
        if delivery.status != DeliveryStatus.PENDING:
            return
        # The given-up message was attempt attempts + 1 (the invariant): it counts, so a later
        # "deliver again" gets a fresh outbox key.
        _record(delivery, delivery.attempts + 1, HttpResult(None, error=message), final=True)
