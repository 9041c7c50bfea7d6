"""Seed one current approval policy per EU AI Act risk tier (sensible defaults, editable later)."""

from django.db import migrations

DEFAULTS = {
    "minimal": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": False,
        "bias_report_max_age_days": None,
        "validity_days": 365,
        "approvable": True,
    },
    "limited": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": True,
        "bias_report_max_age_days": 180,
        "validity_days": 365,
        "approvable": True,
    },
    "high": {
        "required_roles": {"model_risk_reviewer": 1, "privacy_officer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": True,
        "bias_report_max_age_days": 90,
        "validity_days": 180,
        "approvable": True,
    },
    # EU AI Act Art. 5: no reviewer quorum can approve a prohibited practice.
    "prohibited": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {},
        "require_passing_bias_report": False,
        "bias_report_max_age_days": None,
        "validity_days": 0,
        "approvable": False,
    },
}


def seed(apps, schema_editor):
    ApprovalPolicy = apps.get_model("approvals", "ApprovalPolicy")
    for tier, fields in DEFAULTS.items():
        if not ApprovalPolicy.objects.filter(risk_tier=tier, model__isnull=True).exists():
            ApprovalPolicy.objects.create(risk_tier=tier, version=1, created_by="migration", **fields)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
