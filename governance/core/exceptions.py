"""Domain errors raised by services; the API layer turns them into problem+json responses."""

from __future__ import annotations


class ApplicationError(Exception):
    """A client-caused failure that a service detected (bad state, conflict, not allowed).

    ``field`` names the input that caused it so clients can point at it; ``code`` is a stable
    machine-readable identifier.
    """

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        items: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        # Several problems of one kind (each missing evidence item): one ``errors`` entry each.
        self.items = items or []


class ConflictError(ApplicationError):
    """The request is valid but clashes with the current state (frozen version, illegal transition)."""

    status = 409
    code = "conflict"


class PermissionDeniedError(ApplicationError):
    """The principal is authenticated but its role, scopes or team do not allow this."""

    status = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    """The object does not exist, or is invisible to the principal (no cross-team existence leaks)."""

    status = 404
    code = "not_found"
