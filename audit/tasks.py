"""Celery tasks of the evidence layer: thin wrappers that call one service."""

from __future__ import annotations

from celery import shared_task

from audit.checkpoints import checkpoint_sign as sign


@shared_task(name="audit.tasks.checkpoint_sign")  # type: ignore[untyped-decorator]
def checkpoint_sign() -> int | None:
    """Beat task: sign a checkpoint of the audit log if it grew since the last one."""
    checkpoint = sign()
    return checkpoint.size if checkpoint else None


@shared_task(name="audit.tasks.audit_integrate")  # type: ignore[untyped-decorator]
def audit_integrate() -> int:
    """Beat task (the sweeper): integrate pending audit entries a lost nudge left behind."""
    from audit.integrator import audit_integrate as integrate

    return integrate()


@shared_task(name="audit.tasks.audit_verify", ignore_result=True)  # type: ignore[untyped-decorator]
def audit_verify() -> bool:
    """Beat task: verify the whole log and record the outcome (``LogVerificationRun``)."""
    from audit.integrity import audit_log_verify_record

    return audit_log_verify_record()[0].ok
