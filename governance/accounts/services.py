"""Writes for teams, memberships, roles and API keys (each audited in its transaction)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts import events
from governance.accounts.models import ApiKey, Membership, Team
from governance.accounts.principal import Principal
from governance.accounts.roles import ADMIN_MODEL_PERMISSIONS, MACHINE_SCOPES, Role, Scope
from governance.core.exceptions import ApplicationError, PermissionDeniedError

API_KEY_PREFIX = "mgk"
API_KEY_MAX_LIFETIME = dt.timedelta(days=366)


def roles_sync() -> None:
    """Make the auth groups match ``roles.py``: one group per role with its admin permissions.

    Runs after every migrate, so the database never disagrees with the code about what a role is.
    """
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = []
        for model_label, actions in ADMIN_MODEL_PERMISSIONS.get(role, {}).items():
            app_label, model = model_label.split(".")
            for action in actions:
                wanted.append((app_label, f"{action}_{model}"))
        perms = [
            p
            for p in Permission.objects.filter(codename__in=[c for _, c in wanted]).select_related(
                "content_type"
            )
            if (p.content_type.app_label, p.codename) in set(wanted)
        ]
        group.permissions.set(perms)


@transaction.atomic
def team_create(*, actor: Principal, slug: str, name: str, description: str = "") -> Team:
    """Create a team (administrators only)."""
    if not actor.has_scope(Scope.TEAMS_ADMIN):
        raise PermissionDeniedError("Creating teams needs the teams:admin scope.")
    team = Team(slug=slug, name=name, description=description)
    team.full_clean()
    team.save()
    audit_append(actor=actor, action=events.TEAM_CREATE, target=team, payload={"slug": slug, "name": name})
    return team


@transaction.atomic
def membership_add(*, actor: Principal, team: Team, user_id: int) -> Membership:
    """Put a person in a team (administrators only)."""
    if not actor.has_scope(Scope.TEAMS_ADMIN):
        raise PermissionDeniedError("Changing team membership needs the teams:admin scope.")
    membership, created = Membership.objects.get_or_create(team=team, user_id=user_id)
    if created:
        audit_append(actor=actor, action=events.TEAM_MEMBER_ADD, target=team, payload={"user_id": user_id})
    return membership


@dataclass(frozen=True)
class IssuedApiKey:
    """The stored key and its secret; the secret exists only here and is shown once."""

    api_key: ApiKey
    secret: str


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    actor: Principal,
    team: Team,
    name: str,
    scopes: list[str],
    expires_in: dt.timedelta = dt.timedelta(days=90),
) -> IssuedApiKey:
    """Mint a key for a team. Keys expire (at most a year) and never get approval or admin scopes."""
    if not actor.has_scope(Scope.KEYS_ADMIN):
        raise PermissionDeniedError("Creating API keys needs the keys:admin scope.")
    unknown = sorted(set(scopes) - {s.value for s in Scope})
    if unknown:
        raise ApplicationError(f"Unknown scopes: {', '.join(unknown)}.", field="scopes")
    forbidden = sorted(set(scopes) - {s.value for s in MACHINE_SCOPES})
    if forbidden:
        raise ApplicationError(
            f"API keys cannot hold {', '.join(forbidden)}: approvals and administration need a person.",
            field="scopes",
        )
    if not scopes:
        raise ApplicationError("An API key needs at least one scope.", field="scopes")
    if not dt.timedelta(0) < expires_in <= API_KEY_MAX_LIFETIME:
        raise ApplicationError("Expiry must be between 1 and 366 days.", field="expires_in")

    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        team=team,
        prefix=prefix,
        key_hash=api_key_hash(secret),
        scopes=sorted(set(scopes)),
        created_by_id=actor.user_id,
        expires_at=timezone.now() + expires_in,
    )
    key.full_clean()
    key.save()
    audit_append(
        actor=actor,
        action=events.API_KEY_CREATE,
        target=key,
        payload={"name": name, "team": team.slug, "scopes": key.scopes, "expires_at": key.expires_at},
    )
    return IssuedApiKey(api_key=key, secret=secret)


@transaction.atomic
def api_key_revoke(*, actor: Principal, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once; revocation is permanent."""
    if not actor.has_scope(Scope.KEYS_ADMIN):
        raise PermissionDeniedError("Revoking API keys needs the keys:admin scope.")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_append(
            actor=actor, action=events.API_KEY_REVOKE, target=api_key, payload={"name": api_key.name}
        )
    return api_key
