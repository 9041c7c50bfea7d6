"""Inventory API: create/read/update, validation as problem+json, and cross-team/role permissions."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from governance.inventory.models import ModelVersion, RegisteredModel
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory, digest_of

pytestmark = pytest.mark.django_db

MODEL_BODY = {
    "name": "credit-scoring",
    "team": "team-a",
    "risk_tier": "high",
    "intended_use": "Score loan applications.",
    "domain": "consumer credit",
    "tags": ["xgboost"],
}


@pytest.fixture
def alice(make_user, team_a):
    return make_user("submitter", teams=(team_a,), username="alice")


@pytest.fixture
def bob(make_user, team_b):
    return make_user("submitter", teams=(team_b,), username="bob")


def problem(response):
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()


def test_create_model_then_read_it_back_and_audit(client_for, alice):
    response = client_for(alice).post("/api/v1/models/", MODEL_BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["name"] == "credit-scoring"
        and body["team"] == "team-a"
        and body["created_by"] == f"user:{alice.pk}"
    )
    fetched = client_for(alice).get(f"/api/v1/models/{body['id']}/").json()
    assert fetched == body
    event = AuditEvent.objects.get(action="model.create")
    assert event.target_id == str(body["id"]) and event.actor == f"user:{alice.pk}"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"name": "Bad Name!"}, "name", 422),
        ({"risk_tier": "extreme"}, "risk_tier", 422),
        ({"tags": "notalist"}, "tags", 422),
        ({"intended_use": 42}, "intended_use", 422),
        ({"team": "no-such-team"}, "team", 422),
        ({"colour": "blue"}, "colour", 422),
        ({"created_by": "mallory"}, "created_by", 422),
    ],
)
def test_invalid_model_input_names_the_field(client_for, alice, change, field, status):
    response = client_for(alice).post("/api/v1/models/", {**MODEL_BODY, **change}, format="json")
    assert response.status_code == status
    body = problem(response)
    assert field in {e["field"] for e in body["errors"]}
    assert body["status"] == status and body["type"].endswith("validation_error")
    assert not RegisteredModel.objects.exists()


def test_duplicate_model_name_is_422_on_name(client_for, alice):
    client_for(alice).post("/api/v1/models/", MODEL_BODY, format="json")
    response = client_for(alice).post("/api/v1/models/", MODEL_BODY, format="json")
    assert response.status_code == 422
    assert [e["field"] for e in problem(response)["errors"]] == ["name"]
    assert RegisteredModel.objects.count() == 1


def test_malformed_json_is_400_problem(client_for, alice):
    response = client_for(alice).post("/api/v1/models/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert problem(response)["type"].endswith("malformed_request")


def test_oversized_payload_is_413_problem(client_for, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_for(alice).post(
        "/api/v1/models/", {**MODEL_BODY, "intended_use": "x" * 20_000}, format="json"
    )
    assert response.status_code == 413
    assert problem(response)["type"].endswith("payload_too_large")
    assert not RegisteredModel.objects.exists()


def test_wrong_media_type_is_415(client_for, alice):
    response = client_for(alice).post(
        "/api/v1/models/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    problem(response)


def test_submitter_cannot_see_or_change_other_teams_models(client_for, alice, bob, team_b):
    other = RegisteredModelFactory(team=team_b)
    client = client_for(alice)
    assert client.get("/api/v1/models/").json()["count"] == 0
    assert client.get(f"/api/v1/models/{other.pk}/").status_code == 404
    assert client.patch(f"/api/v1/models/{other.pk}/", {"domain": "x"}, format="json").status_code == 404
    response = client.post("/api/v1/models/", {**MODEL_BODY, "team": "team-b"}, format="json")
    assert response.status_code == 422  # the team is not among those alice can use
    assert [e["field"] for e in problem(response)["errors"]] == ["team"]


def test_reviewer_and_auditor_read_all_teams_but_cannot_write(make_user, client_for, team_a, team_b):
    RegisteredModelFactory(team=team_a)
    RegisteredModelFactory(team=team_b)
    for role in ("model_risk_reviewer", "auditor"):
        client = client_for(make_user(role))
        assert client.get("/api/v1/models/").json()["count"] == 2
        response = client.post("/api/v1/models/", MODEL_BODY, format="json")
        assert response.status_code == 403
        assert "inventory:write" in problem(response)["detail"]


def test_user_without_role_is_denied_and_anonymous_gets_401(make_user, client_for, team_a):
    from rest_framework.test import APIClient

    response = client_for(make_user(teams=(team_a,))).get("/api/v1/models/")
    assert response.status_code == 403
    response = APIClient().get("/api/v1/models/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem(response)


def test_update_model_records_before_and_after(client_for, alice, team_a):
    model = RegisteredModelFactory(team=team_a, domain="old")
    response = client_for(alice).patch(f"/api/v1/models/{model.pk}/", {"domain": "new"}, format="json")
    assert response.status_code == 200 and response.json()["domain"] == "new"
    event = AuditEvent.objects.get(action="model.update")
    assert event.payload["changes"] == {"domain": ["old", "new"]}


def test_name_and_team_cannot_be_changed(client_for, alice, team_a):
    model = RegisteredModelFactory(team=team_a)
    response = client_for(alice).patch(f"/api/v1/models/{model.pk}/", {"name": "renamed"}, format="json")
    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "name"


def test_filter_paginate_models(client_for, make_user, team_a):
    for i in range(7):
        RegisteredModelFactory(team=team_a, name=f"m-{i}", risk_tier="high" if i % 2 else "minimal")
    client = client_for(make_user("auditor"))
    page = client.get("/api/v1/models/?page_size=2&risk_tier=high").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/v1/models/?team=team-a&q=m-3").json()["count"] == 1


# --- Model versions -------------------------------------------------------------------------------


def version_body(**over):
    return {
        "model": "credit-scoring",
        "version": "1.0.0",
        "artifact_uri": "s3://models/credit/1.0.0/model.onnx",
        "artifact_digest": digest_of("artifact"),
        "framework": "xgboost",
        "metrics": {"auc": 0.78},
        **over,
    }


@pytest.fixture
def credit_model(team_a):
    return RegisteredModelFactory(team=team_a, name="credit-scoring")


def test_create_version_with_datasets(client_for, alice, credit_model, team_a):
    dv = DatasetVersionFactory(dataset__team=team_a)
    body = version_body(datasets=[{"dataset_version": dv.pk, "usage": "training"}])
    response = client_for(alice).post("/api/v1/model-versions/", body, format="json")
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "draft" and out["model"] == "credit-scoring"
    assert out["datasets"] == [
        {
            "dataset_version": dv.pk,
            "dataset": dv.dataset.name,
            "version": dv.version,
            "digest": dv.digest,
            "usage": "training",
        }
    ]
    assert client_for(alice).get("/api/v1/model-versions/?model=credit-scoring").json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"artifact_digest": "sha256:XYZ"}, "artifact_digest"),
        ({"artifact_digest": "md5:" + "0" * 32}, "artifact_digest"),
        ({"artifact_uri": "not a uri"}, "artifact_uri"),
        ({"metrics": {"auc": "high"}}, "metrics"),
        ({"metrics": [1, 2]}, "metrics"),
        ({"version": ""}, "version"),
        ({"status": "approved"}, "status"),
        ({"model": "no-such-model"}, "model"),
        ({"datasets": [{"dataset_version": 999999, "usage": "training"}]}, "datasets[0].dataset_version"),
        ({"datasets": [{"dataset_version": 1, "usage": "fun"}]}, "datasets[0].usage"),
    ],
)
def test_invalid_version_input(client_for, alice, credit_model, change, field):
    response = client_for(alice).post("/api/v1/model-versions/", version_body(**change), format="json")
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in problem(response)["errors"]}
    assert not ModelVersion.objects.exists()


def test_duplicate_version_label(client_for, alice, credit_model):
    client = client_for(alice)
    assert client.post("/api/v1/model-versions/", version_body(), format="json").status_code == 201
    response = client.post("/api/v1/model-versions/", version_body(), format="json")
    assert response.status_code == 422
    assert [e["field"] for e in problem(response)["errors"]] == ["version"]


def test_invisible_dataset_cannot_be_linked(client_for, alice, credit_model, team_b):
    foreign = DatasetVersionFactory(dataset__team=team_b)
    body = version_body(datasets=[{"dataset_version": foreign.pk, "usage": "training"}])
    response = client_for(alice).post("/api/v1/model-versions/", body, format="json")
    assert response.status_code == 422
    assert "datasets[0].dataset_version" in {e["field"] for e in problem(response)["errors"]}
    assert not ModelVersion.objects.exists()


def test_draft_is_editable_but_submitted_version_is_frozen(client_for, alice, credit_model):
    mv = ModelVersionFactory(model=credit_model)
    client = client_for(alice)
    response = client.patch(f"/api/v1/model-versions/{mv.pk}/", {"framework": "lightgbm"}, format="json")
    assert response.status_code == 200 and response.json()["framework"] == "lightgbm"
    ModelVersion.objects.filter(pk=mv.pk).update(status="submitted")
    response = client.patch(f"/api/v1/model-versions/{mv.pk}/", {"framework": "other"}, format="json")
    assert response.status_code == 409
    assert problem(response)["errors"][0]["code"] == "frozen"
    assert ModelVersion.objects.get(pk=mv.pk).framework == "lightgbm"


def test_api_key_is_bound_to_its_team_and_scopes(key_client, team_a, team_b, credit_model):
    RegisteredModelFactory(team=team_b)
    reader = key_client(team_a, ["inventory:read"])
    listing = reader.get("/api/v1/models/").json()
    assert [m["name"] for m in listing["results"]] == ["credit-scoring"]
    response = reader.post("/api/v1/model-versions/", version_body(), format="json")
    assert response.status_code == 403
    writer = key_client(team_a, ["inventory:read", "inventory:write"], name="ci-writer")
    response = writer.post("/api/v1/model-versions/", version_body(), format="json")
    assert response.status_code == 201
    assert response.json()["created_by"] == f"api_key:{writer.api_key.pk}"
