"""Seed one current approval policy per EU AI Act risk tier (sensible defaults, editable later)."""

from django.db import migrations

from governance.approvals.constants import DEFAULT_POLICIES


def seed(apps, schema_editor):
    ApprovalPolicy = apps.get_model("approvals", "ApprovalPolicy")
    for tier, fields in DEFAULT_POLICIES.items():
        if not ApprovalPolicy.objects.filter(risk_tier=tier, model__isnull=True).exists():
            ApprovalPolicy.objects.create(risk_tier=tier, version=1, created_by="migration", **fields)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
