"""Per-request facts the audit log records (request id, source IP) without services seeing requests."""

from __future__ import annotations

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("audit_request_id", default=None)
_source_ip: ContextVar[str | None] = ContextVar("audit_source_ip", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_source_ip() -> str | None:
    return _source_ip.get()


def bind(request_id: str | None, source_ip: str | None) -> tuple[object, object]:
    """Set the context for the current request; returns tokens for ``unbind``."""
    return _request_id.set(request_id), _source_ip.set(source_ip)


def unbind(tokens: tuple[object, object]) -> None:
    _request_id.reset(tokens[0])  # type: ignore[arg-type]
    _source_ip.reset(tokens[1])  # type: ignore[arg-type]
