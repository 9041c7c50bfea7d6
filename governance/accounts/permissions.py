"""DRF permission classes: every view states the scope each of its actions needs."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from governance.accounts.principal import principal_for_request
from governance.accounts.roles import Scope


class HasScope(BasePermission):
    """Allow an action only if the view maps it to a scope and the principal holds that scope.

    Views declare ``required_scopes = {"list": Scope.INVENTORY_READ, ...}`` keyed by viewset action
    (or HTTP method for plain APIViews). An action missing from the map is denied: forgetting to
    declare a permission fails closed.
    """

    message = "Your role or API key scopes do not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not _has_handler(request, view):
            return True  # let DRF answer 405 Method Not Allowed rather than a misleading 403
        scope = self.scope_for(request, view)
        if scope is None:
            return False
        if not principal_for_request(request).has_scope(scope):
            self.message = f"This needs the {scope.value} scope."
            return False
        return True

    def scope_for(self, request: Any, view: Any) -> Scope | None:
        return required_scope(request, view)


def required_scope(request: Any, view: Any) -> Scope | None:
    """The scope an action needs. A tuple means any one of them (e.g. a CI key's ``gate:check`` or a
    reviewer's ``inventory:read`` for reading gate decisions): the first the principal holds."""
    scopes: dict[str, Scope | tuple[Scope, ...]] = getattr(view, "required_scopes", {})
    action = getattr(view, "action", None)
    wanted = scopes[action] if action and action in scopes else scopes.get(request.method.upper())
    if not isinstance(wanted, tuple):
        return wanted
    principal = principal_for_request(request)
    return next((scope for scope in wanted if principal.has_scope(scope)), wanted[0])


def _has_handler(request: Any, view: Any) -> bool:
    method = request.method.lower()
    action_map = getattr(view, "action_map", None)
    if action_map is not None:
        return method in action_map
    return hasattr(view, method)


class CanReadAuditLog(HasScope):
    """The audit API's permission (``AUDIT_API_READ_PERMISSION``): every action needs ``audit:read``."""

    def scope_for(self, request: Any, view: Any) -> Scope | None:
        return Scope.AUDIT_READ
