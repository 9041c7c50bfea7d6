"""Artifact hashing: digests come from the bytes, are recorded whole or not at all, and the signed
bundle is one that ``model_signing`` itself accepts."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.pure.evidence.bundle_verify import verify_bundle
from governance.accounts.principal import worker_principal
from governance.inventory.artifacts import artifact_hash_run
from governance.inventory.models import ArtifactHashJob, ModelVersion
from tests.conftest import wait_for
from tests.factories import ModelVersionFactory

WORKER = worker_principal("test")


def model_dir(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    (root / "tokenizer").mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    (root / "config.json").write_text('{"layers": 4}')
    (root / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    return root


def jwks() -> dict:
    return Client().get("/.well-known/jwks.json").json()


def model_signing_verifies(bundle: dict, model_path: Path, tmp_path: Path) -> None:
    import json

    from cryptography.hazmat.primitives import serialization
    from model_signing import verifying

    from audit.pure.evidence.keys import public_key_from_jwk

    key = public_key_from_jwk(jwks()["keys"][-1])
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signature = tmp_path / "bundle.json"
    signature.write_text(json.dumps(bundle))
    verifying.Config().use_elliptic_key_verifier(public_key=pem).verify(model_path, signature)


@pytest.mark.django_db
def test_directory_is_hashed_recorded_and_signed_for_model_signing(tmp_path):
    root = model_dir(tmp_path)
    mv = ModelVersionFactory(artifact_uri=root.as_uri(), artifact_digest="")
    job = ArtifactHashJob.objects.create(model_version=mv, requested_by="test")
    job = artifact_hash_run(job_id=job.pk, actor=WORKER)
    assert job.status == "succeeded", job.error
    mv.refresh_from_db()
    assert mv.artifact_digest == f"sha256:{job.manifest_digest}" and job.file_count == 3
    verified = verify_bundle(job.attestation.bundle, jwks(), artifact_path=root)
    assert verified.artifact_verified
    event = AuditEvent.objects.get(action="artifact.hashed")
    assert verified.audit_entry == str(event.entry_id)
    assert event.payload["artifact_digest"] == mv.artifact_digest
    model_signing_verifies(job.attestation.bundle, root, tmp_path)
    (root / "config.json").write_text('{"layers": 5}')  # tamper with the model after signing
    from model_signing.verifying import Config  # noqa: F401

    with pytest.raises(Exception):  # noqa: B017 - model_signing raises its own ValueError subclasses
        model_signing_verifies(job.attestation.bundle, root, tmp_path)


@pytest.mark.django_db
def test_single_file_digest_is_the_files_sha256(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(os.urandom(100_000))
    mv = ModelVersionFactory(artifact_uri=path.as_uri(), artifact_digest="")
    job = artifact_hash_run(job_id=ArtifactHashJob.objects.create(model_version=mv).pk, actor=WORKER)
    assert job.artifact_digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert ModelVersion.objects.get(pk=mv.pk).artifact_digest == job.artifact_digest


@pytest.mark.django_db
def test_declared_digest_mismatch_fails_and_records_nothing_signed(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"real bytes")
    declared = "sha256:" + "0" * 64
    mv = ModelVersionFactory(artifact_uri=path.as_uri(), artifact_digest=declared)
    job = artifact_hash_run(job_id=ArtifactHashJob.objects.create(model_version=mv).pk, actor=WORKER)
    assert job.status == "failed" and "declares" in job.error and job.attestation is None
    assert ModelVersion.objects.get(pk=mv.pk).artifact_digest == declared
    assert AuditEvent.objects.filter(action="artifact.digest_mismatch").count() == 1


@pytest.mark.django_db
def test_interrupted_job_leaves_no_digest_and_a_rerun_completes(tmp_path):
    root = model_dir(tmp_path)
    mv = ModelVersionFactory(artifact_uri=root.as_uri(), artifact_digest="")
    # What a worker killed mid-hash leaves behind: the job marked running, nothing recorded.
    job = ArtifactHashJob.objects.create(model_version=mv, status="running", attempts=1)
    assert ModelVersion.objects.get(pk=mv.pk).artifact_digest == ""
    job = artifact_hash_run(job_id=job.pk, actor=WORKER)  # the redelivered task
    assert job.status == "succeeded" and job.attempts == 2
    again = artifact_hash_run(job_id=job.pk, actor=WORKER)  # a duplicate delivery changes nothing
    assert again.attestation_id == job.attestation_id
    assert AuditEvent.objects.filter(action="artifact.hashed").count() == 1


@pytest.mark.django_db
def test_unreadable_artifacts_fail_clearly(tmp_path, make_user, client_for, team_a):
    missing = ModelVersionFactory(artifact_uri=(tmp_path / "nope").as_uri(), artifact_digest="")
    job = artifact_hash_run(job_id=ArtifactHashJob.objects.create(model_version=missing).pk, actor=WORKER)
    assert job.status == "failed" and "No artifact" in job.error
    s3 = ModelVersionFactory(model__team=team_a, artifact_uri="s3://bucket/model", artifact_digest="")
    client = client_for(make_user("submitter", teams=(team_a,)))
    response = client.post(f"/api/v1/model-versions/{s3.pk}/hash-artifact")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "artifact_uri"
    assert not ArtifactHashJob.objects.filter(model_version=s3).exists()


def test_hash_job_through_the_api_and_a_real_worker(
    celery_worker_thread, tmp_path, make_user, client_for, team_a
):
    root = model_dir(tmp_path)
    mv = ModelVersionFactory(model__team=team_a, artifact_uri=root.as_uri(), artifact_digest="")
    client = client_for(make_user("submitter", teams=(team_a,)))
    response = client.post(f"/api/v1/model-versions/{mv.pk}/hash-artifact")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    job = wait_for(
        lambda: ArtifactHashJob.objects.filter(pk=job_id, status__in=["succeeded", "failed"]).first()
    )
    assert job.status == "succeeded", job.error
    listing = client.get(f"/api/v1/model-versions/{mv.pk}/attestations").json()
    bundle = next(a["bundle"] for a in listing if a["subject_type"] == "inventory.modelversion")
    assert verify_bundle(bundle, jwks(), artifact_path=root).artifact_verified
    assert client.get(f"/api/v1/model-versions/{mv.pk}/artifact-jobs").json()[0]["status"] == "succeeded"
