"""The audit log cannot be rewritten through the database, and concurrent appends form one chain."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from audit.integrator import audit_integrate
from audit.models import AuditEvent, AuditLogHead
from audit.pure import merkle
from audit.services import audit_append
from governance.accounts.principal import cli_principal


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'forged' WHERE seq = 0",
        "DELETE FROM audit_auditevent WHERE seq = 0",
        "TRUNCATE audit_auditevent CASCADE",
        "UPDATE audit_attestation SET key_id = 'x'",
        "DELETE FROM audit_checkpoint",
    ],
)
def test_postgres_rejects_rewriting_evidence(statement):
    from django.utils import timezone

    from audit.models import Checkpoint
    from governance.inventory.services import model_card_create
    from tests.factories import ModelVersionFactory

    audit_append(actor=cli_principal("t"), action="test.event", target_type="t", target_id="1")
    audit_integrate()  # seq 0 is assigned at integration
    model_card_create(actor=cli_principal("t"), model_version=ModelVersionFactory(), caveats="signed")
    Checkpoint.objects.create(
        origin="o", size=1, root_hash="00" * 32, note="n", key_id="k", created_at=timezone.now()
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(seq=0, action="test.event").exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_revoked_update_delete_truncate_from_the_application_role():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'audit_auditevent' AND grantee = current_user"
        )
        privileges = {row[0] for row in cursor.fetchall()}
    assert "INSERT" in privileges and "SELECT" in privileges
    assert privileges.isdisjoint({"UPDATE", "DELETE", "TRUNCATE"})


def test_concurrent_appends_form_one_chain(committed_db):
    threads, per_thread = 8, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                audit_append(actor=cli_principal(f"thread-{n}"), action="test.concurrent", target_id=str(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors, errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(threads * per_thread))
    head = AuditLogHead.objects.get()
    leaves = [
        bytes.fromhex(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)
    ]
    assert head.size == len(leaves)
    assert merkle.CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks]).root() == merkle.root(
        leaves
    )
