"""The reviewer's bias report page, and the demo data that shows one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.presenter import (
    BiasReportPresentation,
    audit_entry_reference,
    bias_report_presentation,
)
from governance.inventory.models import ModelCard, ModelVersion, RegisteredModel
from tests.factories import ModelVersionFactory
from tests.governance.fairness.test_fairness_jobs import predictions, run_inline, upload

pytestmark = pytest.mark.django_db


def failing_report() -> BiasReport:
    """The demo's failing report: credit-scoring 1.1.0 (the other demo versions' reports pass)."""
    return BiasReport.objects.get(model_version__model__name="credit-scoring", model_version__version="1.1.0")


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
    # 3 models, 5 versions, 6 cards (readmission-risk's card was revised in review), 4 bias reports
    assert counts[:4] == (3, 5, 6, 4)
    report = failing_report()
    assert report.attestation is not None and report.rows == 20_000
    assert report.passed is False  # the demo data is built to fail the four-fifths rule on age band
    passing = BiasReport.objects.exclude(pk=report.pk)
    assert all(r.passed and r.attestation is not None for r in passing)


def test_reviewer_sees_tables_policy_and_charts(make_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    client = Client()
    client.force_login(make_user("model_risk_reviewer", is_staff=True))
    report = failing_report()
    page = client.get(f"/admin/fairness/biasreport/{report.pk}/change/").content.decode()
    assert "Policy: FAIL" in page and "four_fifths_rule" in page
    assert "sex=female, age_band=18-25" in page
    assert page.count("<svg") >= 5 and "<script>alert" not in page
    listing = client.get("/admin/fairness/fairnesscheck/").content.decode()
    assert "20,000 / 20,000 rows" in listing
    assert client.post(f"/admin/fairness/biasreport/{report.pk}/change/", {}).status_code == 403
    assert FairnessCheck.objects.get(report=report).status == "succeeded"


def test_bias_report_presentation_needs_no_request(settings, tmp_path):
    """What the admin page shows, and the PDF reports (rendered in a Celery task) will."""
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    report = failing_report()
    page = bias_report_presentation(report)
    assert isinstance(page, BiasReportPresentation)
    assert page.verdict == "FAIL" and page.passed is False and page.rows == 20_000
    assert page.model == "credit-scoring" and page.version == "1.1.0"
    assert [t.rule for t in page.thresholds] == ["four_fifths_rule"]
    assert page.thresholds[0].band == "between 0.8 and 1.25"
    assert any(not line.passed for line in page.policy)
    intersection = page.views[0]
    assert intersection.name == "intersection" and intersection.columns == ("sex", "age_band")
    group = next(g for g in intersection.groups if g.label == "sex=female, age_band=18-25")
    rate = dict(zip(intersection.metrics, group.values, strict=True))["selection_rate"]
    exact = next(
        g["metrics"]["selection_rate"]
        for g in report.report["intersection"]["groups"]
        if g["group"] == {"sex": "female", "age_band": "18-25"}
    )
    assert rate.exact == exact and rate.display == f"{exact:.4f}"  # rounded for reading, exact beside it
    assert {d.metric for d in intersection.disparities} >= {"selection_rate"}
    assert len(intersection.charts) >= 5 and all(svg.startswith("<svg") for svg in intersection.charts)
    assert [view.name for view in page.views] == ["intersection", "sex", "age_band"]
    assert page.signature is not None
    assert page.signature.key_id == report.attestation.key_id and page.signature.key_status == "active"
    assert page.signature.audit_entry == audit_entry_reference(report.attestation)


def test_bias_report_page_shows_exact_values_thresholds_and_signature(make_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-login", stdout=io.StringIO())
    report = failing_report()
    client = Client()
    client.force_login(make_user("model_risk_reviewer", is_staff=True))
    page = client.get(f"/admin/fairness/biasreport/{report.pk}/change/").content.decode()
    value = report.report["intersection"]["groups"][0]["metrics"]["selection_rate"]
    assert f'<data value="{value!r}" title="exact: {value!r}">{value:.4f}</data>' in page
    assert "Thresholds" in page and "between 0.8 and 1.25" in page
    assert report.attestation.key_id in page and audit_entry_reference(report.attestation) in page
    assert "20,000 rows" in page


@pytest.mark.django_db
def test_fairness_check_page_shows_the_upload_progress_and_requester_by_name(
    make_user, key_client, client_for, team_a
):
    mv = ModelVersionFactory(model__team=team_a)
    by_key = upload(key_client(team_a, ["fairness:read", "fairness:write"], name="ci"), mv, predictions(300))
    assert by_key.status_code == 202, by_key.content
    person = make_user("submitter", teams=(team_a,), username="ada_lovelace")
    by_person = upload(client_for(person), mv, predictions(300)).json()["id"]
    run_inline(by_key.json()["id"])
    check = FairnessCheck.objects.get(pk=by_key.json()["id"])
    assert check.requested_by.startswith("api_key:") and check.chunk_plan  # what the page must not show
    admin = Client()
    admin.force_login(make_user("model_risk_reviewer", is_staff=True))

    page = admin.get(f"/admin/fairness/fairnesscheck/{check.pk}/change/").content.decode()
    assert check.input_path not in page and "/fairness/" + check.input_path.rsplit("/", 1)[-1] not in page
    assert "chunk plan" not in page.lower() and '"start"' not in page and "row_groups" not in page
    assert "predictions.csv" in page and f"sha256:{check.input_sha256}" in page
    assert f"{check.input_bytes / 1024:.1f}\xa0KB" in page
    assert "300 / 300 rows, 1/1 chunks (100%)" in page
    assert "team-a/ci" in page and "api_key:" not in page
    report = BiasReport.objects.get(fairness_check=check)
    assert f"/admin/fairness/biasreport/{report.pk}/change/" in page

    page = admin.get(f"/admin/fairness/fairnesscheck/{by_person}/change/").content.decode()
    assert "ada_lovelace" in page and "user:" not in page
    assert "0 / " in page and "rows" in page  # queued: progress, not a plan


@pytest.mark.django_db
def test_requester_labels_resolve_in_two_queries(make_user, key_client, team_a, django_assert_num_queries):
    from governance.fairness.selectors import requester_labels

    key = key_client(team_a, ["fairness:read"], name="nightly").api_key
    user = make_user("submitter", username="grace")
    idents = [f"api_key:{key.pk}", f"user:{user.pk}", "user:999999", "cli:seed_demo"]
    with django_assert_num_queries(2):
        labels = requester_labels(idents)
    assert labels == {
        f"api_key:{key.pk}": "team-a/nightly",
        f"user:{user.pk}": "grace",
        "user:999999": "user:999999 (deleted)",
        "cli:seed_demo": "cli:seed_demo",
    }
