"""Leases: a running job is claimed by one worker and kept alive by a heartbeat.

``job_task`` wraps a Celery task body: on delivery it takes the lease of the task's outbox row (or skips
the run when the row is finished or another live worker holds it), renews it from a heartbeat thread,
and marks the row finished when the body returns. A worker that dies stops renewing; once the lease
expires the sweeper sends the message again, so a dead worker's job runs again within
``JOBS_LEASE_SECONDS + JOBS_SWEEP_SECONDS`` instead of the broker's visibility timeout.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from governance.jobs import constants
from governance.jobs.models import JobDispatch
from governance.jobs.outbox import dispatch_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    """Whether this delivery may run the job, and under which owner id."""

    held: bool
    owner: str = ""
    dispatch_id: int | None = None


class _Heartbeat(threading.Thread):
    """Renews a lease every ``JOBS_HEARTBEAT_SECONDS`` until stopped (its own database connection)."""

    def __init__(self, dispatch_id: int, owner: str) -> None:
        super().__init__(name=f"job-heartbeat-{dispatch_id}", daemon=True)
        self.dispatch_id, self.owner = dispatch_id, owner
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(constants.heartbeat_seconds()):
                try:
                    JobDispatch.objects.filter(pk=self.dispatch_id, lease_owner=self.owner).update(
                        lease_expires_at=_expiry()
                    )
                except Exception:  # a database blip: the next beat tries again before the lease ends
                    logger.warning("heartbeat of job dispatch %s failed", self.dispatch_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=constants.lease_seconds())


def lease_take(key: str) -> Lease:
    """Claim the job behind ``key`` unless it is finished or another worker's lease is live."""
    owner = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        dispatch = JobDispatch.objects.select_for_update().filter(key=key).first()
        if dispatch is None:  # sent outside the outbox (e.g. by hand): run it, untracked
            return Lease(held=True, owner=owner)
        if dispatch.finished_at is not None:
            return Lease(held=False)
        if dispatch.lease_owner and dispatch.lease_expires_at and dispatch.lease_expires_at > now:
            return Lease(held=False)
        dispatch.lease_owner = owner
        dispatch.lease_expires_at = _expiry()
        dispatch.started_at = now
        dispatch.attempts += 1
        dispatch.save(update_fields=["lease_owner", "lease_expires_at", "started_at", "attempts"])
        return Lease(held=True, owner=owner, dispatch_id=dispatch.pk)


def lease_finish(lease: Lease) -> None:
    assert lease.dispatch_id is not None
    JobDispatch.objects.filter(pk=lease.dispatch_id, lease_owner=lease.owner).update(
        finished_at=timezone.now(), lease_owner="", lease_expires_at=None
    )


def lease_release(lease: Lease, error: str) -> None:
    """The run raised: expire the lease now so the sweeper retries it (up to JOBS_MAX_ATTEMPTS)."""
    assert lease.dispatch_id is not None
    JobDispatch.objects.filter(pk=lease.dispatch_id, lease_owner=lease.owner).update(
        lease_expires_at=timezone.now(), last_error=error[:2000]
    )


@contextmanager
def job_lease(task: str, args: list[Any]) -> Iterator[Lease]:
    """Hold the lease of one delivery for the duration of the block (see the module docstring)."""
    lease = lease_take(dispatch_key(task, args))
    if not lease.held or lease.dispatch_id is None:
        yield lease
        return
    heartbeat = _Heartbeat(lease.dispatch_id, lease.owner)
    heartbeat.start()
    try:
        yield lease
    except BaseException as exc:
        heartbeat.stopped.set()
        heartbeat.join()
        lease_release(lease, f"{type(exc).__name__}: {exc}")
        raise
    heartbeat.stopped.set()
    heartbeat.join()
    lease_finish(lease)


def job_task(name: str) -> Callable[[Callable[..., Any]], Any]:
    """``@shared_task`` for job bodies: late acknowledgement, and the body runs under the job's lease.

    A delivery that finds the job finished, or leased by a live worker, returns ``None`` without running.
    """

    def decorate(body: Callable[..., Any]) -> Any:
        @functools.wraps(body)
        def run(*args: Any) -> Any:
            with job_lease(name, list(args)) as lease:
                if not lease.held:
                    logger.info("%s%s skipped: finished or running elsewhere", name, list(args))
                    return None
                return body(*args)

        return shared_task(name=name, acks_late=True)(run)

    return decorate
