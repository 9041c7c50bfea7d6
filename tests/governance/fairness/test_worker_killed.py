"""A worker killed in the middle of a fairness job does not lose it: its lease expires, the sweeper
(beat) sends the chunk again, the chunk is recounted once, the job completes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.db import connection

from governance.fairness.models import BiasReport, FairnessCheck, FairnessChunk
from tests.conftest import wait_for
from tests.factories import ModelVersionFactory

ROOT = Path(__file__).resolve().parents[3]


def start_worker(queue: str) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        # The job lease (governance.jobs) decides when a dead worker's chunk runs again; beat sweeps.
        "JOBS_LEASE_SECONDS": "4",
        "JOBS_HEARTBEAT_SECONDS": "1",
        "JOBS_SWEEP_SECONDS": "1",
        "FAIRNESS_CHUNK_ROWS": str(settings.FAIRNESS_CHUNK_ROWS),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "governance",
            "worker",
            "-B",
            "-s",
            str(Path(tempfile.gettempdir()) / f"beat-{queue}"),
            "-Q",
            queue,
            "--concurrency=1",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)  # the whole process group: main process and pool children
    worker.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.redis
def test_killed_worker_mid_chunk_does_not_lose_the_job(committed_db, client_for, make_user, team_a, settings):
    from governance.celery import app

    settings.FAIRNESS_CHUNK_ROWS = 300_000
    rng = np.random.default_rng(11)
    n = 900_000
    frame = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], n),
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
        }
    )
    buffer = io.BytesIO(frame.to_csv(index=False).encode())
    buffer.name = "predictions.csv"
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    worker = start_worker(queue)
    try:
        mv = ModelVersionFactory(model__team=team_a)
        client = client_for(make_user("submitter", teams=(team_a,)))
        config = {
            "model_version": mv.pk,
            "y_true": "y",
            "y_pred": "p",
            "sensitive_features": ["g"],
            "bootstrap": 50,
        }
        response = client.post(
            "/api/v1/fairness-checks/", {"file": buffer, "config": json.dumps(config)}, format="multipart"
        )
        assert response.status_code == 202, response.content
        check_id = response.json()["id"]
        # Kill the worker while a chunk is being counted (started, not finished).
        wait_for(
            lambda: FairnessChunk.objects.filter(
                fairness_check_id=check_id, attempts__gte=1, counts__isnull=True
            ).exists(),
            timeout=120,
            interval=0.05,
        )
        kill(worker)
        in_flight = set(
            FairnessChunk.objects.filter(
                fairness_check_id=check_id, attempts__gte=1, counts__isnull=True
            ).values_list("index", flat=True)
        )
        assert in_flight, "the kill should land mid-chunk"
        time.sleep(6)  # older than the visibility timeout: the new worker restores it at start
        worker = start_worker(queue)
        wait_for(
            lambda: FairnessCheck.objects.filter(pk=check_id, status__in=["succeeded", "failed"]).exists(),
            timeout=180,
        )
    finally:
        kill(worker)
        app.conf.task_default_queue = previous
    check = FairnessCheck.objects.get(pk=check_id)
    assert check.status == "succeeded", check.error
    assert BiasReport.objects.get(fairness_check=check).rows == n
    retried = FairnessChunk.objects.filter(fairness_check=check, index__in=in_flight, attempts__gte=2)
    assert retried.exists()  # the interrupted chunk was counted again, and only its final count kept
