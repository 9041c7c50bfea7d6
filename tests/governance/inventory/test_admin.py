"""The admin obeys the same rules as the API: team scoping, services for writes, frozen versions."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from governance.inventory.models import ModelVersion, RegisteredModel
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def submitter(make_user, team_a):
    return make_user("submitter", teams=(team_a,), is_staff=True)


def test_every_admin_changelist_renders_for_admin(make_user):
    client = login(make_user("admin", is_staff=True))
    for path in (
        "/admin/",
        "/admin/inventory/registeredmodel/",
        "/admin/inventory/modelversion/",
        "/admin/inventory/modelcard/",
        "/admin/inventory/dataset/",
        "/admin/inventory/datasetversion/",
        "/admin/accounts/team/",
        "/admin/accounts/apikey/",
        "/admin/audit/auditevent/",
        "/admin/inventory/modelcard/import/",
    ):
        assert client.get(path).status_code == 200, path


def test_version_change_page_shows_status_datasets_and_card(submitter, team_a):
    from governance.accounts.principal import cli_principal
    from governance.inventory.services import model_card_create

    mv = ModelVersionFactory(model__team=team_a)
    dv = DatasetVersionFactory(
        dataset__team=team_a,
        contains_personal_data=True,
        lawful_basis="contract",
        purpose="scoring",
        retention_days=30,
    )
    mv.dataset_links.create(dataset_version=dv, usage="training")
    model_card_create(
        actor=cli_principal("t"),
        model_version=mv,
        model_details={"overview": "Scores loan applications."},
        considerations={"limitations": [{"description": "Thin files."}]},
    )
    page = login(submitter).get(f"/admin/inventory/modelversion/{mv.pk}/change/").content.decode()
    assert "Scores loan applications." in page and "Thin files." in page
    assert str(dv) in page and "personal data (contract)" in page
    assert "Draft" in page


def test_admin_list_is_team_scoped(submitter, team_b):
    hidden = RegisteredModelFactory(team=team_b, name="hidden-model")
    client = login(submitter)
    assert "hidden-model" not in client.get("/admin/inventory/registeredmodel/").content.decode()
    assert client.get(f"/admin/inventory/registeredmodel/{hidden.pk}/change/").status_code == 302


def test_admin_add_goes_through_the_service_and_is_audited(submitter, team_a):
    response = login(submitter).post(
        "/admin/inventory/registeredmodel/add/",
        {
            "name": "fraud-detector",
            "team": team_a.pk,
            "risk_tier": "limited",
            "intended_use": "Flag fraud.",
            "domain": "payments",
            "description": "",
            "tags": "[]",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    model = RegisteredModel.objects.get(name="fraud-detector")
    assert model.created_by.startswith("user:")
    assert AuditEvent.objects.filter(action="model.create", target_id=str(model.pk)).exists()


def test_frozen_version_is_read_only_in_admin(submitter, team_a):
    mv = ModelVersionFactory(model__team=team_a)
    ModelVersion.objects.filter(pk=mv.pk).update(status="submitted")
    page = login(submitter).get(f"/admin/inventory/modelversion/{mv.pk}/change/").content.decode()
    assert 'name="artifact_digest"' not in page and mv.artifact_digest in page


def test_auditor_can_view_but_not_change(make_user, team_a):
    model = RegisteredModelFactory(team=team_a)
    client = login(make_user("auditor", is_staff=True))
    assert client.get("/admin/inventory/registeredmodel/").status_code == 200
    page = client.get(f"/admin/inventory/registeredmodel/{model.pk}/change/").content.decode()
    assert 'name="intended_use"' not in page
    assert (
        client.post(f"/admin/inventory/registeredmodel/{model.pk}/change/", {"domain": "x"}).status_code
        == 403
    )
