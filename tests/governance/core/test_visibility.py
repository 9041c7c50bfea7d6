"""One visibility rule: every team-owned model declares its team path; selectors, admin and API use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client

from governance.accounts.principal import principal_for_user
from governance.core.visibility import is_team_scoped
from tests.factories import (
    DatasetVersionFactory,
    ModelVersionFactory,
    RegisteredModelFactory,
    TeamFactory,
)

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


def test_every_model_with_a_team_declares_its_path():
    """A model that reaches a team through a foreign key must be team-scoped (or it would leak)."""
    from governance.accounts.models import Team

    unscoped = []
    for model in apps.get_models():
        if not model.__module__.startswith("governance."):
            continue
        reaches_team = any(
            f.is_relation
            and f.related_model is not None
            and (f.related_model is Team or is_team_scoped(f.related_model))
            for f in model._meta.get_fields()
            if f.concrete
        )
        if (reaches_team or model is Team) and not is_team_scoped(model):
            unscoped.append(model._meta.label)
    assert unscoped == []


def test_visible_to_narrows_every_scoped_model(make_user):
    team_a, team_b = TeamFactory(), TeamFactory()
    mine = ModelVersionFactory(model__team=team_a)
    theirs = ModelVersionFactory(model__team=team_b)
    DatasetVersionFactory(dataset__team=team_b)
    submitter = principal_for_user(make_user("submitter", teams=(team_a,)))
    reviewer = principal_for_user(make_user("model_risk_reviewer"))
    for model in apps.get_models():
        if not is_team_scoped(model):
            continue
        seen = model.objects.visible_to(submitter)
        assert not seen.exclude(pk__in=model.objects.visible_to(reviewer)).exists()
    from governance.inventory.models import ModelVersion

    assert list(ModelVersion.objects.visible_to(submitter)) == [mine]
    assert set(ModelVersion.objects.visible_to(reviewer)) == {mine, theirs}
    assert list(ModelVersion.objects.writable_by(reviewer)) == []


def test_no_copy_of_the_team_filter_outside_the_rule():
    """The filter is written once (governance/core/visibility.py), not per selector or admin."""
    copies = []
    for path in ROOT.joinpath("governance").rglob("*.py"):
        if path.name in {"visibility.py", "principal.py", "roles.py"}:  # the rule, and its inputs
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"team_id__in|team_ids|read_all_teams", line):
                copies.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert copies == []


@pytest.fixture
def two_teams_and_a_submitter(make_user):
    mine, theirs = (
        TeamFactory(slug="mine-team", name="Mine Team"),
        TeamFactory(slug="secret-team", name="Secret Team"),
    )
    RegisteredModelFactory(team=mine, name="my-model")
    RegisteredModelFactory(team=theirs, name="their-model")
    DatasetVersionFactory(dataset__team=theirs)
    user = make_user("submitter", teams=(mine,), is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/inventory/registeredmodel/",
        "/admin/inventory/modelversion/",
        "/admin/inventory/modelcard/",
        "/admin/inventory/dataset/",
        "/admin/inventory/datasetversion/",
        "/admin/inventory/registeredmodel/add/",
        "/admin/inventory/dataset/add/",
        "/admin/inventory/modelversion/add/",
    ],
)
def test_admin_filters_and_dropdowns_show_only_visible_teams(two_teams_and_a_submitter, path):
    response = two_teams_and_a_submitter.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "secret-team" not in page and "Secret Team" not in page and "their-model" not in page
