"""Issue 10 finding 4 against real processes: a decompression-bomb Parquet file fails one job cleanly,
naming the column, and the worker's resident memory stays below a stated ceiling."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from governance.fairness.models import FairnessCheck
from tests.conftest import wait_for
from tests.factories import ModelVersionFactory
from tests.governance.limits.stack import Stack, descendants, kib, read_status

pytestmark = pytest.mark.worker

ROWS = 50_000
# Peak RSS of any worker process (main, beat, pool child). Unbounded batches (262,144 rows) took a bare
# count of this file to 629 MiB and the 524,288-row file to 4.9 GiB; by-bytes batches and the
# group-value cap keep the pool child near 300 MiB (measured 297 MiB) with RLIMIT_AS at 4 GiB.
RSS_CEILING_MIB = 400


def bomb(path) -> int:
    """Distinct ~4 KB strings in the sensitive column, zstd, no dictionary: tiny on disk, huge decoded."""
    filler = np.random.default_rng(0).bytes(2000).hex()
    values = pa.array([f"{i:08d}{filler}" for i in range(ROWS)])
    labels = np.tile([0, 1], ROWS // 2)
    table = pa.table({"g": values, "y": labels, "p": labels[::-1].copy()})
    pq.write_table(table, path, compression="zstd", use_dictionary=False)
    return table.nbytes


@pytest.fixture
def stack(committed_db, tmp_path, team_a):
    running = Stack(
        tmp_path,
        team_a,
        ["fairness:read", "fairness:write"],
        JOBS_SWEEP_SECONDS="1",
        CELERY_WORKER_ADDRESS_SPACE_MB="4096",
    )
    yield running
    running.close()


def test_bomb_fails_naming_the_column_with_worker_rss_below_the_ceiling(stack, team_a, tmp_path, capsys):
    path = tmp_path / "bomb.parquet"
    decoded = bomb(path)
    worker = stack.start_worker()
    mv = ModelVersionFactory(model__team=team_a)
    config = {"model_version": mv.pk, "y_true": "y", "y_pred": "p", "sensitive_features": ["g"]}
    status, _headers, body = stack.post(
        "/api/v1/fairness-checks/", {"config": config, "source_uri": path.as_uri()}
    )
    assert status == 202, body
    wait_for(
        lambda: FairnessCheck.objects.filter(pk=body["id"], status__in=["succeeded", "failed"]).exists(),
        timeout=120,
        interval=0.2,
    )
    check = FairnessCheck.objects.get(pk=body["id"])
    assert check.status == "failed"
    assert check.error_field == "g", (check.error_field, check.error)
    assert "at most 256 bytes" in check.error
    peaks = {pid: kib(read_status(pid)["VmHWM"]) for pid in [worker.pid, *descendants(worker.pid)]}
    peak_mib = max(peaks.values()) / 1024
    with capsys.disabled():
        print(
            f"\n[limits] bomb {path.stat().st_size / 1e6:.1f} MB on disk, {decoded / 2**20:.0f} MiB decoded: "
            f"worker peak RSS {peak_mib:.0f} MiB (ceiling {RSS_CEILING_MIB} MiB); per process {peaks}"
        )
    assert peak_mib < RSS_CEILING_MIB
