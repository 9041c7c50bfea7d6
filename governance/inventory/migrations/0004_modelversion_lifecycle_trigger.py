"""On PostgreSQL, the model-version lifecycle holds for QuerySet.update() and raw SQL too.

``ModelVersion.save()`` guards the ORM path; this trigger refuses, for every statement: a new
version that does not start as a draft, an illegal status transition, a change to a frozen column of
a version that left draft, and deleting a version that left draft. The legal transitions are
written out here (migrations must not change with the code); a test checks they equal
``lifecycle.transition_pairs()``, so changing the lifecycle needs a new migration.
"""

from django.db import migrations

TRANSITIONS = [
    ("approved", "deployed"),
    ("approved", "expired"),
    ("approved", "retired"),
    ("deployed", "expired"),
    ("deployed", "retired"),
    ("draft", "retired"),
    ("draft", "submitted"),
    ("expired", "retired"),
    ("expired", "submitted"),
    ("rejected", "retired"),
    ("submitted", "approved"),
    ("submitted", "draft"),
    ("submitted", "rejected"),
]
FROZEN_COLUMNS = [
    "version",
    "artifact_uri",
    "artifact_digest",
    "framework",
    "training_run_ref",
    "metrics",
    "model_id",
]


def _function_sql() -> str:
    pairs = ", ".join(f"'{a}>{b}'" for a, b in TRANSITIONS)
    frozen = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION inventory_modelversion_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'model version lifecycle: a new version starts as a draft, not %', NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'model version lifecycle: a % version cannot be deleted (retire it)', OLD.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status || '>' || NEW.status) = ANY (ARRAY[{pairs}]) THEN
        RAISE EXCEPTION 'model version lifecycle: illegal transition % -> %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status <> 'draft' AND ({frozen}) THEN
        RAISE EXCEPTION 'model version lifecycle: frozen fields of a % version cannot change', OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_function_sql(), params=None)  # RAISE uses %: no placeholder parsing
    schema_editor.execute(
        "CREATE TRIGGER inventory_modelversion_lifecycle BEFORE INSERT OR UPDATE OR DELETE "
        "ON inventory_modelversion FOR EACH ROW EXECUTE FUNCTION inventory_modelversion_lifecycle()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS inventory_modelversion_lifecycle ON inventory_modelversion")
    schema_editor.execute("DROP FUNCTION IF EXISTS inventory_modelversion_lifecycle()")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_json_safe_validators")]
    operations = [migrations.RunPython(forwards, backwards)]
