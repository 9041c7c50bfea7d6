"""Who is acting: a person, an API key, or the system itself (beat tasks), in one shape.

Services take a ``Principal`` instead of a request so the same rules apply from the API, the admin,
management commands and Celery tasks, and the audit log names the actor the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.actor import command_actor
from governance.accounts.roles import ROLES, Role, Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from governance.accounts.models import ApiKey


@dataclass(frozen=True)
class Principal:
    """An actor with its scopes and team reach, resolved once per request."""

    kind: str  # "user", "api_key" or "system"
    ident: str  # stable id used in the audit log, e.g. "user:3", "api_key:7"
    label: str  # human-readable name
    scopes: frozenset[Scope]
    roles: frozenset[Role] = frozenset()
    team_ids: frozenset[int] = frozenset()
    read_all_teams: bool = False
    write_all_teams: bool = False
    user_id: int | None = None
    api_key_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes

    def can_read_team(self, team_id: int) -> bool:
        return self.read_all_teams or team_id in self.team_ids

    def can_write_team(self, team_id: int) -> bool:
        return self.write_all_teams or team_id in self.team_ids

    @property
    def is_reviewer(self) -> bool:
        return any(ROLES[r].is_reviewer for r in self.roles)


def principal_for_user(user: AbstractBaseUser) -> Principal:
    """Resolve a person's roles (auth groups) and teams. Superusers hold the admin role."""
    from governance.accounts.models import Membership

    if not user.is_authenticated or not user.is_active:
        return Principal(kind="user", ident="anonymous", label="anonymous", scopes=frozenset())
    role_names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    roles = {Role(name) for name in role_names if name in Role._value2member_map_}
    if user.is_superuser:  # type: ignore[attr-defined]
        roles.add(Role.ADMIN)
    specs = [ROLES[r] for r in roles]
    scopes: frozenset[Scope] = frozenset().union(*(s.scopes for s in specs)) if specs else frozenset()
    team_ids = frozenset(Membership.objects.filter(user_id=user.pk).values_list("team_id", flat=True))
    return Principal(
        kind="user",
        ident=f"user:{user.pk}",
        label=user.get_username(),
        scopes=scopes,
        roles=frozenset(roles),
        team_ids=team_ids,
        read_all_teams=any(s.read_all_teams for s in specs),
        write_all_teams=any(s.write_all_teams for s in specs),
        user_id=user.pk,
    )


def principal_for_api_key(key: ApiKey) -> Principal:
    """An API key acts for its one team with exactly the scopes it was given."""
    return Principal(
        kind="api_key",
        ident=f"api_key:{key.pk}",
        label=f"{key.team.slug}/{key.name}",
        scopes=frozenset(Scope(s) for s in key.scopes),
        team_ids=frozenset({key.team_id}),
        api_key_id=key.pk,
    )


def principal_for_request(request: Any) -> Principal:
    """The principal of a DRF or Django request, cached on the request."""
    cached = getattr(request, "_governance_principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from governance.accounts.models import ApiKey

    auth = getattr(request, "auth", None)
    principal = principal_for_api_key(auth) if isinstance(auth, ApiKey) else principal_for_user(request.user)
    request._governance_principal = principal
    return principal


def _system(ident: str, label: str) -> Principal:
    """The service itself acting (commands, tasks): every scope, every team, named in the audit log."""
    return Principal(
        kind="system",
        ident=ident,
        label=label,
        scopes=frozenset(Scope),
        read_all_teams=True,
        write_all_teams=True,
    )


def cli_principal(command: str) -> Principal:
    """Management commands act with the operator's shell access; the audit log names the command
    and the OS user who ran it."""
    actor = command_actor(command)
    return _system(actor.ident, actor.label)


def worker_principal(task: str) -> Principal:
    """Celery tasks act as the system; the audit log names the task."""
    return _system(f"worker:{task}", f"celery task {task}")
