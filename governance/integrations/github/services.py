"""Configuring GitHub App installations: who answers for which team, with which secret and key.

Configuration needs ``teams:admin`` on the team (it decides who may deploy that team's models, as its
webhooks do). Every change is audited without the secret or the key; both are written once, here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts.models import Team
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.core.visibility import authorize_team_write
from governance.integrations.github import constants, events
from governance.integrations.github.models import GitHubInstallation
from governance.integrations.github.signing import PrivateKeyError, private_key_encrypt, private_key_load

CONFIGURE_SCOPE = Scope.TEAMS_ADMIN
INSTALLATION_UPDATABLE = ("account", "api_base_url", "environment_map", "active")
MIN_SECRET_CHARS = 16


def _authorize(actor: Principal, team_id: int) -> None:
    authorize_team_write(
        actor, team_id=team_id, scope=CONFIGURE_SCOPE, action="configure GitHub installations"
    )


def _secret(value: str) -> str:
    if len(value) < MIN_SECRET_CHARS or len(value) > 200 or not value.isprintable():
        raise ValidationError(
            {"webhook_secret": f"Use the App's webhook secret: {MIN_SECRET_CHARS}-200 printable characters."}
        )
    return value


def _encrypted_key(pem: str) -> str:
    try:
        key = private_key_load(pem.strip())
    except PrivateKeyError as exc:
        raise ValidationError({"private_key": str(exc)}) from exc
    return private_key_encrypt(key, settings.SIGNING_KEY_PASSPHRASE)


def _base(url: str) -> str:
    return url.strip().rstrip("/")


@transaction.atomic
def github_installation_create(
    *,
    actor: Principal,
    team: Team,
    installation_id: int,
    app_id: int,
    webhook_secret: str,
    private_key_pem: str,
    environment_map: dict[str, str],
    api_base_url: str = constants.DEFAULT_API_BASE_URL,
    account: str = "",
) -> GitHubInstallation:
    """Answer deployment protection rules of one installation of the team's GitHub App."""
    _authorize(actor, team.pk)
    installation = GitHubInstallation(
        team=team,
        installation_id=installation_id,
        app_id=app_id,
        account=account.strip(),
        api_base_url=_base(api_base_url),
        environment_map=dict(environment_map),
        webhook_secret=_secret(webhook_secret),
        private_key=_encrypted_key(private_key_pem),
        created_by=actor.ident,
    )
    installation.full_clean()
    try:
        with transaction.atomic():
            installation.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"installation_id": "This installation is already configured."}) from exc
    audit_append(
        actor=actor,
        action=events.GITHUB_INSTALLATION_CREATE,
        target=installation,
        payload={
            "team_id": team.pk,
            "installation_id": installation.installation_id,
            "app_id": installation.app_id,
            "api_base_url": installation.api_base_url,
            "environment_map": installation.environment_map,
            "account": installation.account,
        },
    )
    return installation


@transaction.atomic
def github_installation_update(
    *, actor: Principal, installation: GitHubInstallation, **changes: Any
) -> GitHubInstallation:
    """Change the API host, environment map, account or active flag; the team and ids never change."""
    unknown = sorted(set(changes) - set(INSTALLATION_UPDATABLE))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked = GitHubInstallation.objects.select_for_update().get(pk=installation.pk)
    _authorize(actor, locked.team_id)
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "api_base_url":
            value = _base(value)
        elif field == "account":
            value = value.strip()
        before = getattr(locked, field)
        if before != value:
            setattr(locked, field, value)
            diff[field] = [before, value]
    if not diff:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=[*diff, "updated_at"])
    audit_append(
        actor=actor, action=events.GITHUB_INSTALLATION_UPDATE, target=locked, payload={"changes": diff}
    )
    return locked


@transaction.atomic
def github_installation_credentials_replace(
    *,
    actor: Principal,
    installation: GitHubInstallation,
    webhook_secret: str = "",
    private_key_pem: str = "",
) -> GitHubInstallation:
    """Replace the webhook secret and/or the private key (rotated on GitHub); the values are not logged."""
    locked = GitHubInstallation.objects.select_for_update().get(pk=installation.pk)
    _authorize(actor, locked.team_id)
    replaced = []
    if webhook_secret:
        locked.webhook_secret = _secret(webhook_secret)
        replaced.append("webhook_secret")
    if private_key_pem.strip():
        locked.private_key = _encrypted_key(private_key_pem)
        replaced.append("private_key")
    if not replaced:
        return locked
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*replaced, "updated_at"])
    audit_append(
        actor=actor,
        action=events.GITHUB_INSTALLATION_CREDENTIALS,
        target=locked,
        payload={"replaced": replaced},
    )
    return locked
