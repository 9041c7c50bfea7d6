"""Hashing model artifacts on workers and signing what was hashed (model_signing format).

The artifact's digest is what the deploy gate compares, so it must come from the bytes
themselves: a worker streams the file or directory, and only a complete hash is ever recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.attestations import attestation_for_statement
from audit.pure.evidence.model_artifact import compute_manifest
from audit.services import audit_append
from governance.accounts.principal import Principal
from governance.core.exceptions import ApplicationError
from governance.core.uris import local_path
from governance.inventory import events, lifecycle
from governance.inventory.models import ArtifactHashJob, ModelVersion
from governance.inventory.services import _require_write
from governance.jobs.outbox import job_dispatch

JOB_TYPE = "artifact_hash"  # governance.jobs registry name (apps.py)
HASH_TASK = "inventory.artifact_hash"


def artifact_local_path(uri: str) -> Path:
    return local_path(uri, field="artifact_uri")


@transaction.atomic
def artifact_hash_request(*, actor: Principal, model_version: ModelVersion) -> ArtifactHashJob:
    """Queue hashing of a version's artifact (the task is sent after commit, through the outbox)."""
    mv = ModelVersion.objects.select_related("model").get(pk=model_version.pk)
    _require_write(actor, mv.model.team_id, "this model version")
    artifact_local_path(mv.artifact_uri)
    job = ArtifactHashJob.objects.create(model_version=mv, requested_by=actor.ident)
    audit_append(actor=actor, action=events.ARTIFACT_HASH_REQUESTED, target=mv, payload={"job_id": job.pk})
    job_dispatch(task=HASH_TASK, args=[job.pk], job_type=JOB_TYPE, job_id=job.pk)
    return job


def artifact_hash_run(*, job_id: int, actor: Principal) -> ArtifactHashJob:
    """Hash, then record digest and attestation in one transaction. Safe to run again."""
    with transaction.atomic():
        job = ArtifactHashJob.objects.select_for_update().select_related("model_version").get(pk=job_id)
        if job.status in (ArtifactHashJob.Status.SUCCEEDED, ArtifactHashJob.Status.FAILED):
            return job
        job.status = ArtifactHashJob.Status.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
    try:
        path = artifact_local_path(job.model_version.artifact_uri)
        if not path.exists():
            raise ApplicationError(f"No artifact at {path}.", field="artifact_uri", code="not_found")
        manifest = compute_manifest(path)  # long: outside any transaction, nothing recorded yet
        if not manifest.resources:
            raise ApplicationError(f"{path} holds no files to hash.", field="artifact_uri", code="empty")
    except (OSError, ValueError, ApplicationError) as exc:
        return _fail(job_id, actor, str(getattr(exc, "message", exc)))
    return _record(job_id, actor, path, manifest)


@transaction.atomic
def _record(job_id: int, actor: Principal, path: Path, manifest: Any) -> ArtifactHashJob:
    job = ArtifactHashJob.objects.select_for_update().get(pk=job_id)
    mv = ModelVersion.objects.select_for_update().select_related("model").get(pk=job.model_version_id)
    # A single file is identified by its own sha256 (what `sha256sum` prints in CI); a directory
    # by the model_signing manifest digest over its files.
    hex_digest = manifest.resources[0].digest if path.is_file() else manifest.root_digest
    digest = f"sha256:{hex_digest}"
    if mv.artifact_digest and mv.artifact_digest != digest:
        audit_append(
            actor=actor,
            action=events.ARTIFACT_DIGEST_MISMATCH,
            target=mv,
            payload={"job_id": job.pk, "declared": mv.artifact_digest, "computed": digest},
        )
        return _finish(
            job,
            ArtifactHashJob.Status.FAILED,
            error=f"The artifact hashes to {digest}, but the version declares {mv.artifact_digest}.",
        )
    if not mv.artifact_digest:
        if not lifecycle.is_editable(mv.status):
            error = "A frozen version has no digest to record."
            return _finish(job, ArtifactHashJob.Status.FAILED, error=error)
        mv.artifact_digest = digest
        mv.updated_at = timezone.now()
        mv.save(update_fields=["artifact_digest", "updated_at"])
    event = audit_append(
        actor=actor,
        action=events.ARTIFACT_HASHED,
        target=mv,
        payload={
            "job_id": job.pk,
            "artifact_digest": digest,
            "manifest_digest": manifest.root_digest,
            "files": len(manifest.resources),
        },
    )
    attestation = attestation_for_statement(
        target=mv,
        statement=manifest.statement(audit_entry=str(event.entry_id)),
        audit_event=event,
        model_signing=True,
    )
    job.artifact_digest = digest
    job.manifest_digest = manifest.root_digest
    job.file_count = len(manifest.resources)
    job.attestation = attestation
    return _finish(job, ArtifactHashJob.Status.SUCCEEDED)


def artifact_hash_give_up(job_id: int, message: str) -> None:
    """The job layer stopped retrying (its workers kept dying): the job fails with that reason."""
    from governance.accounts.principal import worker_principal

    _fail(job_id, worker_principal("artifact_hash"), message)


def _fail(job_id: int, actor: Principal, error: str) -> ArtifactHashJob:
    with transaction.atomic():
        job = ArtifactHashJob.objects.select_for_update().get(pk=job_id)
        audit_append(
            actor=actor,
            action=events.ARTIFACT_HASH_FAILED,
            target=job.model_version,
            payload={"job_id": job.pk, "error": error},
        )
        return _finish(job, ArtifactHashJob.Status.FAILED, error=error)


def _finish(job: ArtifactHashJob, status: str, error: str = "") -> ArtifactHashJob:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
    return job
