"""The reviewer's bias report page, and the demo data that shows one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from governance.fairness.models import BiasReport, FairnessCheck
from governance.inventory.models import ModelCard, ModelVersion, RegisteredModel

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_includes_a_signed_bias_report(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    counts = (
        RegisteredModel.objects.count(),
        ModelVersion.objects.count(),
        ModelCard.objects.count(),
        BiasReport.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    assert counts == (
        RegisteredModel.objects.count(),
        ModelVersion.objects.count(),
        ModelCard.objects.count(),
        BiasReport.objects.count(),
        AuditEvent.objects.count(),
    )
    assert counts[:4] == (2, 3, 3, 1)
    report = BiasReport.objects.get()
    assert report.attestation is not None and report.rows == 20_000
    assert report.passed is False  # the demo data is built to fail the four-fifths rule on age band


def test_reviewer_sees_tables_policy_and_charts(make_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    client = Client()
    client.force_login(make_user("model_risk_reviewer", is_staff=True))
    report = BiasReport.objects.get()
    page = client.get(f"/admin/fairness/biasreport/{report.pk}/change/").content.decode()
    assert "Policy: FAIL" in page and "four_fifths_rule" in page
    assert "sex=female, age_band=18-25" in page
    assert page.count("<svg") >= 5 and "<script>alert" not in page
    listing = client.get("/admin/fairness/fairnesscheck/").content.decode()
    assert "20,000 / 20,000 rows" in listing
    assert client.post(f"/admin/fairness/biasreport/{report.pk}/change/", {}).status_code == 403
    assert FairnessCheck.objects.get().status == "succeeded"
