"""API keys: created by the management command, shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from governance.accounts.models import ApiKey
from governance.accounts.principal import cli_principal
from governance.accounts.services import api_key_create, api_key_revoke
from governance.core.exceptions import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_command_prints_key_once_and_stores_only_its_hash(team_a):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_key",
        "--name",
        "github-ci",
        "--team",
        "team-a",
        "--scopes",
        "inventory:read,gate:check",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    key = ApiKey.objects.get(name="github-ci")
    assert secret.startswith(f"mgk_{key.prefix}_")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get())  # the secret itself is nowhere in the row
    assert key.scopes == ["gate:check", "inventory:read"]
    assert dt.timedelta(days=89) < key.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert "shown once" in err.getvalue()
    event = AuditEvent.objects.get(action="api_key.create")
    assert secret not in bytes(event.canonical).decode()
    assert bearer(secret).get("/api/v1/models/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "nope", "--scopes", "inventory:read"], "No team"),
        (["--team", "team-a", "--scopes", "inventory:fly"], "Unknown scopes"),
        (["--team", "team-a", "--scopes", "approvals:decide"], "need a person"),
        (["--team", "team-a", "--scopes", "keys:admin"], "need a person"),
        (["--team", "team-a", "--scopes", "inventory:read", "--expires-in-days", "0"], "between 1 and 366"),
        (["--team", "team-a", "--scopes", "inventory:read", "--expires-in-days", "400"], "between 1 and 366"),
    ],
)
def test_command_rejects_bad_requests(team_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", "--name", "k", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiKey.objects.exists()


def test_revoked_expired_and_forged_keys_get_401(team_a):
    issued = api_key_create(actor=cli_principal("t"), team=team_a, name="k", scopes=["inventory:read"])
    client = bearer(issued.secret)
    assert client.get("/api/v1/models/").status_code == 200

    forged = issued.secret[:-4] + "AAAA"
    response = bearer(forged).get("/api/v1/models/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid API key."

    ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/models/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]

    ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    api_key_revoke(actor=cli_principal("t"), api_key=issued.api_key)
    response = client.get("/api/v1/models/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer nonsense", "Bearer mgk_x"])
def test_malformed_authorization_is_401_not_500(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/models/").status_code == 401


def test_revoke_command(team_a):
    issued = api_key_create(actor=cli_principal("t"), team=team_a, name="k", scopes=["inventory:read"])
    call_command("revoke_api_key", "--prefix", issued.api_key.prefix, stdout=io.StringIO())
    assert ApiKey.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_people_without_keys_admin_cannot_mint_keys(make_user, team_a):
    from governance.accounts.principal import principal_for_user

    submitter = principal_for_user(make_user("submitter", teams=(team_a,)))
    with pytest.raises(PermissionDeniedError):
        api_key_create(actor=submitter, team=team_a, name="k", scopes=["inventory:read"])
    with pytest.raises(ApplicationError):
        api_key_create(actor=cli_principal("t"), team=team_a, name="k", scopes=[])
