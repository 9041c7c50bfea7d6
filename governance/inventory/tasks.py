"""Celery tasks of the inventory: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from governance.accounts.principal import worker_principal


@shared_task(name="inventory.artifact_hash", acks_late=True)  # type: ignore[untyped-decorator]
def artifact_hash(job_id: int) -> str:
    """Hash a model artifact and sign its model_signing attestation."""
    from governance.inventory.artifacts import artifact_hash_run

    return artifact_hash_run(job_id=job_id, actor=worker_principal("artifact_hash")).status
