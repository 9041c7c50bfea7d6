"""Celery tasks of notifications: take ids, call one function, safe to run twice (acks_late + a lease)."""

from __future__ import annotations

from celery import shared_task

from governance.jobs.lease import job_task


@job_task("notifications.webhook_deliver")
def webhook_deliver(delivery_pk: int, attempt: int) -> str:
    """One attempt at delivering a webhook event (a retry is a new message with the next attempt)."""
    from governance.notifications.delivery import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_pk=delivery_pk, attempt=attempt).status


@shared_task(name="notifications.deliveries_due", ignore_result=True)  # type: ignore[untyped-decorator]
def webhook_deliveries_due() -> int:
    """Beat: hand the retries whose backoff has passed to the outbox."""
    from governance.notifications.delivery import webhook_deliveries_dispatch_due

    return webhook_deliveries_dispatch_due()
