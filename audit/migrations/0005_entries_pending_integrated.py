"""Accepting an audit entry is separated from integrating it into the tree.

* ``entry_id`` is an event's identity from the moment it is accepted; ``seq`` (its position) stays
  empty until the integrator assigns it, and ``integrated_at`` records when.
* Events recorded before this change keep their hashed bytes unchanged (their canonical document
  holds ``seq``, not an id): their entry id is derived from their leaf hash (its first 128 bits),
  so it is deterministic and anyone holding the export can recompute it. No re-anchoring is needed:
  every existing root, checkpoint and attestation stays valid.
* Attestations name the entry they were logged at (``audit_entry_id``); older ones keep the
  ``audit_seq`` they signed, and get the id of the event at that position.
* On PostgreSQL the evidence triggers stay, with one exception for the integrator: an event's
  ``seq`` and ``integrated_at`` may be set once, from empty, with every other column unchanged. The
  application role gets UPDATE on those two columns only.
"""

from django.conf import settings
from django.db import migrations, models

EVENT_COLUMNS = (
    "id",
    "entry_id",
    "created_at",
    "actor",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "payload",
    "request_id",
    "source_ip",
    "canonical",
    "leaf_hash",
)


def _guard_sql() -> str:
    new = ", ".join(f"NEW.{c}" for c in EVENT_COLUMNS)
    old = ", ".join(f"OLD.{c}" for c in EVENT_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION audit_event_integrate_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.integrated_at IS NULL
       AND NEW.integrated_at IS NOT NULL AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit evidence is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _roles(schema_editor):
    roles = ["PUBLIC", "CURRENT_USER"]
    app_role = getattr(settings, "AUDIT_APP_DB_ROLE", "")
    if app_role:
        roles.append(schema_editor.quote_name(app_role))
    return ", ".join(roles)


def backfill(apps, schema_editor):
    """Derive legacy entry ids from leaf hashes; link legacy attestations to their entry."""
    pg = schema_editor.connection.vendor == "postgresql"
    if pg:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update_delete"
        )
        schema_editor.execute(
            "ALTER TABLE audit_attestation DISABLE TRIGGER audit_attestation_no_update_delete"
        )
        schema_editor.execute(
            "UPDATE audit_auditevent SET entry_id = CAST(substr(leaf_hash, 1, 32) AS uuid), "
            "integrated_at = created_at WHERE entry_id IS NULL"
        )
        schema_editor.execute(
            "UPDATE audit_attestation a SET audit_entry_id = e.entry_id FROM audit_auditevent e "
            "WHERE e.seq = a.audit_seq AND a.audit_entry_id IS NULL"
        )
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_update_delete")
        schema_editor.execute(
            "ALTER TABLE audit_attestation ENABLE TRIGGER audit_attestation_no_update_delete"
        )
    else:
        schema_editor.execute(
            "UPDATE audit_auditevent SET entry_id = substr(leaf_hash, 1, 32), integrated_at = created_at "
            "WHERE entry_id IS NULL"
        )
        schema_editor.execute(
            "UPDATE audit_attestation SET audit_entry_id = (SELECT e.entry_id FROM audit_auditevent e "
            "WHERE e.seq = audit_attestation.audit_seq) WHERE audit_entry_id IS NULL"
        )


def integrator_exception(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_guard_sql(), params=None)  # RAISE uses %: no placeholder parsing
    schema_editor.execute("DROP TRIGGER audit_auditevent_no_update_delete ON audit_auditevent")
    schema_editor.execute(
        "CREATE TRIGGER audit_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_integrate_only()"
    )
    schema_editor.execute(f"GRANT UPDATE (seq, integrated_at) ON audit_auditevent TO {_roles(schema_editor)}")


def integrator_exception_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"REVOKE UPDATE (seq, integrated_at) ON audit_auditevent FROM {_roles(schema_editor)}"
    )
    schema_editor.execute("DROP TRIGGER audit_auditevent_no_update_delete ON audit_auditevent")
    schema_editor.execute(
        "CREATE TRIGGER audit_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION audit_reject_change()"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_event_integrate_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_append_only_postgres")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="entry_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="integrated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="attestation",
            name="audit_entry_id",
            field=models.UUIDField(help_text="the audit entry (id) the attestation was logged at", null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="entry_id",
            field=models.UUIDField(
                editable=False, help_text="The entry's identity (in its bytes).", unique=True
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                blank=True,
                editable=False,
                help_text="Position in the log; empty while pending.",
                null=True,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="attestation",
            name="audit_seq",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="legacy: the sequence number signed into attestations made before entry ids",
                null=True,
            ),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_pending_idx"
            ),
        ),
        migrations.RunPython(integrator_exception, integrator_exception_backwards),
    ]
