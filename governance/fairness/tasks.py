"""Celery tasks of fairness checks: ids in, one service call, safe to run twice (acks_late)."""

from __future__ import annotations

from celery import group, shared_task

from governance.accounts.principal import worker_principal


@shared_task(name="fairness.check_start", acks_late=True)  # type: ignore[untyped-decorator]
def fairness_check_start(check_id: int) -> int:
    """Plan the chunks and fan them out; any number of workers can count them in parallel."""
    from governance.fairness.services import fairness_check_plan

    indexes = fairness_check_plan(check_id=check_id)
    if indexes:
        group(fairness_chunk_count.s(check_id, index) for index in indexes).apply_async()
    return len(indexes)


@shared_task(name="fairness.chunk_count", acks_late=True)  # type: ignore[untyped-decorator]
def fairness_chunk_count(check_id: int, index: int) -> bool:
    """Count one chunk; the worker finishing the last chunk merges the counts and signs the report."""
    from governance.fairness.services import fairness_chunk_count as count

    report = count(check_id=check_id, index=index, actor=worker_principal("fairness"))
    return report is not None
