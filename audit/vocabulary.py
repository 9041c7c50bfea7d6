"""The declared audit vocabulary: every action the log may record, declared once with its payload shape.

Sentry registers each audit event once and refuses duplicates; Saleor keeps one builder per event. We
do the same so that a typo at a call site cannot invent an action that auditors filtering by
``?action=`` never see: ``audit_append`` refuses an undeclared action and a payload that does not
match its declaration. Each app declares its actions in its own ``events.py``, imported when the
app is ready, so the API schema and the admin filter list every action.

Pure: no Django imports (the registry is plain data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class UndeclaredActionError(LookupError):
    """An action name nobody declared (a typo, or an app whose events module was not loaded)."""


class PayloadShapeError(ValueError):
    """A payload whose keys do not match its action's declaration."""


@dataclass(frozen=True)
class AuditAction:
    """One kind of audit event: its name, what it means, and the keys its payload carries."""

    name: str
    description: str
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def check_payload(self, payload: Mapping[str, Any]) -> None:
        keys = set(payload)
        missing = sorted(self.required - keys)
        unknown = sorted(keys - self.required - self.optional)
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"undeclared {', '.join(unknown)}")
            raise PayloadShapeError(f"Payload of audit action {self.name!r}: {'; '.join(parts)}.")

    def __str__(self) -> str:
        return self.name


class ActionRegistry:
    """Every declared action by name; declaring a name twice is an error."""

    def __init__(self) -> None:
        self._actions: dict[str, AuditAction] = {}

    def declare(
        self, name: str, description: str, *, required: Iterable[str] = (), optional: Iterable[str] = ()
    ) -> AuditAction:
        if name in self._actions:
            raise ValueError(f"Audit action {name!r} is declared twice.")
        action = AuditAction(name, description, frozenset(required), frozenset(optional))
        self._actions[name] = action
        return action

    def get(self, name: str) -> AuditAction:
        try:
            return self._actions[name]
        except KeyError:
            raise UndeclaredActionError(
                f"Audit action {name!r} is not declared (declare it in the app's events.py)."
            ) from None

    def resolve(self, action: AuditAction | str) -> AuditAction:
        """The declared action for a name or an action object (which must be the registered one)."""
        declared = self.get(action.name if isinstance(action, AuditAction) else action)
        if isinstance(action, AuditAction) and action != declared:
            raise UndeclaredActionError(f"Audit action {action.name!r} differs from its declaration.")
        return declared

    def __iter__(self) -> Any:
        return iter(sorted(self._actions.values(), key=lambda a: a.name))

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def choices(self) -> list[tuple[str, str]]:
        return [(a.name, f"{a.name}: {a.description}") for a in self]


registry = ActionRegistry()
declare = registry.declare
