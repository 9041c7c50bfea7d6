"""Celery tasks of fairness checks: ids in, one service call, safe to run twice (acks_late + a lease)."""

from __future__ import annotations

from governance.accounts.principal import worker_principal
from governance.jobs.lease import job_task


@job_task("fairness.check_start")
def fairness_check_start(check_id: int) -> int:
    """Plan the chunks; the plan's outbox sends one chunk task each, so any number of workers count them."""
    from governance.fairness.services import fairness_check_plan

    return len(fairness_check_plan(check_id=check_id))


@job_task("fairness.chunk_count")
def fairness_chunk_count(check_id: int, index: int) -> bool:
    """Count one chunk; the worker finishing the last chunk merges the counts and signs the report."""
    from governance.fairness.services import fairness_chunk_count as count

    report = count(check_id=check_id, index=index, actor=worker_principal("fairness"))
    return report is not None
