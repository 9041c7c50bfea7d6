"""Celery tasks of the inventory: take ids, call one service, safe to run twice (acks_late + a lease)."""

from __future__ import annotations

from governance.accounts.principal import worker_principal
from governance.jobs.lease import job_task


@job_task("inventory.artifact_hash")
def artifact_hash(job_id: int) -> str:
    """Hash a model artifact and sign its model_signing attestation."""
    from governance.inventory.artifacts import artifact_hash_run

    return artifact_hash_run(job_id=job_id, actor=worker_principal("artifact_hash")).status
