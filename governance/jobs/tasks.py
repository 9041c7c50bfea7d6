"""The sweeper as a beat task: sends what the after-commit dispatcher could not, and what was lost."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="jobs.sweep", ignore_result=True)  # type: ignore[untyped-decorator]
def jobs_sweep() -> int:
    from governance.jobs.outbox import jobs_sweep as sweep

    return sweep().sent
