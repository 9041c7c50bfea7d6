"""One rule for who sees what: every team-owned model declares the path to its team, once.

NetBox's ``RestrictedQuerySet.restrict(user, action)`` in our terms: ``Model.objects.visible_to(p)``
narrows any queryset to the rows of teams the principal may read. Every selector, the admin (lists,
list filters, form dropdowns) and the API go through it, so the rule cannot drift between copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from governance.accounts.principal import Principal
    from governance.accounts.roles import Scope


_M = TypeVar("_M", bound=models.Model)


class TeamScopedQuerySet(models.QuerySet[_M]):
    """A queryset of a model that declares ``TEAM_PATH`` (the lookup from a row to its team id)."""

    def visible_to(self, principal: Principal) -> Self:
        """Rows of the teams ``principal`` may read (every row for roles that read all teams)."""
        if principal.read_all_teams:
            return self
        return self.filter(**{f"{team_path(self.model)}__in": principal.team_ids})

    def writable_by(self, principal: Principal) -> Self:
        """Rows of the teams ``principal`` may change."""
        if principal.write_all_teams:
            return self
        return self.filter(**{f"{team_path(self.model)}__in": principal.team_ids})


def team_path(model: type[models.Model]) -> str:
    path = getattr(model, "TEAM_PATH", None)
    if not path:
        raise TypeError(f"{model.__name__} declares no TEAM_PATH; it is not team-scoped.")
    return str(path)


def is_team_scoped(model: object) -> bool:
    return bool(getattr(model, "TEAM_PATH", None))


def authorize_team_write(
    actor: Principal, *, team_id: int, scope: Scope, action: str, field: str = "team"
) -> None:
    """The one write check: the actor holds ``scope`` and may change the owning team's records.

    ``action`` completes "... can <action>" (``"change this model"``). Raised as a
    ``PermissionDeniedError`` naming the scope or the team, so the API answers 403 with a reason and
    the admin shows it; services call this before they write anything.
    """
    from governance.core.exceptions import PermissionDeniedError

    if not actor.has_scope(scope):
        raise PermissionDeniedError(f"Only holders of the {scope.value} scope can {action}.")
    if not actor.can_write_team(team_id):
        raise PermissionDeniedError(f"Only members of the owning team can {action}.", field=field)
