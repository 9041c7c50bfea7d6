"""Client mistakes found by probing the inventory API from outside (issue 8 §7).

Each is a 422 problem+json naming the field, decided before anything is written: NUL or non-text in
a name lookup (PostgreSQL refused the query: a 500), ids that are not JSON integers (DRF read
``"5"``, ``5.0`` and ``true`` as ids), integers the audit log cannot hash (a 500 after the write
started), keys repeated in a JSON object (the last one silently won), and bodies with several
wrong fields (only the first kind of problem was reported).
"""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from governance.inventory.models import Dataset, DatasetVersion, ModelCard, ModelVersion, RegisteredModel
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db

MODEL_BODY = {
    "name": "credit-scoring",
    "team": "team-a",
    "risk_tier": "high",
    "intended_use": "Score loan applications.",
    "domain": "consumer credit",
}


@pytest.fixture
def alice(make_user, team_a, team_b):
    return make_user("submitter", teams=(team_a, team_b), username="alice")


@pytest.fixture
def api(client_for, alice):
    client = client_for(alice)
    client.raise_request_exception = False  # a bug shows up as the 500 a real client would see
    return client


@pytest.fixture
def draft(team_a):
    return ModelVersionFactory(model=RegisteredModelFactory(team=team_a, name="credit-scoring"))


@pytest.fixture
def dataset_version(team_a):
    return DatasetVersionFactory(dataset__team=team_a)


def post_json_text(client, path, text, method="POST"):
    """Send ``text`` as the body verbatim (duplicate keys, ``\\u0000`` escapes survive)."""
    return client.generic(method, path, text, content_type="application/json")


def problem(response, status=422):
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def fields(body):
    return [e["field"] for e in body["errors"]]


# --- 1. Lookups that no row can match are refused before the query --------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/model-versions/",
            {"model": "credit-scoring\u0000", "version": "2.0.0", "artifact_uri": "s3://m/2"},
            "model",
        ),
        ("/api/v1/models/", {**MODEL_BODY, "name": "other", "team": "team-a\u0000"}, "team"),
        ("/api/v1/datasets/", {"team": "team-a\u0000", "name": "loans"}, "team"),
    ],
    ids=["model-version.model", "model.team", "dataset.team"],
)
def test_nul_in_a_name_lookup_is_422_naming_the_field(api, draft, path, body, field):
    """PostgreSQL refuses NUL in text parameters (DataError: a 500 through DRF's SlugRelatedField)."""
    response = post_json_text(api, path, json.dumps(body))
    errors = problem(response)["errors"]
    assert fields({"errors": errors}) == [field]
    assert "NUL" in errors[0]["message"]
    assert not RegisteredModel.objects.filter(name="other").exists()
    assert not Dataset.objects.exists() and ModelVersion.objects.count() == 1


@pytest.mark.parametrize("value", [["team-a"], 7, {"slug": "team-a"}, ""])
def test_a_name_lookup_must_be_a_non_empty_string(api, value):
    response = api.post("/api/v1/datasets/", {"team": value, "name": "loans"}, format="json")
    assert fields(problem(response)) == ["team"]
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("as_sent", ["string", "float", "bool"])
def test_an_id_must_be_a_json_integer(api, draft, dataset_version, as_sent):
    """DRF's PrimaryKeyRelatedField looked up ``"5"``, ``5.0`` and ``true`` (id 1) as ids."""

    def spelled(pk):
        return {"string": str(pk), "float": float(pk), "bool": True}[as_sent]

    card = api.post("/api/v1/model-cards/", {"model_version": spelled(draft.pk)}, format="json")
    assert fields(problem(card)) == ["model_version"]
    link = {"dataset_version": spelled(dataset_version.pk), "usage": "training"}
    linked = api.post(f"/api/v1/model-versions/{draft.pk}/datasets", link, format="json")
    assert fields(problem(linked)) == ["dataset_version"]
    version = {
        "dataset": spelled(dataset_version.dataset.pk),
        "version": "v2",
        "uri": "s3://d/v2",
        "digest": dataset_version.digest,
        "contains_personal_data": False,
    }
    assert fields(problem(api.post("/api/v1/dataset-versions/", version, format="json"))) == ["dataset"]
    assert not ModelCard.objects.exists() and DatasetVersion.objects.count() == 1
    assert not draft.dataset_links.exists()


def test_an_id_beyond_the_database_range_is_422_not_500(api, draft):
    response = api.post("/api/v1/model-cards/", {"model_version": 2**64}, format="json")
    assert fields(problem(response)) == ["model_version"]


# --- 1. Integers the audit log cannot hash are refused before the write ----------------------------


def test_row_count_beyond_2_53_is_422_before_any_write(api, dataset_version):
    """The update was attempted, then audit_append's RFC 8785 canonical JSON refused 2**53 + 1: a 500."""
    events = AuditEvent.objects.count()
    response = api.patch(
        f"/api/v1/dataset-versions/{dataset_version.pk}", {"row_count": 2**53 + 1}, format="json"
    )
    assert fields(problem(response)) == ["row_count"]
    dataset_version.refresh_from_db()
    assert dataset_version.row_count == 1000
    assert AuditEvent.objects.count() == events


def test_row_count_at_the_limit_is_accepted(api, dataset_version):
    response = api.patch(
        f"/api/v1/dataset-versions/{dataset_version.pk}", {"row_count": 2**53 - 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["row_count"] == 2**53 - 1


# --- 2. A key repeated in a JSON object is refused ------------------------------------------------


def test_repeated_key_is_422_naming_it_not_last_one_wins(api):
    """``{"team": "team-a", "team": "team-b"}`` created the model in team-b."""
    body = json.dumps(MODEL_BODY)[:-1] + ', "team": "team-b"}'
    response = post_json_text(api, "/api/v1/models/", body)
    errors = problem(response)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("team", "duplicate_key")]
    assert not RegisteredModel.objects.exists()


@pytest.mark.parametrize(
    ("path", "method", "text"),
    [
        (
            "/api/v1/model-versions/",
            "POST",
            '{"model": "credit-scoring", "version": "2.0.0", "artifact_uri": "s3://m/2",'
            ' "metrics": {"auc": 0.61, "auc": 0.93}}',
        ),
        (
            "/api/v1/model-versions/",
            "POST",
            '{"model": "credit-scoring", "version": "2.0.0", "artifact_uri": "s3://m/2",'
            ' "datasets": [{"dataset_version": 1, "usage": "training", "usage": "evaluation"}]}',
        ),
        ("/api/v1/model-versions/{pk}", "PATCH", '{"framework": "xgboost", "framework": "lightgbm"}'),
        ("/api/v1/fairness-checks/", "POST", '{"config": {}, "config": {"model_version": 1}}'),
    ],
    ids=["nested-object", "object-in-list", "patch", "fairness-json-body"],
)
def test_repeated_key_anywhere_in_a_json_body_is_refused(api, draft, path, method, text):
    response = post_json_text(api, path.format(pk=draft.pk), text, method=method)
    body = problem(response)
    assert body["errors"][0]["code"] == "duplicate_key"
    assert ModelVersion.objects.count() == 1
    draft.refresh_from_db()
    assert draft.framework == "xgboost"


# --- 3. Every wrong field is reported in one answer ----------------------------------------------


def test_three_wrong_fields_are_all_reported(api):
    """The unknown key and the wrongly typed value used to hide the bad name (first problem only)."""
    body = {**MODEL_BODY, "name": "Bad Name!", "risk_tier": 5, "colour": "blue"}
    response = api.post("/api/v1/models/", body, format="json")
    assert sorted(fields(problem(response))) == ["colour", "name", "risk_tier"]
    assert not RegisteredModel.objects.exists()


def test_every_wrong_field_of_a_version_is_reported_once(api, draft):
    body = {
        "model": "no-such-model",
        "version": "",
        "artifact_uri": "not a uri",
        "metrics": {"auc": "high"},
        "framework": 3,
        "stauts": "approved",
    }
    response = api.post("/api/v1/model-versions/", body, format="json")
    reported = fields(problem(response))
    assert sorted(reported) == ["artifact_uri", "framework", "metrics", "model", "stauts", "version"]
    assert len(reported) == len(set(reported))  # one entry per field


def test_service_validation_reports_all_its_field_errors_at_once(api, dataset_version):
    """Personal data needs a lawful basis, a purpose and a retention period: all three at once."""
    response = api.patch(
        f"/api/v1/dataset-versions/{dataset_version.pk}", {"contains_personal_data": True}, format="json"
    )
    assert sorted(fields(problem(response))) == ["lawful_basis", "purpose", "retention_days"]
    dataset_version.refresh_from_db()
    assert dataset_version.contains_personal_data is False
