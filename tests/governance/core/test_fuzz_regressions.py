"""Regressions found by fuzzing the running API (schemathesis plus hand-written requests).

The contract (README, ``governance/core/api/problems.py``): every client mistake is a 4xx
``application/problem+json`` answer, never a 500, and no principal learns about or touches another
team's objects. Each test below sends one request that broke that contract and states what the
client should have got instead. The test client is told not to re-raise view exceptions, so a bug
shows up as the 500 a real client would see.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db

ALL_MACHINE_SCOPES = [
    "inventory:read",
    "inventory:write",
    "fairness:read",
    "fairness:write",
]
CSV = b"label,pred,sex\n" + b"".join(
    b"%d,%d,%s\n" % (i % 2, i // 2 % 2, b"FM"[i % 2 : i % 2 + 1]) for i in range(120)
)


@pytest.fixture
def api(key_client: Any, team_a: Any) -> APIClient:
    """team-a's CI key; 500s come back as responses instead of exceptions."""
    client = key_client(team_a, ALL_MACHINE_SCOPES)
    client.raise_request_exception = False
    return client


@pytest.fixture
def mv(team_a: Any) -> Any:
    return ModelVersionFactory(model=RegisteredModelFactory(team=team_a), artifact_digest="")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def assert_client_error(response: Any, status: int | tuple[int, ...] = (400, 413, 422)) -> dict[str, Any]:
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json", response.content[:500]
    return response.json()  # type: ignore[no-any-return]


def post_raw_json(api: APIClient, path: str, data: Any) -> Any:
    """POST ``data`` as ASCII JSON, so lone surrogates and NUL travel as ``\\uXXXX`` escapes."""
    return api.generic("POST", path, json.dumps(data), content_type="application/json")


def fairness_config(mv: Any, **extra: Any) -> dict[str, Any]:
    return {
        "model_version": mv.pk,
        "y_true": "label",
        "y_pred": "pred",
        "sensitive_features": ["sex"],
        **extra,
    }


def upload(api: APIClient, config: Any) -> Any:
    buffer = io.BytesIO(CSV)
    buffer.name = "predictions.csv"
    raw = config if isinstance(config, str) else json.dumps(config)
    return api.post("/api/v1/fairness-checks/", {"file": buffer, "config": raw}, format="multipart")


# --- Numbers JSON can carry but Python floats / RFC 8785 cannot -----------------------------------


def test_metric_too_large_for_a_float_is_422_not_500(api: APIClient, mv: Any) -> None:
    """validate_metrics calls math.isfinite() on an int of 400 digits: OverflowError -> 500.
    Fix: governance/inventory/validators.py validate_metrics (catch OverflowError / bound ints)."""
    data = {
        "model": mv.model.name,
        "version": "9.0.0",
        "artifact_uri": "s3://a/b",
        "metrics": {"auc": 10**400},
    }
    response = post_raw_json(api, "/api/v1/model-versions/", data)
    body = assert_client_error(response)
    assert body["errors"][0]["field"].startswith("metrics")


@pytest.mark.parametrize(
    ("path", "make_body"),
    [
        (
            "/api/v1/model-versions/",
            lambda mv, dv: {
                "model": mv.model.name,
                "version": "9.0.1",
                "artifact_uri": "s3://a/b",
                "metrics": {"auc": 2**53 + 1},
            },
        ),
        ("/api/v1/model-cards/", lambda mv, dv: {"model_version": mv.pk, "hf_metadata": {"x": 2**53 + 1}}),
        (
            "/api/v1/dataset-versions/",
            lambda mv, dv: {
                "dataset": dv.dataset.pk,
                "version": "v-big",
                "uri": "s3://d/v",
                "digest": dv.digest,
                "contains_personal_data": False,
                "schema": {"rows": 2**53 + 1},
            },
        ),
    ],
    ids=["model-version-metrics", "model-card-hf-metadata", "dataset-version-schema"],
)
def test_integer_beyond_2_53_in_json_fields_is_422_not_500(
    api: APIClient, mv: Any, team_a: Any, path: str, make_body: Any
) -> None:
    """Integers above 2**53 pass validation, then audit_append's RFC 8785 canonicalisation raises
    rfc8785.IntegerDomainError inside the write transaction -> 500. Fix: reject them on input (a shared
    JSON-value check used by the JSONFields' validators), or in audit/pure/canonical.py to_jsonable."""
    dv = DatasetVersionFactory(dataset__team=team_a)
    assert_client_error(api.post(path, make_body(mv, dv), format="json"))


def test_integer_beyond_2_53_in_fairness_config_is_422_not_500(api: APIClient, mv: Any) -> None:
    """min_group_size=2**60 is a valid positive int for validate_config, then the audit payload
    (config) cannot be canonicalised -> 500 (and the stored upload is left behind)."""
    assert_client_error(upload(api, fairness_config(mv, min_group_size=2**60)))


@pytest.mark.parametrize(
    "extra",
    [
        {"y_pred": None, "score": "pred", "threshold": 10**400},
        {"positive_label": 10**400},
        {"thresholds": [{"name": "r", "metric": "disparities.selection_rate.ratio", "lower": 10**400}]},
    ],
    ids=["threshold", "positive_label", "thresholds.lower"],
)
def test_fairness_config_numbers_too_large_for_a_float_are_422_not_500(
    api: APIClient, mv: Any, extra: dict[str, Any]
) -> None:
    """math.isfinite()/float() on a huge int raise OverflowError, which neither
    reader/config.py _is_number nor jobs.policy_rules (catches TypeError, ValueError) handle -> 500."""
    config = {k: v for k, v in fairness_config(mv, **extra).items() if v is not None}
    body = assert_client_error(upload(api, config))
    assert body["errors"][0]["field"].startswith("config")


# --- Malformed bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/model-versions/", "/api/v1/model-cards/", "/api/v1/fairness-checks/"]
)
def test_deeply_nested_json_body_is_400_not_500(api: APIClient, path: str) -> None:
    """DRF's JSONParser only turns ValueError into ParseError; json.load raises RecursionError on
    deep nesting (well under the 1 MB body limit) -> 500. Fix: a JSONParser subclass in settings
    DEFAULT_PARSER_CLASSES (and the fairness view's parser_classes) that maps RecursionError to ParseError."""
    body = "[" * 100_000 + "]" * 100_000
    assert_client_error(api.generic("POST", path, body, content_type="application/json"), 400)


def test_deeply_nested_fairness_config_in_multipart_is_422_not_500(api: APIClient, mv: Any) -> None:
    """fairness/api/views.py create() json.loads the multipart ``config`` and catches ValueError only."""
    body = assert_client_error(upload(api, "[" * 100_000))
    assert body["errors"][0]["field"] == "config"


@pytest.mark.parametrize("body", ["null", "5", "true", '"config"', '["config"]'])
def test_fairness_check_body_that_is_not_an_object_is_4xx_not_500(api: APIClient, body: str) -> None:
    """create() does ``key in request.data`` / ``request.data.get`` on whatever JSON arrived:
    null/5/true -> TypeError, a string or list containing "config" -> AttributeError -> 500."""
    response = api.generic("POST", "/api/v1/fairness-checks/", body, content_type="application/json")
    assert_client_error(response)


def _mv_body(mv: Any, **extra: Any) -> dict[str, Any]:
    return {"model": mv.model.name, "version": "9.0.2", "artifact_uri": "s3://a/b", **extra}


@pytest.mark.parametrize(
    ("path", "make_body"),
    [
        ("/api/v1/model-versions/", lambda mv: _mv_body(mv, metrics={"a\ud800": 0.5})),
        ("/api/v1/model-cards/", lambda mv: {"model_version": mv.pk, "hf_metadata": {"x": "\ud800"}}),
    ],
    ids=["metric-name", "hf-metadata-value"],
)
def test_lone_surrogate_in_json_field_is_422_not_500(
    api: APIClient, mv: Any, path: str, make_body: Any
) -> None:
    """A lone UTF-16 surrogate is a legal JSON escape; CharFields reject it (422) but JSONField values
    reach the RFC 8785 encoder / database and raise UnicodeEncodeError -> 500 (SQLite and PostgreSQL)."""
    assert_client_error(post_raw_json(api, path, make_body(mv)))


def test_hugging_face_import_with_non_list_model_index_results_is_422_not_500(
    api: APIClient, mv: Any
) -> None:
    """hfmeta.metrics_from_model_index iterates ``model.get("results") or []`` (and ``metrics``
    likewise): ``results: 5`` -> TypeError -> 500. Its docstring says malformed entries are skipped."""
    readme = "---\nmodel-index:\n- name: x\n  results: 5\n---\n# x\n"
    response = api.post(
        "/api/v1/model-cards/import",
        {"model_version": mv.pk, "format": "huggingface", "content": readme},
        format="json",
    )
    assert response.status_code in (201, 422), (response.status_code, response.content[:300])


def test_whitespace_only_authorization_header_is_401_not_500(mv: Any) -> None:
    """ApiKeyAuthentication.authenticate: ``header.split()`` of a non-empty all-whitespace header
    is [] and ``parts[0]`` raises IndexError -> 500 (over HTTP: ``Authorization: \\xa0``)."""
    client = APIClient(raise_request_exception=False)
    for value in (" ", "\xa0"):
        response = client.get("/api/v1/models/", HTTP_AUTHORIZATION=value)
        assert response.status_code == 401, (repr(value), response.status_code, response.content[:200])


# --- PostgreSQL only ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("path", "make_body"),
    [
        ("/api/v1/model-versions/", lambda mv: _mv_body(mv, metrics={"a\x00b": 0.5})),
        ("/api/v1/model-cards/", lambda mv: {"model_version": mv.pk, "hf_metadata": {"x": "a\x00b"}}),
        (
            "/api/v1/models/",
            lambda mv: {
                "name": "nul-tag",
                "team": "team-a",
                "risk_tier": "minimal",
                "intended_use": "x",
                "domain": "d",
                "tags": ["a\x00b"],
            },
        ),
    ],
    ids=["metric-name", "hf-metadata-value", "tag"],
)
def test_nul_in_json_field_is_422_not_500_on_postgres(
    api: APIClient, mv: Any, path: str, make_body: Any
) -> None:
    """CharFields refuse NUL (DRF's ProhibitNullCharactersValidator) but JSONField values do not;
    PostgreSQL's jsonb then raises "unsupported Unicode escape sequence" -> DataError -> 500."""
    assert_client_error(post_raw_json(api, path, make_body(mv)))


@pytest.mark.postgres
def test_nul_in_team_slug_url_is_404_not_500_on_postgres(api: APIClient) -> None:
    """TeamViewSet looks teams up by slug with DRF's default lookup regex, so ``/teams/a%00b`` reaches
    PostgreSQL ("text fields cannot contain NUL") -> 500. Fix: lookup_value_regex = the slug pattern."""
    assert_client_error(api.get("/api/v1/teams/a%00b"), 404)


# --- Authorization and information leaks ----------------------------------------------------------


def test_fairness_source_uri_does_not_echo_server_files(api: APIClient, mv: Any, tmp_path: Any) -> None:
    """Any fairness:write principal can name any server path as ``source_uri`` (core/uris.local_path
    has no allowed root) and the validation errors quote the file: e.g. ``/etc/passwd`` ->
    "CSV parse error: Expected 1 columns, got 4: postgres:x:101:...", ``/etc/shadow`` -> "its columns
    are ['root:*:...']". Here a two-line file's first line comes back in the 422 body."""
    from django.conf import settings

    settings.WORKER_READABLE_ROOTS = [str(tmp_path / "shared")]  # the secret lies outside it
    secret = tmp_path / "not-for-clients.txt"
    secret.write_text("TOPSECRET-db-password-hunter2\nsecond line\n")
    response = api.post(
        "/api/v1/fairness-checks/",
        {"config": fairness_config(mv), "source_uri": f"file://{secret}"},
        format="json",
    )
    assert response.status_code != 202
    assert b"TOPSECRET" not in response.content, response.content[:400]


def test_filters_do_not_reveal_which_ids_exist_in_other_teams(
    key_client: Any, team_a: Any, team_b: Any
) -> None:
    """ModelChoiceFilters (model-cards ?model_version=, dataset-versions ?dataset=, fairness-checks
    ?model_version=) validate ids against *all* rows: another team's id gives 200 [] but a missing id
    gives 422 "Select a valid choice", an existence oracle across teams. Fix: the filtersets in
    governance/inventory/filtersets.py and FairnessCheckViewSet.filterset_fields."""
    other_mv = ModelVersionFactory(model=RegisteredModelFactory(team=team_a))
    other_dv = DatasetVersionFactory(dataset__team=team_a)
    outsider = key_client(team_b, ["inventory:read", "fairness:read"], name="b")
    for path, real_id in (
        ("/api/v1/model-cards/?model_version=", other_mv.pk),
        ("/api/v1/dataset-versions/?dataset=", other_dv.dataset.pk),
        ("/api/v1/fairness-checks/?model_version=", other_mv.pk),
    ):
        existing = outsider.get(f"{path}{real_id}")
        missing = outsider.get(f"{path}999999")
        assert existing.status_code == missing.status_code, (path, existing.status_code, missing.status_code)


def test_refused_fairness_upload_leaves_no_file_behind(
    make_user: Any, client_for: Any, team_a: Any, team_b: Any, settings: Any
) -> None:
    """A submitter who is also an auditor sees team-a's versions, so the upload is stored before
    fairness_check_create refuses it (403): the file stays in MEDIA_ROOT/fairness with no check
    pointing at it. Fix: fairness/api/views.py create() (check write access first, or unlink on error)."""
    from pathlib import Path

    other_mv = ModelVersionFactory(model=RegisteredModelFactory(team=team_a))
    person = make_user("submitter", "auditor", teams=(team_b,))
    client = client_for(person)
    response = upload(client, fairness_config(other_mv))
    assert response.status_code == 403, response.content[:300]
    stored = list((Path(settings.MEDIA_ROOT) / "fairness").glob("*"))
    assert stored == [], stored


@pytest.mark.parametrize("uri", ["file:///etc/passwd", "/etc/shadow", "file://{root}/../outside.csv"])
def test_paths_outside_the_readable_roots_are_refused(
    api: APIClient, mv: Any, tmp_path: Any, uri: str
) -> None:
    from django.conf import settings

    root = tmp_path / "shared"
    root.mkdir()
    (tmp_path / "outside.csv").write_text("a,b,c\n1,0,x\n")
    settings.WORKER_READABLE_ROOTS = [str(root)]
    response = api.post(
        "/api/v1/fairness-checks/",
        {"config": fairness_config(mv), "source_uri": uri.format(root=root)},
        format="json",
    )
    body = assert_client_error(response)
    assert body["errors"][0]["field"] == "source_uri" and "outside" in body["errors"][0]["message"]
