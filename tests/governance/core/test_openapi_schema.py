"""The OpenAPI schema at ``/api/schema/`` describes what the API answers (issue 8 §7, part 4).

Found from outside: two list actions documented as paginated objects while they return arrays, the
checkpoint export documented as an object, ``lawful_basis: ""`` outside its documented enum, and no
error answer documented at all although every one of them is problem+json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import DatasetVersionFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

OPENAPI_JSON = "application/vnd.oai.openapi+json"
PROBLEM = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def ok_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    ("path", "items"),
    [
        ("/api/v1/model-versions/{id}/artifact-jobs/", {"$ref": "#/components/schemas/ArtifactHashJob"}),
        ("/api/v1/model-versions/{id}/attestations/", {"$ref": "#/components/schemas/Attestation"}),
        ("/api/v1/audit/checkpoints/export/", {"type": "string"}),
    ],
)
def test_array_answers_are_documented_as_arrays(schema, path, items):
    assert ok_schema(schema, path) == {"type": "array", "items": items}
    parameters = {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
    assert not parameters & {"page", "page_size", "model", "status"}  # neither paginated nor filtered


def test_array_actions_answer_arrays(client_for, make_user, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    client = client_for(make_user("submitter", teams=(team_a,)))
    for action in ("artifact-jobs", "attestations"):
        # A filter parameter of the version list does not narrow these (it would 404 the version).
        response = client.get(f"/api/v1/model-versions/{mv.pk}/{action}?model=other&page=2")
        assert response.status_code == 200 and response.json() == [], (action, response.content[:200])


def test_blank_lawful_basis_is_inside_the_documented_enum(schema, client_for, make_user, team_a):
    """A dataset version without personal data has ``lawful_basis: ""`` (and ``art9_condition: ""``)."""
    components = schema["components"]["schemas"]
    dataset_version = components["DatasetVersion"]["properties"]
    for name in ("lawful_basis", "art9_condition"):
        refs = [entry["$ref"].rsplit("/", 1)[-1] for entry in dataset_version[name]["oneOf"]]
        allowed = {value for ref in refs for value in components[ref]["enum"]}
        assert "" in allowed, name
    dv = DatasetVersionFactory(dataset__team=team_a)
    body = client_for(make_user("submitter", teams=(team_a,))).get(f"/api/v1/dataset-versions/{dv.pk}").json()
    assert body["lawful_basis"] == "" and body["art9_condition"] == ""


def test_problem_detail_component_describes_the_error_body(schema):
    problem = schema["components"]["schemas"]["ProblemDetail"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "errors"}
    error = schema["components"]["schemas"]["ProblemError"]
    assert set(error["required"]) == {"field", "message", "code"}


def test_every_operation_documents_its_problem_answers(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        problems = {
            code
            for code, answer in responses.items()
            if code.startswith("4") and PROBLEM in answer.get("content", {})
        }
        assert {"400", "406"} <= problems, label
        for code in problems:
            ref = responses[code]["content"][PROBLEM]["schema"]["$ref"]
            assert ref == "#/components/schemas/ProblemDetail", (label, code)
        if operation.get("security") != [{}]:
            assert {"401", "403", "429"} <= problems, label
        if "{" in path:
            assert "404" in problems, label
        if "requestBody" in operation:
            assert {"409", "413", "415", "422"} <= problems, label


def test_request_bodies_refuse_unknown_keys_as_documented(schema):
    for path, method, operation in operations(schema):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
            component = schema["components"]["schemas"][ref]
            assert component.get("additionalProperties") is False, (method, path, ref)


def test_id_filters_are_documented_as_integers(schema):
    for path, name in (("/api/v1/dataset-versions/", "dataset"), ("/api/v1/model-cards/", "model_version")):
        (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        assert parameter["schema"]["type"] == "integer", (path, name)
