"""Admin logins and failed logins go into the audit log (who had access, and who tried)."""

from __future__ import annotations

from typing import Any

from audit.services import audit_append
from governance.accounts.events import AUTH_LOCKOUT, AUTH_LOGIN, AUTH_LOGIN_FAILED
from governance.accounts.principal import Principal, principal_for_user


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_append(
        actor=principal_for_user(user),
        action=AUTH_LOGIN,
        target=user,
        payload={"path": getattr(request, "path", "")},
    )


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    attempted = str(credentials.get("username", ""))[:150]
    actor = Principal(kind="anonymous", ident="anonymous", label=attempted or "anonymous", scopes=frozenset())
    audit_append(
        actor=actor,
        action=AUTH_LOGIN_FAILED,
        target_type="auth.user",
        target_id=attempted,
        payload={"path": getattr(request, "path", "")},
    )


def on_lockout(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """django-axes locked a username from an address: the lockout itself is evidence (who was refused)."""
    from django.conf import settings

    attempted = str(username or "")[:150]
    actor = Principal(kind="anonymous", ident="anonymous", label=attempted or "anonymous", scopes=frozenset())
    audit_append(
        actor=actor,
        action=AUTH_LOCKOUT,
        target_type="auth.user",
        target_id=attempted,
        payload={"path": getattr(request, "path", ""), "failure_limit": settings.AXES_FAILURE_LIMIT},
    )
