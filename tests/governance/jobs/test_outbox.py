"""The outbox and leases in-process: dispatched iff committed, pending while the broker is down,
re-sent by the sweeper when lost or when a worker's lease expired, given up after too many deaths."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from governance.inventory.models import ArtifactHashJob
from governance.jobs.lease import job_lease, lease_take
from governance.jobs.models import JobDispatch
from governance.jobs.outbox import dispatch_key, jobs_sweep
from governance.jobs.selectors import job_health
from tests.factories import ModelVersionFactory


class BrokerSpy:
    """Stands in for ``app.send_task``: records messages, or fails like an unreachable broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list]] = []
        self.down = False

    def __call__(self, name, args=None, **options):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.sent.append((name, list(args or [])))


@pytest.fixture
def broker(monkeypatch):
    from governance.celery import app

    spy = BrokerSpy()
    monkeypatch.setattr(app, "send_task", spy)
    return spy


def hash_request(client, tmp_path, team):
    root = tmp_path / "model"
    root.mkdir(exist_ok=True)
    (root / "weights.bin").write_bytes(os.urandom(1024))
    mv = ModelVersionFactory(model__team=team, artifact_uri=root.as_uri(), artifact_digest="")
    return client.post(f"/api/v1/model-versions/{mv.pk}/hash-artifact")


def test_a_job_is_dispatched_after_commit_and_only_then(
    committed_db, broker, client_for, make_user, team_a, tmp_path
):
    from governance.accounts.principal import cli_principal
    from governance.inventory.artifacts import artifact_hash_request

    client = client_for(make_user("submitter", teams=(team_a,)))
    response = hash_request(client, tmp_path, team_a)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert broker.sent == [("inventory.artifact_hash", [job_id])]
    assert JobDispatch.objects.get().sent_at is not None

    mv = ModelVersionFactory(model__team=team_a, artifact_uri=(tmp_path / "model").as_uri())
    with pytest.raises(RuntimeError), transaction.atomic():
        artifact_hash_request(actor=cli_principal("t"), model_version=mv)
        raise RuntimeError("the business transaction rolls back")
    assert JobDispatch.objects.count() == 1 and len(broker.sent) == 1  # nothing for the rolled-back job


def test_broker_down_answers_202_and_the_sweeper_sends_later(
    committed_db, broker, client_for, make_user, team_a, tmp_path
):
    broker.down = True
    client = client_for(make_user("submitter", teams=(team_a,)))
    responses = [hash_request(client, tmp_path, team_a) for _ in range(3)]
    assert [r.status_code for r in responses] == [202, 202, 202]
    assert JobDispatch.objects.filter(sent_at__isnull=True).count() == 3
    mv_id = ArtifactHashJob.objects.first().model_version_id
    assert client.get(f"/api/v1/model-versions/{mv_id}").status_code == 200  # reads keep working

    later = timezone.now() + dt.timedelta(seconds=5)
    assert jobs_sweep(now=later).sent == 0  # still down: still pending, nothing lost
    broker.down = False
    assert jobs_sweep(now=later).sent == 3
    assert sorted(args[0] for _, args in broker.sent) == sorted(r.json()["id"] for r in responses)
    assert jobs_sweep(now=later).sent == 0  # sent and within the ack timeout: not sent twice


def test_unacknowledged_and_dead_leases_are_sent_again(
    committed_db, broker, client_for, make_user, team_a, tmp_path, settings
):
    client = client_for(make_user("submitter", teams=(team_a,)))
    job_id = hash_request(client, tmp_path, team_a).json()["id"]
    key = dispatch_key("inventory.artifact_hash", [job_id])
    # Lost by the broker (restarted without persistence): re-sent after the ack timeout.
    soon = timezone.now() + dt.timedelta(seconds=settings.JOBS_ACK_TIMEOUT_SECONDS + 1)
    assert jobs_sweep(now=soon).sent == 1
    # A worker takes it, then dies: a live lease is left alone, an expired one is re-sent.
    lease = lease_take(key)
    assert lease.held and not lease_take(key).held  # a duplicate delivery does not run it twice
    assert jobs_sweep(now=timezone.now()).due == 0
    expired = timezone.now() + dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS + 1)
    assert jobs_sweep(now=expired).sent == 1
    dispatch = JobDispatch.objects.get(key=key)
    assert dispatch.attempts == 1 and dispatch.lease_owner == "" and dispatch.sends == 3
    assert lease_take(key).held  # the next delivery may run it


def test_a_finished_job_is_not_run_again_and_raising_releases_the_lease(committed_db, broker, team_a):
    JobDispatch.objects.create(key="t:[1]", task="t", args=[1], job_type="artifact_hash", job_id=1)
    with pytest.raises(ValueError), job_lease("t", [1]) as lease:
        assert lease.held
        raise ValueError("boom")
    dispatch = JobDispatch.objects.get()
    assert dispatch.finished_at is None and dispatch.lease_expires_at <= timezone.now()
    assert "boom" in dispatch.last_error
    with job_lease("t", [1]) as lease:
        assert lease.held
    with job_lease("t", [1]) as lease:
        assert not lease.held  # finished: a redelivered message is a no-op
    assert JobDispatch.objects.get().attempts == 2


def test_a_job_whose_workers_keep_dying_fails_with_the_reason(
    committed_db, broker, settings, tmp_path, team_a
):
    from governance.accounts.principal import cli_principal
    from governance.inventory.artifacts import artifact_hash_request

    settings.JOBS_MAX_ATTEMPTS = 2
    mv = ModelVersionFactory(model__team=team_a, artifact_uri=tmp_path.as_uri(), artifact_digest="")
    job = artifact_hash_request(actor=cli_principal("t"), model_version=mv)
    key = dispatch_key("inventory.artifact_hash", [job.pk])
    for _ in range(2):
        assert lease_take(key).held
        jobs_sweep(now=timezone.now() + dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS + 1))
    job.refresh_from_db()
    assert job.status == "failed" and "after 2 attempts" in job.error
    assert JobDispatch.objects.get(key=key).finished_at is not None


def test_job_health_and_ready_degraded_when_the_broker_is_down(
    committed_db, broker, client_for, make_user, team_a, tmp_path, monkeypatch, settings
):
    from governance.celery import app

    client = client_for(make_user("submitter", teams=(team_a,)))
    hash_request(client, tmp_path, team_a)
    health = job_health()
    assert health.types["artifact_hash"]["counts"]["queued"] == 1
    assert health.types["artifact_hash"]["oldest_queued_seconds"] >= 0
    assert health.types["fairness_check"]["counts"] == {
        "queued": 0,
        "running": 0,
        "succeeded": 0,
        "failed": 0,
    }

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(app, "connection_for_write", unreachable)
    settings.JOBS_STALE_SECONDS = 0
    ready = Client().get("/-/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded" and body["checks"]["broker"].startswith("error")
    assert any("broker unreachable" in r for r in body["reasons"])
    assert any("without a live worker" in r for r in body["reasons"])
    assert body["jobs"]["types"]["artifact_hash"]["counts"]["queued"] == 1


@pytest.mark.django_db
def test_admin_shows_job_health(admin_client):
    page = admin_client.get("/admin/jobs/jobdispatch/")
    assert page.status_code == 200
    assert b"Job health" in page.content and b"fairness_check" in page.content
