"""``audit_verify`` catches every way of changing the stored log behind the application's back."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.checkpoints import checkpoint_sign
from audit.models import AuditEvent, Checkpoint
from governance.accounts.principal import cli_principal
from governance.inventory.services import registered_model_create
from tests.factories import TeamFactory


def grow(n: int, start: int = 0) -> None:
    team = TeamFactory()
    for i in range(start, start + n):
        registered_model_create(
            actor=cli_principal("t"),
            team=team,
            name=f"m{i}",
            risk_tier="minimal",
            intended_use="x",
            domain="d",
        )


def verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def raw(sql: str, params: list) -> None:
    """Edit the table as a database superuser would, bypassing the application (and its triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.fixture
def signed_log(db):
    grow(10)
    assert checkpoint_sign() is not None
    grow(10, start=10)
    assert checkpoint_sign() is not None
    assert checkpoint_sign() is None  # nothing new to sign
    return AuditEvent.objects.count()


@pytest.mark.django_db
def test_intact_log_verifies(signed_log):
    assert f"OK: {signed_log} events" in verify()
    assert Checkpoint.objects.count() == 2


@pytest.mark.django_db
def test_checkpoint_command_and_beat_task_sign_the_head(signed_log):
    from audit.tasks import checkpoint_sign as task

    grow(1, start=99)
    assert task() == signed_log + 1  # the beat task body signs the new head
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert out.getvalue().strip() == "Nothing new to sign."


@pytest.mark.django_db
def test_edited_canonical_bytes_are_caught_at_their_sequence(signed_log):
    event = AuditEvent.objects.get(seq=7)
    forged = bytes(event.canonical).replace(b'"m', b'"M', 1)
    raw("UPDATE audit_auditevent SET canonical = %s WHERE seq = 7", [forged])
    with pytest.raises(CommandError, match="first bad sequence number 7"):
        verify()


@pytest.mark.django_db
def test_rehashed_forgery_is_caught_by_the_signed_checkpoint(signed_log):
    from audit.pure.canonical import canonical_bytes
    from audit.pure.merkle import hash_leaf
    from audit.services import event_document

    event = AuditEvent.objects.get(seq=4)
    event.action = "model.deleted"
    forged = canonical_bytes(event_document(event))
    raw(
        "UPDATE audit_auditevent SET action = %s, canonical = %s, leaf_hash = %s WHERE seq = 4",
        ["model.deleted", forged, hash_leaf(forged).hex()],
    )
    # Bytes and leaf hash were rewritten consistently: only the signed root shows it, and a root can
    # only say "some event up to the first checkpoint" (seq 0..10: the signing key and ten models).
    with pytest.raises(CommandError, match=r"events 0\.\.10: root of the first 11 events"):
        verify()


@pytest.mark.django_db
def test_edited_column_without_touching_the_hash_is_caught(signed_log):
    raw("UPDATE audit_auditevent SET actor_label = %s WHERE seq = 12", ["someone else"])
    with pytest.raises(CommandError, match="first bad sequence number 12: the event's columns disagree"):
        verify()


@pytest.mark.django_db
def test_deleted_event_is_caught(signed_log):
    raw("DELETE FROM audit_auditevent WHERE seq = 15", [])
    with pytest.raises(CommandError, match="first bad sequence number 15"):
        verify()


@pytest.mark.django_db
def test_reordered_events_are_caught(signed_log):
    raw("UPDATE audit_auditevent SET seq = 1000000 WHERE seq = 3", [])
    raw("UPDATE audit_auditevent SET seq = 3 WHERE seq = 5", [])
    raw("UPDATE audit_auditevent SET seq = 5 WHERE seq = 1000000", [])
    # Each moved entry still hashes to its own leaf and names itself by id: the roots show the
    # reordering, located within the first checkpoint's range (seq 0..10), where 3 and 5 lie.
    with pytest.raises(CommandError, match=r"events 0\.\.10: root of the first 11 events"):
        verify()


@pytest.mark.django_db
def test_truncated_log_is_caught(signed_log):
    raw("DELETE FROM audit_auditevent WHERE seq >= 15", [])
    with pytest.raises(CommandError):
        verify()


def test_beat_task_signs_through_a_real_worker(celery_worker_thread):
    from audit.tasks import checkpoint_sign as task
    from tests.conftest import wait_for

    grow(3)
    task.delay()
    checkpoint = wait_for(lambda: Checkpoint.objects.first())
    assert checkpoint.size == AuditEvent.objects.count()
    assert "OK:" in verify()
