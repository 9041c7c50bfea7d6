"""Celery tasks of the GitHub integration: take ids, call one function, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from governance.jobs.lease import job_task


@job_task("github_integration.protection_callback")
def protection_callback(record_pk: int, attempt: int) -> str:
    """One attempt at answering GitHub (a retry is a new message with the next attempt)."""
    from governance.integrations.github.callback import protection_callback_attempt

    return protection_callback_attempt(record_pk=record_pk, attempt=attempt).status


@shared_task(name="github_integration.callbacks_due", ignore_result=True)  # type: ignore[untyped-decorator]
def protection_callbacks_due() -> int:
    """Beat: hand the answers whose backoff has passed to the outbox."""
    from governance.integrations.github.callback import protection_callbacks_dispatch_due

    return protection_callbacks_dispatch_due()
