"""Fairness checks end to end: upload, validation before queueing, chunked counting, signed report."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from django.test import Client
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

from audit.models import AuditEvent
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.intoto import BIAS_REPORT_PREDICATE
from governance.accounts.principal import worker_principal
from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.services import fairness_check_plan, fairness_chunk_count
from tests.conftest import wait_for
from tests.factories import ModelVersionFactory

WORKER = worker_principal("test")


def predictions(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    race = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    y_true = rng.integers(0, 2, n)
    bias = np.where(sex == "F", 0.15, 0.0)
    y_pred = (rng.random(n) + bias > 0.55).astype(int)
    return pd.DataFrame({"sex": sex, "race": race, "label": y_true, "pred": y_pred, "id": np.arange(n)})


def config(mv, **extra):
    return {
        "model_version": mv.pk,
        "y_true": "label",
        "y_pred": "pred",
        "sensitive_features": ["sex", "race"],
        "min_group_size": 1,
        "bootstrap": 200,
        **extra,
    }


def upload(client, mv, frame: pd.DataFrame, fmt: str = "csv", **extra):
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.to_csv(buffer, index=False)
    else:
        frame.to_parquet(buffer, index=False, row_group_size=500)  # several row groups: several chunks
    buffer.name = f"predictions.{fmt}"
    buffer.seek(0)
    return client.post(
        "/api/v1/fairness-checks/",
        {"file": buffer, "config": json.dumps(config(mv, **extra))},
        format="multipart",
    )


def run_inline(check_id: int) -> None:
    """Run the task bodies in-process (the real-worker path has its own test below)."""
    for index in fairness_check_plan(check_id=check_id):
        fairness_chunk_count(check_id=check_id, index=index, actor=WORKER)


@pytest.fixture
def submitter(make_user, team_a):
    return make_user("submitter", teams=(team_a,))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_report_equals_fairlearn_and_is_signed(client_for, submitter, team_a, settings, fmt):
    settings.FAIRNESS_CHUNK_ROWS = 700  # several chunks whose counts must add up exactly
    mv = ModelVersionFactory(model__team=team_a)
    frame = predictions()
    client = client_for(submitter)
    response = upload(client, mv, frame, fmt)
    assert response.status_code == 202, response.content
    check_id = response.json()["id"]
    run_inline(check_id)
    body = client.get(f"/api/v1/fairness-checks/{check_id}").json()
    assert body["status"] == "succeeded", body["error"]
    assert body["progress"]["rows_done"] == len(frame) and body["progress"]["chunks_total"] > 1
    frame_mf = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
        },
        y_true=frame["label"],
        y_pred=frame["pred"],
        sensitive_features=frame[["sex", "race"]],
    )
    groups = {(g["group"]["sex"], g["group"]["race"]): g for g in body["report"]["groups"]}
    for (sex, race), row in frame_mf.by_group.iterrows():
        for metric, value in row.items():
            assert groups[(sex, race)]["metrics"][metric] == pytest.approx(value, abs=1e-12)
    assert body["passed"] is False  # F is selected markedly more often: fails the four-fifths rule
    report = BiasReport.objects.get(fairness_check_id=check_id)
    assert report.input_sha256 == body["input_sha256"] and len(report.input_sha256) == 64
    jwks = Client().get("/.well-known/jwks.json").json()
    verified = verify_bundle(body["report"]["attestation_bundle"], jwks)
    assert verified.predicate_type == BIAS_REPORT_PREDICATE
    assert verified.predicate["passed"] is False and verified.predicate["input_sha256"] == report.input_sha256
    event = AuditEvent.objects.get(action="bias_report.create")
    assert verified.audit_entry == str(event.entry_id)


@pytest.mark.django_db
def test_running_a_chunk_twice_counts_it_once(client_for, submitter, team_a, settings):
    settings.FAIRNESS_CHUNK_ROWS = 1000
    mv = ModelVersionFactory(model__team=team_a)
    check_id = upload(client_for(submitter), mv, predictions()).json()["id"]
    indexes = fairness_check_plan(check_id=check_id)
    fairness_chunk_count(check_id=check_id, index=indexes[0], actor=WORKER)
    fairness_chunk_count(check_id=check_id, index=indexes[0], actor=WORKER)  # redelivered
    assert fairness_check_plan(check_id=check_id) == indexes[1:]  # a re-planned job resumes
    for index in indexes[1:]:
        fairness_chunk_count(check_id=check_id, index=index, actor=WORKER)
    fairness_chunk_count(check_id=check_id, index=indexes[-1], actor=WORKER)
    assert BiasReport.objects.get(fairness_check_id=check_id).rows == 4000
    assert AuditEvent.objects.filter(action="bias_report.create").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"y_true": "nope"}, "nope"),
        ({"sensitive_features": ["sex", "ethnicity"]}, "ethnicity"),
        ({"colour": "blue"}, "config.colour"),
        ({"thresholds": "strict"}, "config.thresholds"),
        ({"model_version": 999999}, "config.model_version"),
        ({"model_version": "abc"}, "config.model_version"),
    ],
)
def test_bad_config_is_rejected_before_queueing(client_for, submitter, team_a, change, field):
    mv = ModelVersionFactory(model__team=team_a)
    response = upload(client_for(submitter), mv, predictions(200), **change)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert any(field in e["field"] or field in e["message"] for e in response.json()["errors"]), (
        response.json()
    )
    assert not FairnessCheck.objects.exists()


@pytest.mark.django_db
def test_garbage_file_and_non_binary_labels_fail_clearly(client_for, submitter, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    client = client_for(submitter)
    garbage = io.BytesIO(b"\x00\x01PAR1 not really" * 100)
    garbage.name = "predictions.parquet"
    response = client.post(
        "/api/v1/fairness-checks/", {"file": garbage, "config": json.dumps(config(mv))}, format="multipart"
    )
    assert response.status_code == 422
    frame = predictions(300)
    frame.loc[5, "label"] = 2
    check_id = upload(client, mv, frame).json()["id"]
    run_inline(check_id)
    check = FairnessCheck.objects.get(pk=check_id)
    assert check.status == "failed" and "label" in (check.error + check.error_field)
    assert not BiasReport.objects.exists()


@pytest.mark.django_db
def test_other_teams_cannot_check_or_read(client_for, make_user, submitter, team_a, team_b):
    mv = ModelVersionFactory(model__team=team_a)
    check_id = upload(client_for(submitter), mv, predictions(200)).json()["id"]
    outsider = client_for(make_user("submitter", teams=(team_b,)))
    assert outsider.get(f"/api/v1/fairness-checks/{check_id}").status_code == 404
    response = upload(outsider, mv, predictions(200))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "config.model_version"


def test_job_through_the_api_and_real_workers(celery_worker_thread, client_for, submitter, team_a, settings):
    settings.FAIRNESS_CHUNK_ROWS = 1500
    mv = ModelVersionFactory(model__team=team_a)
    client = client_for(submitter)
    response = upload(client, mv, predictions(5000), "parquet")
    assert response.status_code == 202, response.content
    check_id = response.json()["id"]
    wait_for(lambda: FairnessCheck.objects.filter(pk=check_id, status__in=["succeeded", "failed"]).exists())
    body = client.get(f"/api/v1/fairness-checks/{check_id}").json()
    assert body["status"] == "succeeded", body["error"]
    assert (
        body["report"]["rows"] == 5000 and body["progress"]["chunks_done"] == body["progress"]["chunks_total"]
    )


@pytest.mark.django_db
def test_progress_is_reported_while_a_chunk_is_counted(client_for, submitter, team_a, settings, monkeypatch):
    import governance.fairness.services as services
    from governance.fairness.models import FairnessChunk

    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 1)  # write progress after every batch
    mv = ModelVersionFactory(model__team=team_a)
    check_id = upload(client_for(submitter), mv, predictions(3000), "parquet").json()["id"]
    seen: list[int] = []
    reader = services.jobs.reader

    def spying_count(path, fmt, chunk, config, progress):
        def spy(rows: int) -> None:
            progress(rows)
            seen.append(FairnessChunk.objects.get(fairness_check_id=check_id).rows_done)

        spec, columns = reader.ChunkSpec.from_dict(chunk), services.jobs.columns(config)
        return reader.count_chunk(path, fmt, spec, columns, spy, batch_size=500)  # several batches

    monkeypatch.setattr(services.jobs, "count", spying_count)
    run_inline(check_id)
    assert seen == [500, 1000, 1500, 2000, 2500, 3000]  # cumulative, never more rows than the file has
    assert FairnessChunk.objects.get(fairness_check_id=check_id).rows_done == 3000


@pytest.mark.django_db
def test_listing_checks_costs_the_same_queries_however_many(
    client_for, submitter, team_a, django_assert_num_queries
):
    mv = ModelVersionFactory(model__team=team_a)
    client = client_for(submitter)
    for _ in range(2):
        run_inline(upload(client, mv, predictions(300)).json()["id"])
    with django_assert_num_queries(4):  # principal (groups, memberships), count, page with progress+report
        assert client.get("/api/v1/fairness-checks/").json()["count"] == 2
    for _ in range(3):
        run_inline(upload(client, mv, predictions(300)).json()["id"])
    with django_assert_num_queries(4):
        assert client.get("/api/v1/fairness-checks/").json()["count"] == 5


# --- validation in the service, for every caller (issue 8 §6) ------------------------------------------


def text_scores(n: int = 200) -> pd.DataFrame:
    frame = predictions(n)
    frame["prob"] = np.where(frame["pred"] == 1, "high", "low")  # a score column that holds text
    return frame


@pytest.mark.django_db
def test_the_service_itself_validates_config_and_columns(team_a, tmp_path):
    """The demo seeder, commands and the admin call the service directly, not through the API view."""
    from django.core.exceptions import ValidationError

    from governance.accounts.principal import cli_principal
    from governance.fairness.services import fairness_check_create

    mv = ModelVersionFactory(model__team=team_a)
    path = tmp_path / "predictions.csv"
    text_scores().to_csv(path, index=False)
    bad = config(mv, score="prob", on_missing="drop", min_group_size=0)
    with pytest.raises(ValidationError) as caught:
        fairness_check_create(
            actor=cli_principal("test"),
            model_version=mv,
            config=bad,
            input_path=path,
            input_name=path.name,
            input_format="csv",
        )
    errors = caught.value.message_dict
    assert set(errors) == {"config.score", "config.on_missing", "config.min_group_size"}, errors
    assert "'prob'" in errors["config.score"][0] and "numeric" in errors["config.score"][0]
    assert not FairnessCheck.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_every_config_error_comes_back_at_once_by_config_path(client_for, submitter, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    response = upload(
        client_for(submitter),
        mv,
        text_scores(),
        score="prob",
        on_missing="drop",
        sensitive_features=["sex", "ethnicity"],
        colour="blue",
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {
        "config.score",  # the setting the user edits, not the column "prob"
        "config.on_missing",
        "config.sensitive_features[1]",
        "config.colour",
    }, errors
    assert "'prob'" in errors["config.score"] and "'ethnicity'" in errors["config.sensitive_features[1]"]
    from governance.fairness.jobs import JOB_KEYS
    from governance.fairness.reader import COLUMN_SETTINGS

    for key in JOB_KEYS | COLUMN_SETTINGS:  # the hint lists every accepted key, the job's own too
        assert repr(key) in errors["config.colour"], key
    assert not FairnessCheck.objects.exists()


@pytest.mark.django_db
def test_unknown_model_version_still_reports_the_whole_config(client_for, submitter, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    response = upload(client_for(submitter), mv, predictions(200), model_version=999999, bootstrap=-1)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["config.model_version", "config.bootstrap"], fields


# --- lists give summaries, the detail the report (issue 8 §6) ------------------------------------------


@pytest.mark.django_db
def test_list_gives_summaries_and_the_detail_the_full_report(client_for, submitter, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    client = client_for(submitter)
    check_id = upload(client, mv, predictions(300)).json()["id"]
    run_inline(check_id)
    (item,) = client.get("/api/v1/fairness-checks/").json()["results"]
    report = BiasReport.objects.get(fairness_check_id=check_id)
    assert "report" not in item and "config" not in item
    assert item["id"] == check_id and item["report_id"] == report.pk and item["status"] == "succeeded"
    assert item["passed"] is report.passed and item["rows"] == 300
    outcomes = report.policy_result["outcomes"]
    assert item["rules"] == {
        "evaluated": len(outcomes),
        "failed": sum(not o["passed"] for o in outcomes),
    }
    assert item["progress"]["rows_done"] == 300
    assert item["url"] == f"http://testserver/api/v1/fairness-checks/{check_id}"
    assert len(json.dumps(item)) < 2_000
    detail = client.get(item["url"]).json()
    assert detail["report"]["rows"] == 300 and detail["report"]["report"]["intersection"]["groups"]
    assert detail["config"]["y_true"] == "label"


def test_openapi_describes_the_summary_for_lists_and_the_full_check_for_details():
    import yaml

    schema = yaml.safe_load(Client().get("/api/schema/").content)
    components = schema["components"]["schemas"]

    def body(path: str) -> dict:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return components[ref["$ref"].rsplit("/", 1)[-1]]

    items = body("/api/v1/fairness-checks/")["properties"]["results"]["items"]["$ref"]
    summary = components[items.rsplit("/", 1)[-1]]["properties"]
    assert "report" not in summary and {"status", "progress", "passed", "rules", "url"} <= set(summary)
    assert "report" in body("/api/v1/fairness-checks/{id}/")["properties"]
