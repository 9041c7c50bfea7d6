"""On PostgreSQL the evidence tables become append-only for the application.

Two independent locks: privileges (UPDATE/DELETE/TRUNCATE revoked from the application role) and
triggers that reject those statements for everyone, including the table owner. A superuser can
still disable triggers; verification (``audit_verify``) is what catches that.
"""

from django.conf import settings
from django.db import migrations

PROTECTED = ("audit_auditevent", "audit_checkpoint", "audit_attestation")

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # no placeholder parsing: RAISE uses %
    for table in PROTECTED:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_reject_change()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()"
        )
        schema_editor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {_roles(schema_editor)}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PROTECTED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"GRANT UPDATE, DELETE, TRUNCATE ON {table} TO CURRENT_USER")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_reject_change()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keys_checkpoints_attestations")]
    operations = [migrations.RunPython(forwards, backwards)]
