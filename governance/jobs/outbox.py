"""The transactional outbox: a job's messages are recorded with the job and sent after commit.

``job_dispatch`` runs inside the caller's transaction, so a job is dispatched if and only if it is
committed. Sending never fails a request: with the broker down the row stays pending and the sweeper
(``jobs_sweep``, a beat task and a management command) sends it when the broker is back. The sweeper
also re-sends what no worker acknowledged in time (a broker restarted without persistence) and what a
dead worker held (an expired lease). Tasks are idempotent, so a duplicate delivery is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from governance.jobs import constants
from governance.jobs.models import JobDispatch
from governance.jobs.registry import job_types

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


def dispatch_key(task: str, args: Iterable[object]) -> str:
    """One outbox row per message: the task name and its JSON arguments."""
    return f"{task}:{json.dumps(list(args), separators=(',', ':'))}"


def job_dispatch(*, task: str, args: list[object], job_type: str, job_id: int) -> JobDispatch:
    """Record a message in the current transaction; it is sent after commit (never before, never lost)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("job_dispatch must run in the transaction that records the job")
    dispatch, _ = JobDispatch.objects.get_or_create(
        key=dispatch_key(task, args),
        defaults={"task": task, "args": args, "job_type": job_type, "job_id": job_id},
    )
    transaction.on_commit(lambda: dispatch_send([dispatch.pk]))
    return dispatch


def dispatch_send(ids: Iterable[int]) -> int:
    """Hand messages to the broker; on a broker error leave them pending for the sweeper. Returns how many."""
    from governance.celery import app

    rows = list(JobDispatch.objects.filter(pk__in=list(ids), finished_at__isnull=True).order_by("pk"))
    if not rows:
        return 0
    sent = 0
    # One attempt to connect (no retry loop): a request must not wait for a broker that is down.
    with app.connection_for_write(transport_options={"max_retries": 0}) as conn:
        for dispatch in rows:
            marked = timezone.now()
            # Mark first: a fast worker may take the lease before send_task returns.
            JobDispatch.objects.filter(pk=dispatch.pk).update(sent_at=marked, sends=F("sends") + 1)
            try:
                app.send_task(dispatch.task, args=dispatch.args, retry=False, connection=conn)
            except Exception as exc:  # broker unreachable: the job is accepted, the sweeper sends it later
                JobDispatch.objects.filter(pk=dispatch.pk, sent_at=marked).update(
                    sent_at=dispatch.sent_at, sends=F("sends") - 1
                )
                logger.warning("broker unavailable, %s left pending for the sweeper: %r", dispatch.key, exc)
                break
            sent += 1
    return sent


@dataclass
class SweepResult:
    """What one sweep did (logged, and printed by the management command)."""

    sent: int = 0
    due: int = 0
    given_up: list[str] = field(default_factory=list)


def jobs_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Re-send every open message that is due: never sent, never taken, or held by a dead worker."""
    now = now or timezone.now()
    result = SweepResult()
    candidates = JobDispatch.objects.filter(finished_at__isnull=True).filter(
        Q(sent_at__isnull=True, created_at__lte=now - dt.timedelta(seconds=constants.send_grace_seconds()))
        | Q(started_at__isnull=True, sent_at__lte=now - dt.timedelta(seconds=constants.ack_timeout_seconds()))
        | Q(lease_expires_at__lte=now)
    )
    due: list[int] = []
    for dispatch in candidates.order_by("created_at")[:SWEEP_BATCH]:
        if dispatch.lease_expires_at and dispatch.lease_expires_at <= now:
            if dispatch.attempts >= constants.max_attempts():
                _give_up(dispatch, now)
                result.given_up.append(dispatch.key)
                continue
            # The worker died (or the run raised): clear the lease so the next delivery may take it.
            JobDispatch.objects.filter(pk=dispatch.pk, lease_expires_at=dispatch.lease_expires_at).update(
                lease_owner="", lease_expires_at=None, started_at=None
            )
        elif dispatch.sent_at and dispatch.started_at is None:
            # Not taken: back off (1, 2, 4, 8 x the ack timeout) so a long queue is not flooded with copies.
            wait = constants.ack_timeout_seconds() * min(2 ** max(dispatch.sends - 1, 0), 8)
            if dispatch.sent_at > now - dt.timedelta(seconds=wait):
                continue
        due.append(dispatch.pk)
    result.due = len(due)
    if due:
        result.sent = dispatch_send(due)
        logger.info("jobs sweep: %d due, %d sent", result.due, result.sent)
    return result


def _give_up(dispatch: JobDispatch, now: dt.datetime) -> None:
    message = f"Stopped after {dispatch.attempts} attempts: the worker running it died or failed each time."
    if dispatch.last_error:
        message += f" Last error: {dispatch.last_error}"
    updated = JobDispatch.objects.filter(pk=dispatch.pk, finished_at__isnull=True).update(
        finished_at=now, lease_owner="", lease_expires_at=None, last_error=message
    )
    job_type = job_types().get(dispatch.job_type)
    if updated and job_type is not None:
        job_type.give_up(dispatch.job_id, message)
    logger.error("job %s given up: %s", dispatch.key, message)
