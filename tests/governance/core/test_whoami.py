"""``GET /api/v1/-/whoami``: the caller as the API sees it; any authenticated principal, no scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_an_api_key_sees_its_team_and_scopes_with_one_lookup(key_client: Any, team_a: Any) -> None:
    client = key_client(team_a, ["gate:check"])
    client.get("/api/v1/-/whoami")  # the first call also records last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/-/whoami")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "api_key",
        "ident": f"api_key:{client.api_key.pk}",
        "label": f"team-a/{client.api_key.name}",
        "scopes": ["gate:check"],
    }
    assert len(queries) == 1  # the key itself


def test_a_person_sees_their_scopes(client_for: Any, make_user: Any, team_a: Any) -> None:
    user = make_user("submitter", teams=(team_a,))
    body = client_for(user).get("/api/v1/-/whoami").json()
    assert body["kind"] == "user" and body["ident"] == f"user:{user.pk}" and body["label"] == user.username
    assert "inventory:write" in body["scopes"]


def test_anonymous_is_refused() -> None:
    assert APIClient().get("/api/v1/-/whoami").status_code in (401, 403)
