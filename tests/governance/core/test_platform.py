"""Health, OpenAPI, Swagger UI without CDN, problem+json for unknown URLs, request ids."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_alive_and_ready():
    client = Client()
    assert client.get("/-/alive").json() == {"status": "alive"}
    ready = client.get("/-/ready")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_openapi_schema_lists_the_contract_paths():
    import yaml

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }
    for path in (
        "/api/v1/teams/",
        "/api/v1/models/",
        "/api/v1/model-versions/",
        "/api/v1/model-cards/",
        "/api/v1/model-cards/{id}/export/",
        "/api/v1/model-cards/import/",
        "/api/v1/datasets/",
        "/api/v1/dataset-versions/",
    ):
        assert path in schema["paths"], path


def test_swagger_ui_is_served_locally_without_cdn():
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html and "jsdelivr" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def test_unknown_api_url_is_problem_json_and_request_id_is_echoed():
    response = Client().get("/api/v1/nothing-here/", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Request-ID"] == "req-123"
