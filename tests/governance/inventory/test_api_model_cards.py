"""Model card API: revisions, MCT/Hugging Face export checked by their own tools, import round trips."""

from __future__ import annotations

import jsonschema
import pytest
from huggingface_hub import ModelCard as HubModelCard

from audit.models import AuditEvent
from governance.inventory.models import ModelCard, ModelVersion
from tests.factories import ModelVersionFactory
from tests.governance.inventory.official_mct_schema import load_official_schema

pytestmark = pytest.mark.django_db

CARD = {
    "model_details": {
        "name": "credit-scoring",
        "overview": "Estimates 12-month default probability.",
        "owners": [{"name": "Credit Risk Analytics", "contact": "credit-risk@example.org"}],
        "version": {"name": "1.0.0", "date": "2025-06-30"},
        "licenses": [{"identifier": "Apache-2.0"}],
        "references": [{"reference": "https://example.org/credit-scoring"}],
    },
    "model_parameters": {
        "model_architecture": "Gradient-boosted trees",
        "data": [{"name": "loan-applications", "link": "s3://credit-data/loan-applications/2024-q4/"}],
    },
    "quantitative_analysis": {"performance_metrics": [{"type": "auc", "value": "0.78", "slice": "all"}]},
    "considerations": {
        "users": [{"description": "Underwriters"}],
        "use_cases": [{"description": "Pre-screening of consumer loan applications"}],
        "limitations": [{"description": "Thin credit files"}],
        "ethical_considerations": [
            {"name": "Disparate impact", "mitigation_strategy": "Four-fifths rule gate"}
        ],
    },
    "factors": [{"name": "Sex", "description": "Monitored, not an input"}],
    "caveats": "Re-validate yearly.",
    "hf_metadata": {"pipeline_tag": "tabular-classification", "library_name": "xgboost"},
}


@pytest.fixture
def alice(make_user, team_a):
    return make_user("submitter", teams=(team_a,))


@pytest.fixture
def draft(team_a):
    return ModelVersionFactory(model__team=team_a, model__name="credit-scoring", version="1.0.0")


def create_card(client, mv, body=CARD):
    response = client.post("/api/v1/model-cards/", {"model_version": mv.pk, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_revisions_are_numbered_and_latest_filter_works(client_for, alice, draft):
    client = client_for(alice)
    first = create_card(client, draft)
    second = create_card(client, draft, {**CARD, "caveats": "Re-validate quarterly."})
    assert (first["revision"], second["revision"]) == (1, 2)
    latest = client.get(f"/api/v1/model-cards/?model_version={draft.pk}&latest=true").json()["results"]
    assert [c["revision"] for c in latest] == [2]
    assert AuditEvent.objects.filter(action="model_card.create").count() == 2
    assert (
        client.patch(f"/api/v1/model-cards/{first['id']}/", {"caveats": "x"}, format="json").status_code
        == 405
    )


def test_mct_export_validates_against_the_toolkit_schema(client_for, alice, draft):
    client = client_for(alice)
    card = create_card(client, draft)
    response = client.get(f"/api/v1/model-cards/{card['id']}/export?format=mct")
    assert response.status_code == 200
    exported = response.json()
    jsonschema.Draft7Validator(load_official_schema()).validate(exported)
    assert exported["model_details"]["licenses"] == [{"identifier": "Apache-2.0"}]
    assert exported["considerations"]["limitations"] == [{"description": "Thin credit files"}]


def test_huggingface_export_is_parsed_by_huggingface_hub(client_for, alice, draft):
    client = client_for(alice)
    card = create_card(client, draft)
    response = client.get(f"/api/v1/model-cards/{card['id']}/export?format=huggingface")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    hub_card = HubModelCard(response.content.decode())
    assert hub_card.data.license == "apache-2.0"
    assert hub_card.data.datasets == ["loan-applications"]
    assert hub_card.data.pipeline_tag == "tabular-classification"
    assert hub_card.data.library_name == "xgboost"
    assert "Thin credit files" in hub_card.text


@pytest.mark.parametrize("fmt", ["mct", "huggingface"])
def test_export_then_import_round_trip(client_for, alice, draft, fmt):
    client = client_for(alice)
    original = create_card(client, draft)
    exported = client.get(f"/api/v1/model-cards/{original['id']}/export?format={fmt}")
    content = exported.json() if fmt == "mct" else exported.content.decode()
    target = ModelVersionFactory(model=draft.model, version="1.1.0")
    response = client.post(  # the contract path has no trailing slash
        "/api/v1/model-cards/import",
        {"model_version": target.pk, "format": fmt, "content": content},
        format="json",
    )
    assert response.status_code == 201, response.content
    imported = ModelCard.objects.get(pk=response.json()["id"])
    sections = ["model_parameters", "quantitative_analysis", "considerations"]
    if fmt == "huggingface":  # the HF format carries our whole document
        sections += ["factors", "caveats", "hf_metadata"]
    for section in sections:
        assert getattr(imported, section) == original[section], section
    details = imported.model_details
    assert details["overview"] == CARD["model_details"]["overview"]
    assert details["licenses"] == CARD["model_details"]["licenses"]
    assert (
        AuditEvent.objects.get(action="model_card.create", target_id=str(imported.pk)).payload["source"]
        == fmt
    )


def test_import_errors_name_the_field(client_for, alice, draft):
    client = client_for(alice)
    bad_mct = {"model_details": {"licenses": [{}]}, "colour": "blue"}
    response = client.post(
        "/api/v1/model-cards/import",
        {"model_version": draft.pk, "format": "mct", "content": bad_mct},
        format="json",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert any(f.startswith("content") for f in fields), fields

    broken_yaml = "---\nlicense: [unclosed\n---\n# Card\n"
    response = client.post(
        "/api/v1/model-cards/import",
        {"model_version": draft.pk, "format": "huggingface", "content": broken_yaml},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("content")
    response = client.post(
        "/api/v1/model-cards/import",
        {"model_version": draft.pk, "format": "mct", "content": "text"},
        format="json",
    )
    assert response.status_code == 422
    assert not ModelCard.objects.exists()


def test_invalid_card_section_is_rejected_with_its_path(client_for, alice, draft):
    body = {**CARD, "model_details": {**CARD["model_details"], "owners": "nobody"}}
    response = client_for(alice).post(
        "/api/v1/model-cards/", {"model_version": draft.pk, **body}, format="json"
    )
    assert response.status_code == 422
    assert "model_details.owners" in {e["field"] for e in response.json()["errors"]}


def test_card_of_submitted_version_is_frozen(client_for, alice, draft):
    ModelVersion.objects.filter(pk=draft.pk).update(status="submitted")
    response = client_for(alice).post(
        "/api/v1/model-cards/", {"model_version": draft.pk, **CARD}, format="json"
    )
    assert response.status_code == 409


def test_export_format_is_required_and_other_teams_cards_are_invisible(
    client_for, make_user, alice, draft, team_b
):
    card = create_card(client_for(alice), draft)
    assert client_for(alice).get(f"/api/v1/model-cards/{card['id']}/export").status_code == 422
    outsider = make_user("submitter", teams=(team_b,))
    assert client_for(outsider).get(f"/api/v1/model-cards/{card['id']}/export?format=mct").status_code == 404


@pytest.mark.parametrize(
    "front_matter",
    ["foo: 123456789012345678901234567890", 'foo: "a\\0b"'],
    ids=["integer-beyond-2-53", "nul-character"],
)
def test_imported_values_that_cannot_be_hashed_are_422(client_for, alice, draft, front_matter):
    """The check lives on the model's JSON fields, so imports are covered, not only API bodies."""
    content = f"---\nlicense: mit\n{front_matter}\n---\n# Card\n"
    response = client_for(alice).post(
        "/api/v1/model-cards/import",
        {"model_version": draft.pk, "format": "huggingface", "content": content},
        format="json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "hf_metadata"
    assert not ModelCard.objects.exists()
