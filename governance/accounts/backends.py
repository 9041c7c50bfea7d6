"""Admin login lockout: django-axes refuses a username from an address after repeated failures."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for logins that come with a request (the admin's login form).

    ``authenticate()`` without a request (Django's test client, management commands) is not a login
    attempt from a client address, so there is nothing to lock; Axes itself would raise instead.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)  # type: ignore[no-any-return]
