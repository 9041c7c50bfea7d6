"""Entries and attestations from before the integrator keep verifying: their bytes are never rewritten.

The log is built with the schema and document format of migration 0004 (each canonical document
holds its ``seq``; attestations sign ``audit_sequence``), then migrated forward; the old and the new
entries form one log that both verifiers accept.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.checkpoints import checkpoint_sign
from audit.integrator import audit_integrate
from audit.integrity import audit_log_verify
from audit.models import Attestation, AuditEvent
from audit.pure.canonical import canonical_bytes
from audit.pure.evidence.bundle import sign_statement
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.intoto import BIAS_REPORT_PREDICATE, statement, subject
from audit.pure.merkle import CompactRange, hash_leaf
from audit.services import audit_append
from audit.signing import current_signer, jwks
from governance.accounts.principal import cli_principal

BEFORE = [("audit", "0004_append_only_postgres")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_legacy_entries_and_attestations_verify_after_the_migration(committed_db):
    signer = current_signer()  # before going back: the key and its (new-format) creation entry exist
    # Every app's leaf: going back to audit 0004 also unapplies the apps whose migrations need later
    # audit tables (the gate's), and the tests that follow need them all.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    try:
        tree = CompactRange()
        t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")  # clear what the key left
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute("DELETE FROM audit_auditloghead")
            for seq in range(5):
                document = {
                    "seq": seq,
                    "time": t0 + dt.timedelta(minutes=seq),  # canonical_bytes formats it, as before
                    "actor": {"id": "cli:old", "label": "old release"},
                    "action": "model.create",
                    "target": {"type": "inventory.registeredmodel", "id": str(seq)},
                    "payload": {"after": {"name": f"m{seq}"}},
                    "request_id": None,
                    "source_ip": None,
                }
                canonical = canonical_bytes(document)
                leaf = hash_leaf(canonical)
                tree.append(leaf)
                cursor.execute(
                    "INSERT INTO audit_auditevent (seq, created_at, actor, actor_label, action, target_type,"
                    " target_id, payload, request_id, source_ip, canonical, leaf_hash)"
                    " VALUES (%s, %s, 'cli:old', 'old release', 'model.create', 'inventory.registeredmodel',"
                    " %s, %s, '', NULL, %s, %s)",
                    [
                        seq,
                        t0 + dt.timedelta(minutes=seq),
                        str(seq),
                        json.dumps({"after": {"name": f"m{seq}"}}),
                        canonical,
                        leaf.hex(),
                    ],
                )
            cursor.execute(
                "INSERT INTO audit_auditloghead (id, size, peaks) VALUES (1, %s, %s)",
                [tree.size, '["' + '","'.join(p.hex() for p in tree.peaks) + '"]'],
            )
            legacy_bundle = sign_statement(
                statement([subject("report-3", "ab" * 32)], BIAS_REPORT_PREDICATE, {"audit_sequence": 3}),
                signer,
            )
            cursor.execute(
                "INSERT INTO audit_attestation (predicate_type, subject_type, subject_id, subject_digest,"
                " audit_seq, key_id, bundle, created_at) VALUES (%s, 'fairness.biasreport', '3', %s, 3, %s,"
                " %s, %s)",
                [BIAS_REPORT_PREDICATE, "ab" * 32, signer.key_id, json.dumps(legacy_bundle), t0],
            )
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
    finally:
        _migrate(latest)

    legacy = AuditEvent.objects.get(seq=3)
    assert legacy.entry_id == uuid.UUID(legacy.leaf_hash[:32])  # derived, not stored in the bytes
    attestation = Attestation.objects.get(subject_id="3", subject_type="fairness.biasreport")
    assert attestation.audit_entry_id == legacy.entry_id and attestation.audit_seq == 3
    verified = verify_bundle(attestation.bundle, jwks())
    assert verified.audit_sequence == 3 and verified.audit_entry is None

    audit_append(actor=cli_principal("t"), action="test.event", target_type="t", target_id="new")
    audit_integrate()
    checkpoint_sign()
    result = audit_log_verify()
    assert result.ok, result.problems
    assert result.log.size == 6  # five legacy entries and the new one, in one verified tree
