"""Accepting an entry is separate from integrating it: no global lock for writers, one gap-free tree.

Real PostgreSQL for the concurrency and crash tests (threads, processes, SIGKILL); the rest runs on
either database.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from audit.checkpoints import checkpoint_sign
from audit.integrator import audit_integrate
from audit.integrity import audit_log_verify
from audit.models import AuditEvent, AuditLogHead, Checkpoint
from audit.pure import merkle
from audit.services import audit_append
from governance.accounts.principal import cli_principal
from tests.conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
ACTOR = cli_principal("test")


def append(n: int = 1, **extra) -> list[AuditEvent]:
    return [
        audit_append(actor=ACTOR, action="test.event", target_type="t", target_id=str(i), **extra)
        for i in range(n)
    ]


def assert_one_gap_free_tree() -> int:
    """Every entry integrated exactly once, positions 0..n-1, head and every checkpoint agree."""
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "leaf_hash"))
    assert [seq for seq, _ in rows] == list(range(len(rows)))
    head = AuditLogHead.objects.get()
    leaves = [bytes.fromhex(h) for _, h in rows]
    assert head.size == len(rows)
    assert merkle.CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks]).root() == merkle.root(
        leaves
    )
    for checkpoint in Checkpoint.objects.all():
        assert merkle.root(leaves[: checkpoint.size]).hex() == checkpoint.root_hash
    result = audit_log_verify()
    assert result.ok, result.problems
    return len(rows)


@pytest.mark.django_db
def test_accepted_entry_has_its_identity_at_once_and_its_position_at_integration():
    (event,) = append()
    assert event.seq is None and event.entry_id is not None
    document = json.loads(bytes(event.canonical))
    assert document["id"] == str(event.entry_id) and "seq" not in document
    assert merkle.hash_leaf(bytes(event.canonical)).hex() == event.leaf_hash
    assert AuditLogHead.objects.get().size == 0
    assert audit_integrate() == 1
    event.refresh_from_db()
    assert event.seq == 0 and event.integrated_at is not None
    assert audit_integrate() == 0  # nothing twice


@pytest.mark.django_db
def test_rolled_back_business_transaction_leaves_no_entry():
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        append(3)
        raise RuntimeError("the business change failed")
    assert AuditEvent.objects.count() == before
    assert audit_integrate() == 0


@pytest.mark.django_db
def test_entry_by_id_says_pending_then_gives_seq_and_a_proof(make_user, client_for):
    client = client_for(make_user("auditor"))
    append(4)
    (event,) = append()
    pending = client.get(f"/api/v1/audit/events/{event.entry_id}").json()
    assert pending["status"] == "pending" and pending["seq"] is None and pending["inclusion"] is None
    assert pending["id"] == str(event.entry_id) and pending["action"] == "test.event"
    assert client.get(f"/api/v1/audit/events/{event.entry_id}/proof?tree_size=5").status_code == 409

    checkpoint = checkpoint_sign()
    entry = client.get(f"/api/v1/audit/events/{event.entry_id}").json()
    assert entry["status"] == "integrated" and isinstance(entry["seq"], int)
    proof = entry["inclusion"]
    assert proof["tree_size"] == checkpoint.size and proof["checkpoint"] == checkpoint.note
    merkle.verify_inclusion(
        entry["seq"],
        proof["tree_size"],
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(h) for h in proof["inclusion_path"]],
        bytes.fromhex(checkpoint.root_hash),
    )
    assert client.get(f"/api/v1/audit/events/{entry['seq']}").json()["id"] == str(event.entry_id)
    assert client.get("/api/v1/audit/events/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.django_db
def test_api_serves_the_hashed_document_not_the_columns(make_user, client_for):
    (event,) = append(payload={})
    audit_integrate()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'forged' WHERE id = %s", [event.pk])
    client = client_for(make_user("auditor"))
    served = client.get(f"/api/v1/audit/events/{event.entry_id}").json()
    assert served["actor"]["label"] == ACTOR.label
    listed = client.get("/api/v1/audit/events/").json()["results"]
    assert all(row["actor"]["label"] != "forged" for row in listed)


def test_background_integrator_thread_integrates_after_commit(committed_db, settings):
    """The production mode: a commit wakes this process's integrator thread."""
    settings.AUDIT_INTEGRATE_MODE = "thread"
    with transaction.atomic():
        (event,) = append()
    assert wait_for(lambda: AuditEvent.objects.get(pk=event.pk).seq is not None, timeout=10)


# --- Concurrency and crashes on real PostgreSQL ---------------------------------------------------


@pytest.mark.postgres
def test_concurrent_thread_writers_and_checkpoints_leave_one_tree(committed_db):
    """Writers in their own transactions, a checkpoint signer beside them: one tree, every root signed."""
    threads, per_thread = 8, 40
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)
    done = threading.Event()

    def writer() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    append(2)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def signer() -> None:
        try:
            barrier.wait()
            while not done.is_set():
                checkpoint_sign()
                time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=writer) for _ in range(threads)]
    signing = threading.Thread(target=signer)
    for thread in [*pool, signing]:
        thread.start()
    for thread in pool:
        thread.join()
    done.set()
    signing.join()
    assert not errors, errors
    audit_integrate()
    checkpoint_sign()
    assert Checkpoint.objects.count() >= 2
    assert assert_one_gap_free_tree() == threads * per_thread * 2 + 1  # + the signing key's creation


def _subprocess_env() -> dict[str, str]:
    """The test database as a ``DATABASE_URL`` for child processes."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "governance.settings"
    return env


APPEND_SCRIPT = """
import django, sys
django.setup()
from django.db import transaction
from audit.services import audit_append
from audit.vocabulary import registry
from governance.accounts.principal import cli_principal
if "test.event" not in registry:
    registry.declare("test.event", "test")
actor = cli_principal("proc")
for i in range(int(sys.argv[1])):
    with transaction.atomic():
        audit_append(actor=actor, action="test.event", target_type="p", target_id=str(i))
"""


@pytest.mark.postgres
def test_concurrent_process_writers_leave_one_tree(committed_db):
    env = _subprocess_env() | {"AUDIT_INTEGRATE_MODE": "thread"}
    procs = [
        subprocess.Popen([sys.executable, "-c", APPEND_SCRIPT, "60"], cwd=REPO, env=env) for _ in range(4)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    # Each process integrated what it accepted before it exited (its integrator thread dies with it,
    # so the exit waits for the head rather than leaving entries to the sweeper).
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    checkpoint_sign()
    assert assert_one_gap_free_tree() == 4 * 60 + 1


INTEGRATE_SCRIPT = """
import django
django.setup()
from audit.integrator import integrate_batch
print("integrated", integrate_batch(batch_size=100000), flush=True)
"""


@pytest.mark.postgres
def test_integrator_killed_mid_batch_loses_and_duplicates_nothing(committed_db, settings):
    """SIGKILL an integrator while its batch is half written: the batch rolls back whole."""
    settings.AUDIT_INTEGRATE_MODE = "off"
    for _ in range(10):
        with transaction.atomic():
            append(50)
    pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list("id", flat=True))
    assert len(pending) == 500
    blocker = connections.create_connection("default")  # holds one late row so the batch stops there
    try:
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute("SELECT id FROM audit_auditevent WHERE id = %s FOR UPDATE", [pending[400]])
        proc = subprocess.Popen([sys.executable, "-c", INTEGRATE_SCRIPT], cwd=REPO, env=_subprocess_env())

        def integrator_blocked() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'UPDATE audit_auditevent%%'"
                )
                return cursor.fetchone()[0] == 1

        assert wait_for(integrator_blocked, timeout=60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        blocker.rollback()
    finally:
        blocker.close()

    def rolled_back() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'UPDATE audit_auditevent%%'"
            )
            return cursor.fetchone()[0] == 0

    assert wait_for(rolled_back, timeout=60)
    assert AuditEvent.objects.filter(seq__isnull=False).count() == 0  # nothing of the killed batch
    assert AuditLogHead.objects.filter(size__gt=0).count() == 0
    assert audit_integrate() == 500
    checkpoint_sign()
    assert assert_one_gap_free_tree() == 501


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_lets_the_integrator_set_a_position_once_and_nothing_else():
    from django.db import DatabaseError

    (event,) = append()
    audit_integrate()
    for statement in (
        "UPDATE audit_auditevent SET seq = 99 WHERE id = %s",
        "UPDATE audit_auditevent SET integrated_at = now() WHERE id = %s",
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    (pending,) = append()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):  # a position, but the bytes changed too
        cursor.execute(
            "UPDATE audit_auditevent SET seq = 5, integrated_at = now(), leaf_hash = 'x' WHERE id = %s",
            [pending.pk],
        )


def test_settings_default_to_the_background_integrator(monkeypatch):
    """PostgreSQL integrates in a background thread, SQLite right after each commit; tests opt into
    inline integration."""
    import importlib

    from governance import settings as project_settings

    for url, mode in (("postgres://u@127.0.0.1:5432/db", "thread"), ("sqlite:////tmp/x.sqlite3", "inline")):
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.delenv("AUDIT_INTEGRATE_MODE", raising=False)
        assert mode == importlib.reload(project_settings).AUDIT_INTEGRATE_MODE
    monkeypatch.undo()
    importlib.reload(project_settings)

    assert settings.AUDIT_INTEGRATE_SWEEP_SECONDS > 0
    assert project_settings.CELERY_BEAT_SCHEDULE["audit-integrate"]["task"] == "audit.tasks.audit_integrate"
